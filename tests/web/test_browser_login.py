"""Signing in with a real browser: the harness every browser test builds on."""

from __future__ import annotations

import pytest
from webharness import login, shot

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def test_a_reviewer_signs_in_sees_the_queue_and_signs_out(live_server, users, page):
    page.goto(live_server.url + "/queue")
    assert page.url.endswith("/login?next=/queue")
    shot(page, "login")
    login(page, live_server.url, "ann")
    assert page.url == live_server.url + "/queue"
    assert page.locator("h1").inner_text().startswith("Queue")
    assert page.locator(".who .user").inner_text() == "ann"
    shot(page, "queue-empty")
    page.click("text=Sign out")
    page.wait_for_url("**/login")
    page.goto(live_server.url + "/queue")
    assert "/login" in page.url


def test_a_wrong_password_is_refused_with_a_message(live_server, users, page):
    login(page, live_server.url, "ann", "not the password")
    assert "/login" in page.url
    assert "Wrong name or password" in page.locator(".error").inner_text()
