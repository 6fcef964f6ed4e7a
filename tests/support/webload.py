"""Many reviewers deciding at once against a live app: the driver shared by the load test and the page benchmark.

Each reviewer has its own HTTP client (its own connection and cookies) in its own thread: it signs in through
the login form, takes the CSRF token from its queue page, then posts title/abstract decisions on its own open
records as fast as the app answers — as the browser does — until the time is up. A bystander meanwhile loads
pages (the sign-in page signed out, then the queue, a record and the dashboard signed in). Every request's outcome
and latency is kept; :func:`reconcile` then compares the answered decisions with the rows the store holds.

Loopback only, bounded in time (``seconds`` plus one client timeout) and in count (one decision per record).
"""

from __future__ import annotations

import contextlib
import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests
from webharness import PASSWORD

VOTES = ("include", "exclude", "maybe")


@dataclass
class Outcome:
    """One request: what it was for, how long it took, and what came back (``status`` 0: no answer)."""

    kind: str
    ms: float
    status: int
    error: str = ""
    reviewer: str = ""
    work_id: int | None = None


@dataclass
class LoadResult:
    seconds: float
    decisions: list[Outcome] = field(default_factory=list)
    pages: list[Outcome] = field(default_factory=list)        # the bystander's pages under load
    signins: list[Outcome] = field(default_factory=list)      # the reviewers' own sign-ins

    @property
    def answered(self) -> list[Outcome]:
        return [o for o in self.decisions if o.status == 303]

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.decisions + self.pages + self.signins if o.error or o.status >= 400]


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if not found:
        raise RuntimeError("no CSRF token in the page")
    return found.group(1)


def _timed(out: list[Outcome], kind: str, call: Any, *, reviewer: str = "", work_id: int | None = None) -> Any:
    t = time.perf_counter()
    try:
        resp = call()
    except requests.RequestException as exc:
        out.append(Outcome(kind, (time.perf_counter() - t) * 1000, 0, type(exc).__name__, reviewer, work_id))
        return None
    status = resp.status_code
    error = "" if status < 400 else f"HTTP {status}"
    out.append(Outcome(kind, (time.perf_counter() - t) * 1000, status, error, reviewer, work_id))
    return resp


def sign_in(base: str, name: str, out: list[Outcome], timeout: float) -> tuple[requests.Session, str] | None:
    """A signed-in client and its CSRF token (through the login form and the queue page, as a browser)."""
    s = requests.Session()
    page = _timed(out, "sign-in page", lambda: s.get(f"{base}/login", timeout=timeout), reviewer=name)
    if page is None or page.status_code != 200:
        return None
    r = _timed(out, "sign-in POST", lambda: s.post(
        f"{base}/login", data={"name": name, "password": PASSWORD, "csrf_token": _csrf(page.text), "next": "/queue"},
        allow_redirects=False, timeout=timeout), reviewer=name)
    if r is None or r.status_code != 303:
        return None
    queue = _timed(out, "queue page", lambda: s.get(f"{base}/queue?mine=1", timeout=timeout), reviewer=name)
    if queue is None or queue.status_code != 200:
        return None
    return s, _csrf(queue.text)


def _reviewer(base: str, name: str, work_ids: list[int], deadline: list[float], timeout: float,
              result: LoadResult, lock: threading.Lock, start: threading.Barrier, go: threading.Event,
              think: float, jitter: float = 0.0) -> None:
    rnd = random.Random(name)   # each reviewer reads at their own pace, the same in every run
    signins: list[Outcome] = []
    decisions: list[Outcome] = []
    client = sign_in(base, name, signins, timeout)
    with contextlib.suppress(threading.BrokenBarrierError):
        start.wait(timeout=120)
    go.wait(timeout=120)
    until = deadline[0]
    if client is not None:
        s, token = client
        for i, wid in enumerate(work_ids):
            if time.monotonic() >= until:
                break
            vote = VOTES[(i + len(name)) % 3]
            _timed(decisions, "decision POST", lambda w=wid, v=vote: s.post(
                f"{base}/works/{w}/decision",
                data={"stage": "title-abstract", "decision": v, "csrf_token": token, "back": "mine=1"},
                allow_redirects=False, timeout=timeout), reviewer=name, work_id=wid)
            if think:
                time.sleep(think * rnd.uniform(1 - jitter, 1 + jitter))
        s.close()
    with lock:
        result.signins += signins
        result.decisions += decisions


def browse(base: str, name: str, until: float, timeout: float, out: list[Outcome], *, work_ids: list[int],
           pause: float = 0.05) -> None:
    """A bystander: the sign-in page signed out, then (signed in) the queue, a record and the dashboard, in turn."""
    anon = requests.Session()
    client = None
    i = 0
    while time.monotonic() < until:
        _timed(out, "sign-in page (signed out)", lambda: anon.get(f"{base}/login", timeout=timeout))
        if client is None:
            client = sign_in(base, name, [], timeout)
            continue
        s, _ = client
        _timed(out, "queue page", lambda: s.get(f"{base}/queue", timeout=timeout))
        wid = work_ids[i % len(work_ids)]
        _timed(out, "record page", lambda w=wid: s.get(f"{base}/works/{w}", timeout=timeout))
        _timed(out, "dashboard", lambda: s.get(f"{base}/dashboard", timeout=timeout))
        i += 1
        time.sleep(pause)


def run_load(base: str, assignments: dict[str, list[int]], seconds: float, *, timeout: float = 90.0,
             bystander: str | None = None, browse_ids: list[int] | None = None, think: float = 0.0,
             jitter: float = 0.0) -> LoadResult:
    """Every reviewer in ``assignments`` decides on its own records for ``seconds``, pausing ``think`` seconds
    after each answer (0: as fast as the app answers; ``jitter`` 0.5: each pause drawn between 0.5 and 1.5 times
    ``think``, so the reviewers, who start together, do not stay in step); returns every outcome."""
    result = LoadResult(seconds)
    lock = threading.Lock()
    start = threading.Barrier(len(assignments) + 1)
    go = threading.Event()
    deadline = [0.0]
    threads = [threading.Thread(target=_reviewer, name=f"load-{name}", daemon=True,
                                args=(base, name, ids, deadline, timeout, result, lock, start, go, think, jitter))
               for name, ids in assignments.items()]
    for t in threads:
        t.start()
    with contextlib.suppress(threading.BrokenBarrierError):   # the clock starts once everyone has signed in
        start.wait(timeout=120)
    deadline[0] = time.monotonic() + seconds
    go.set()
    bthread = None
    if bystander:
        bthread = threading.Thread(target=browse, args=(base, bystander, deadline[0], timeout, result.pages),
                                   kwargs={"work_ids": browse_ids or [1]}, name="load-bystander", daemon=True)
        bthread.start()
    for t in threads:
        t.join(seconds + timeout + 30)
    if bthread is not None:
        bthread.join(timeout + 30)
    return result


@dataclass(frozen=True)
class Reconciliation:
    """Answered decisions against stored rows, per (reviewer, record)."""

    answered: int
    stored: int
    answered_not_stored: list[tuple[str, int]]
    stored_not_answered: list[tuple[str, int]]
    stored_twice: list[tuple[str, int]]

    @property
    def exact(self) -> bool:
        return not (self.answered_not_stored or self.stored_not_answered or self.stored_twice)


def reconcile(engine: Any, result: LoadResult) -> Reconciliation:
    """Compare the decisions the app answered (303) with the title/abstract rows stored for those reviewers."""
    from sqlalchemy import select

    from livereview.store.db import reading
    from livereview.store.models import Decision

    reviewers = sorted({o.reviewer for o in result.decisions} | {o.reviewer for o in result.signins})
    with reading(engine) as s:
        rows = Counter((r, w) for r, w in s.execute(select(Decision.reviewer, Decision.work_id).where(
            Decision.reviewer.in_(reviewers), Decision.stage == "title-abstract")))
    answered = {(o.reviewer, o.work_id) for o in result.answered}
    stored = set(rows)
    return Reconciliation(
        answered=len(answered), stored=sum(rows.values()),
        answered_not_stored=sorted(answered - stored), stored_not_answered=sorted(stored - answered),
        stored_twice=sorted(k for k, n in rows.items() if n > 1))
