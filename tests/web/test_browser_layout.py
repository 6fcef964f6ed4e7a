"""What users see on a phone and on a desktop, light and dark: every page fits its width (no sideways scrolling),
the main navigation stays on screen, and on a record the decision buttons are reachable without scrolling past the
whole record. Screenshots of every page in every combination: tests/artifacts/layout-*.png (look at them)."""

from __future__ import annotations

import pytest
from webharness import add_works, login, shot

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

PHONE, DESKTOP = 390, 1280
#: a long real-world abstract (structured, several hundred words) makes a record taller than any phone screen
ABSTRACT = " ".join([
    "Background: Homework assignments between therapy sessions are a core element of cognitive behavioural therapy,",
    "yet how consistently clients complete them and whether completion predicts outcome is debated.",
    "Methods: We followed 214 adults treated for major depression in routine outpatient care over sixteen sessions,",
    "rating homework compliance at every session with the Homework Rating Scale and depression with the BDI-II.",
] * 8)
PAGES = ["/queue", "/works/{wid}", "/dashboard", "/prisma", "/agreement", "/search-log", "/exports", "/users",
         "/duplicates", "/extraction", "/appraisal", "/records", "/search?q=homework"]


def records():
    return [{"title": f"Homework compliance and outcome in cognitive behavioural therapy for depression: a cohort "
             f"study of routine outpatient care with an extraordinarily long title number {i}",
             "abstract": ABSTRACT, "authors": [f"Kazantzis{i}, Nikolaos", "Deane, Frank P.", "Ronan, Kevin R."],
             "year": 2025, "journal": "Journal of Consulting and Clinical Psychology", "doi": f"10.1037/ccp{i}0001",
             "pmid": str(39300000 + i)} for i in range(4)]


@pytest.fixture
def sized_page(new_page):
    def make(width: int, scheme: str):
        return new_page(width, 844 if width == PHONE else 900, color_scheme=scheme, device_scale_factor=1)

    return make


def overflow(page) -> int:  # noqa: ANN001
    return page.evaluate("document.documentElement.scrollWidth")


def on_screen(page, selector: str, width: int, height: int) -> bool:  # noqa: ANN001
    """The element is rendered and lies wholly inside the viewport as first shown (no scrolling)."""
    box = page.locator(selector).first.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5 \
        and box["y"] >= 0 and box["y"] + box["height"] <= height + 0.5


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_every_page_fits_and_keeps_nav_and_decisions_on_screen(live_server, users, engine, sized_page, width,
                                                              scheme):
    wid = add_works(engine, records())[0]
    page = sized_page(width, scheme)
    page.goto(live_server.url + "/login")
    assert overflow(page) <= width
    shot(page, f"layout-login-{width}-{scheme}")
    login(page, live_server.url, "root")
    height = page.viewport_size["height"]
    for path in PAGES:
        page.goto(live_server.url + path.format(wid=wid))
        name = path.strip("/").split("/")[0] or "home"
        shot(page, f"layout-{name}-{width}-{scheme}")
        assert overflow(page) <= width, (f"{path} is {overflow(page)} px wide at {width} px: " + page.evaluate(
            "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > "
            "document.documentElement.clientWidth + 0.5).slice(0, 5).map(e => e.tagName + '.' + e.className)"
            ".join(' ')"))
        links = page.locator(".nav a")
        assert links.count() >= 4
        for i in range(links.count()):
            assert on_screen(page, f".nav a >> nth={i}", width, height), f"{path}: nav link {i} is off screen"
        assert on_screen(page, ".who button", width, height), f"{path}: sign out is off screen"
    page.goto(live_server.url + f"/works/{wid}")
    for button in ("#decide button.include", "#decide button.maybe", "#reasons legend"):
        assert on_screen(page, button, width, height), f"{button} needs scrolling at {width} px"
    page.locator(".abstract").scroll_into_view_if_needed()
    page.mouse.wheel(0, 600)
    assert on_screen(page, "#decide button.include", width, height)   # still there while reading the abstract
    page.screenshot(path=str(shot(page, f"layout-record-scrolled-{width}-{scheme}")), full_page=False)
    if scheme == "dark":   # the page really is dark, not the light theme with a dark OS
        bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert sum(int(x) for x in bg[bg.index("(") + 1:-1].split(",")[:3]) < 150, bg
