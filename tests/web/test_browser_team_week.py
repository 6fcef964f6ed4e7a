"""A week of a three-reviewer team and an admin, in headless Chromium, keyboard only: 30 records, disagreements,
maybes, a slip undone with ``u``, a changed decision, Enter in the note field, stray keys after the last record,
conflicts resolved, full text with two reviewers, a report not retrieved, a record reopened.

It checks the three promises of issue 24: each reviewer's stored votes are exactly the ones they meant (read from
the database); no response a reviewer's browser received about a record before they voted on it revealed anything
of the others' votes (every HTML/JSON body is scanned as it arrives); and no record ends in a status no list shows.
Screenshots (1280 and 390 px): tests/artifacts/team-*.png.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict

import pytest
from sqlalchemy import select
from webharness import add_user, add_works, login, serve, shot

from livereview.store import screening as sc
from livereview.store.db import reading
from livereview.store.models import Decision, Work

pytestmark = [pytest.mark.slow]

REVIEWERS = ("revalma", "revboris", "revcleo")
ADMIN = "admdora"
NOTES = {"revalma": "alma-note-methods-unclear", "revboris": "boris-note-sample", "revcleo": "cleo-note-setting"}
N = 30
TA, FT = sc.TITLE_ABSTRACT, sc.FULL_TEXT

# title/abstract votes per record, as keys: i include, m maybe, eK exclude with the K-th reason
PATTERNS = [
    ("i", "i", "i"), ("e1", "e1", "e1"), ("i", "e2", "i"), ("i", "i", "m"), ("e3", "e3", "m"),
    ("m", "m", "m"), ("e2", "e1", "e4"), ("i", "m", "e1"), ("e1", "i", "i"), ("i", "i", "i"),
]
PLAN = {k: dict(zip(REVIEWERS, PATTERNS[k % len(PATTERNS)], strict=True)) for k in range(N)}


def records():
    return [{"title": f"Homework between sessions in counselling: trial number {k:02d}",
             "abstract": f"Clients given inter-session homework assignments (study {k:02d}) improved more.",
             "authors": [f"Writer{k:02d}, Q"], "year": 2025, "journal": "Psychotherapy Research",
             "doi": f"10.1000/week.{k}", "pmid": str(39300000 + k)} for k in range(N)]


@pytest.fixture
def team(make_app, protocol, engine):
    """Three reviewers at title/abstract, two at full text (set per stage), an admin."""
    proto = protocol.model_copy(update={"review": protocol.review.model_copy(
        update={"reviewers_per_record": 3, "reviewers_full_text": 2})})
    for name in REVIEWERS:
        add_user(engine, name)
    add_user(engine, ADMIN, admin=True)
    with serve(make_app(protocol=proto), engine) as server:
        server.reasons = [r for r, _ in proto.exclusion_reasons]
        yield server


class Watcher:
    """Scans every HTML/JSON body a reviewer's browser receives for anything of another reviewer's vote on a
    record at a stage where the reviewer has no vote yet (and the stage still takes votes)."""

    def __init__(self, engine, name: str):
        self.engine, self.name, self.leaks, self.scanned = engine, name, [], 0
        self.others = [r for r in (*REVIEWERS, ADMIN) if r != name]

    def blind_on(self) -> set[int]:
        """Works whose current stage still takes votes and where this reviewer has none."""
        from livereview.web.queue import stage_of
        from livereview.web.review import current_votes

        out = set()
        with reading(self.engine) as s:
            works = {w.id: w.status for w in s.scalars(select(Work))}
            by_work = defaultdict(list)
            for d in s.scalars(select(Decision).order_by(Decision.id)):
                by_work[d.work_id].append(d)
            for wid, status in works.items():
                stage = stage_of(status)
                if status in sc.PENDING_STATUSES and stage and self.name not in current_votes(by_work[wid], stage):
                    out.add(wid)
        return out

    def route(self, route) -> None:
        """Every GET the browser makes passes through here: the body is scanned before the page gets it."""
        if route.request.method != "GET":
            route.continue_()
            return
        response = route.fetch(max_redirects=0)
        if response.status == 200:
            self.scan(route.request.url, response.headers.get("content-type", ""), response.text())
        route.fulfill(response=response)

    def scan(self, url: str, ctype: str, body: str) -> None:
        if "html" not in ctype and "json" not in ctype:
            return
        blind = self.blind_on()
        self.scanned += 1
        m = re.search(r"/works/(\d+)", url)
        if m and int(m.group(1)) in blind:
            wid = int(m.group(1))
            if "json" in ctype:
                data = json.loads(body)
                if data["status"] in (sc.SCREENING, sc.FULL_TEXT_SCREENING) or any(
                        st["others"] or st["conflict"] for st in data["stages"].values()
                        if st["open"]):
                    self.leaks.append((url, "json", data["status"]))
            else:
                for needle in (*self.others, *(NOTES[r] for r in REVIEWERS if r != self.name), 'class="others"',
                               "status-screening", "status-full-text-screening", 'class="badge conflict"'):
                    if needle in body:
                        self.leaks.append((url, needle, wid))
        if "/queue" in url and "html" in ctype:
            for wid, status in re.findall(r'<li class="work-row" data-href="/works/(\d+)[^"]*">.*?'
                                          r'class="status status-([a-z-]+)"', body, re.S):
                if int(wid) in blind and status in (sc.SCREENING, sc.FULL_TEXT_SCREENING, sc.CONFLICT,
                                                    sc.FULL_TEXT_CONFLICT):
                    self.leaks.append((url, status, int(wid)))
            for needle in self.others:
                if needle in body:
                    self.leaks.append((url, needle, None))


def work_id(page) -> int:
    m = re.search(r"/works/(\d+)", page.url)
    assert m, page.url
    return int(m.group(1))


def open_first(page) -> None:  # noqa: ANN001
    """On the queue, keyboard only: move to the first row (j) and open it (Enter)."""
    page.keyboard.press("j")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def press(page, keys: str) -> None:
    """A vote by key sequence ("i", "m", "e2", "r"): it navigates."""
    with page.expect_navigation():
        for key in keys:
            page.keyboard.press(key)


def meant(keys: str, reasons: list[str], stage: str = TA) -> tuple[str, str | None]:
    if keys == "i":
        return "include", None
    if keys == "m":
        return "maybe", None
    if keys == "r":
        return "exclude", "not-retrieved"
    return "exclude", reasons[int(keys[1]) - 1]


def stored(engine) -> dict[tuple[str, int, str], list[tuple[str, str | None]]]:
    """Every non-final vote row, per reviewer, record and stage, in order."""
    out = defaultdict(list)
    with reading(engine) as s:
        for d in s.scalars(select(Decision).where(Decision.is_final.is_(False)).order_by(Decision.id)):
            out[(d.reviewer, d.work_id, d.stage)].append((d.decision, d.reason))
    return out


@pytest.mark.parametrize("database_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
                         indirect=True)
def test_a_week_of_a_three_reviewer_team(team, engine, new_page):
    url, reasons = team.url, team.reasons
    ids = add_works(engine, records())
    index = {wid: k for k, wid in enumerate(ids)}
    expected: dict[tuple[str, int, str], list[tuple[str, str | None]]] = defaultdict(list)
    pages, watchers = {}, {}
    for name in REVIEWERS:
        page = pages[name] = new_page()
        watchers[name] = Watcher(engine, name)
        page.route("**/*", watchers[name].route)
        login(page, url, name)

    # Monday to Wednesday: each reviewer screens the whole title/abstract queue, keyboard only, one after another
    for day, name in enumerate(REVIEWERS):
        page = pages[name]
        page.goto(url + "/queue?mine=1")
        if day == 1:
            shot(page, "team-queue-1280")
        open_first(page)
        seen = 0
        while "/works/" in page.url:
            wid = work_id(page)
            k = index[wid]
            keys = PLAN[k][name]
            # the record page says nothing of the others' votes; the JSON neither (scanned by the watcher too)
            assert page.request.get(f"{url}/api/works/{wid}").json()["stages"][TA]["others"] == []
            page.goto(f"{url}/api/works/{wid}")          # a response the browser itself receives, scanned
            page.go_back()
            if name == "revalma" and k == 4:               # a slip: include pressed, then u on the next page
                press(page, "i")
                assert "Recorded: Included #" in page.inner_text("#flash")
                with page.expect_navigation():
                    page.keyboard.press("u")
                assert work_id(page) == wid
                expected[(name, wid, TA)] += [("include", None), (sc.WITHDRAWN, None)]
            if name == "revalma" and k == 7:               # a note: Enter there records nothing
                page.keyboard.press("n")
                page.keyboard.type(NOTES[name])
                page.keyboard.press("Enter")
                page.wait_for_timeout(300)
                assert work_id(page) == wid and page.locator("#decide").count() == 1
                page.keyboard.press("Escape")
            if name == "revcleo" and k == 3 and day == 2:
                shot(page, "team-record-1280")
                page.set_viewport_size({"width": 390, "height": 844})
                shot(page, "team-record-390")
                page.set_viewport_size({"width": 1280, "height": 900})
            press(page, keys)
            expected[(name, wid, TA)].append(meant(keys, reasons))
            seen += 1
            if "/works/" in page.url:   # on to a record that still needs this reviewer, never one they decided
                assert (name, work_id(page), TA) not in expected, (name, index[work_id(page)])
        assert seen == N, (name, seen)
        page.wait_for_url(re.compile(r"/queue\?.*done="))
        assert "Nothing left for you" in page.inner_text("main")
        for key in ("i", "m", "e", "1", "Enter", "r"):                        # stray keys on the queue
            page.keyboard.press(key)
        page.wait_for_timeout(200)
        if name == "revboris":   # Tuesday evening: a changed mind on record 2 (his exclude → include)
            wid = ids[2]
            page.goto(f"{url}/works/{wid}")
            page.keyboard.press("i")                                          # not silent: nothing recorded
            page.wait_for_timeout(300)
            assert "/works/" in page.url and page.locator("#decide").count() == 0
            assert "Nothing recorded" in page.inner_text("#decided-hint")
            with page.expect_navigation():
                page.keyboard.press("c")
            assert "change your decision" in page.inner_text("#decide")
            press(page, "i")
            expected[(name, wid, TA)] += [(sc.WITHDRAWN, None), ("include", None)]
            PLAN[2] = {**PLAN[2], name: "i"}

    # each reviewer's title/abstract votes are the ones they meant, and nothing more
    rows = stored(engine)
    for name in REVIEWERS:
        for wid in ids:
            assert rows[(name, wid, TA)] == expected[(name, wid, TA)], (name, index[wid])

    with reading(engine) as s:
        status = {w.id: w.status for w in s.scalars(select(Work))}
    # the rule: maybe = not exclude at title/abstract; a conflict only with all three votes in
    for k, wid in enumerate(ids):
        votes = {meant(PLAN[k][r], reasons)[0] for r in REVIEWERS}
        want = (sc.EXCLUDED if votes == {"exclude"} else sc.CONFLICT if "exclude" in votes
                else sc.AWAITING_FULL_TEXT)
        assert status[wid] == want, (k, PLAN[k])
    conflicts = [wid for wid in ids if status[wid] == sc.CONFLICT]
    assert conflicts

    # Thursday: the admin resolves every conflict (the votes and reasons are shown now that all are in)
    admin = new_page()
    login(admin, url, ADMIN)
    admin.goto(url + "/queue?status=conflict")
    assert admin.locator(".work-row").count() == len(conflicts)
    shot(admin, "team-conflicts-1280")
    for n, wid in enumerate(conflicts):
        admin.goto(f"{url}/works/{wid}")
        assert all(r in admin.inner_text("#screening") for r in REVIEWERS)
        if n == 0:
            shot(admin, "team-conflict-1280")
            admin.set_viewport_size({"width": 390, "height": 844})
            shot(admin, "team-conflict-390")
            admin.set_viewport_size({"width": 1280, "height": 900})
        admin.select_option("#resolve select[name=decision]", "include" if n % 2 == 0 else "exclude")
        if n % 2:
            admin.select_option("#resolve select[name=reason]", reasons[0])
        admin.fill("#resolve input[name=note]", f"discussed at the Thursday meeting ({n})")
        with admin.expect_navigation():
            admin.click("#resolve button[type=submit]")
    with reading(engine) as s:
        status = {w.id: w.status for w in s.scalars(select(Work))}
    assert not [w for w in ids if status[w] == sc.CONFLICT]
    full_text = [w for w in ids if status[w] == sc.AWAITING_FULL_TEXT]

    # Friday: two reviewers read the full texts (two per record at this stage): includes, an exclusion with a
    # reason, a report not retrieved (r), a maybe that makes a full-text conflict
    ft_keys = {"revalma": ["i", "e2", "r", "i", "m"], "revboris": ["i", "e2", "r", "e3", "i"]}
    for name in ("revalma", "revboris"):
        page = pages[name]
        page.goto(url + "/queue?mine=1&stage=full-text")
        if name == "revboris":
            shot(page, "team-queue-fulltext-1280")
            page.set_viewport_size({"width": 390, "height": 844})
            shot(page, "team-queue-390")
            page.set_viewport_size({"width": 1280, "height": 900})
        open_first(page)
        n = 0
        while "/works/" in page.url:
            wid = work_id(page)
            keys = ft_keys[name][n % len(ft_keys[name])]
            press(page, keys)
            decision, reason = meant(keys, reasons)
            expected[(name, wid, FT)].append((decision, reason))
            n += 1
        assert n == len(full_text)
        assert "Nothing left for you" in page.inner_text("main")

    # the admin settles the full-text conflicts and reopens one excluded record, with a reason
    with reading(engine) as s:
        status = {w.id: w.status for w in s.scalars(select(Work))}
    for wid in [w for w in ids if status[w] == sc.FULL_TEXT_CONFLICT]:
        admin.goto(f"{url}/works/{wid}")
        admin.select_option("#resolve select[name=decision]", "include")
        admin.fill("#resolve input[name=note]", "full text read by the admin")
        with admin.expect_navigation():
            admin.click("#resolve button[type=submit]")
    reopened = ids[1]   # three excludes at title/abstract
    admin.goto(f"{url}/works/{reopened}")
    admin.fill("#reopen input[name=reason]", "the author's correspondence says it was a trial of homework")
    with admin.expect_navigation():
        admin.click("#reopen button[type=submit]")
    with reading(engine) as s:
        assert s.get(Work, reopened).status == sc.QUEUED
    # ...and it is back in every reviewer's "needs my decision"
    for name in REVIEWERS:
        pages[name].goto(url + "/queue?mine=1")
        assert pages[name].locator(f'.work-row[data-href^="/works/{reopened}?"]').count() == 1

    # every reviewer's stored votes, both stages, are exactly the ones they meant
    rows = stored(engine)
    assert {key for key, v in rows.items() if v} == {key for key, v in expected.items() if v}
    for key, want in expected.items():
        assert rows[key] == want, key

    # no response a reviewer received about a record before voting on it revealed another vote
    for name, w in watchers.items():
        assert w.scanned > 2 * N, (name, w.scanned)
        assert w.leaks == [], (name, w.leaks[:5])

    # no record ends where no list shows it: open ones are in a queue list someone acts on, the rest are final
    with reading(engine) as s:
        status = {w.id: w.status for w in s.scalars(select(Work))}
    admin.goto(url + "/queue?stage=full-text")
    ft_listed = {int(x) for x in re.findall(r'data-href="/works/(\d+)', admin.content())}
    for wid, st in status.items():
        assert st in sc.NEXT_STEP, (wid, st)
        if st in (sc.QUEUED, sc.SCREENING):
            assert any(pages[r].locator(f'.work-row[data-href^="/works/{wid}?"]').count() for r in REVIEWERS)
        elif st in (sc.AWAITING_FULL_TEXT, sc.FULL_TEXT_SCREENING, sc.FULL_TEXT_CONFLICT):
            assert wid in ft_listed
        else:
            assert st in sc.FINAL_STATUSES
