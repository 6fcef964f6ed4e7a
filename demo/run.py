"""``livereview demo``: the whole product without a network, in a store of its own.

1. a loopback stand-in answers like PubMed, Europe PMC, Crossref, OpenAlex and a journal feed, serving real
   records (demo/data/papers.json: the seed paper's references and recorded Europe PMC / Crossref answers) in the
   shapes of recorded real responses (:mod:`demo.replay`);
2. a separate data folder (never the real store) gets the protocol (feeds pointed at the stand-in), the seed
   corpus, and a weekly monitor run for six weeks, each on its own simulated day (:func:`store.clock.simulated`),
   so growth and per-run charts show a history;
3. three reviewers screen between runs (agreements, maybes, conflicts), so the queue, dashboard, agreement and
   PRISMA pages have something real to show;
4. this week's digest goes to the demo outbox with links into the demo app; an admin and three reviewer accounts
   are created; the web app is served.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import shutil
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from pathlib import Path

from livereview.demo.replay import ReplayServer

#: the team the demo creates: an admin and three reviewers (the seed review's three independent screeners)
ADMIN = "admin"
REVIEWERS = ("ann", "ben", "cara")
#: weekly monitor runs over this many weeks before today, so the charts show a history
WEEKS = 6
SOURCE_MIXES = [
    {"pubmed", "europepmc", "crossref", "openalex", "feeds"}, {"pubmed", "europepmc", "openalex"},
    {"crossref", "openalex"}, {"openalex"}, {"pubmed"}, {"crossref"}, {"europepmc", "pubmed"},
]
OFF_TOPIC_MIXES = [{"crossref"}, {"feeds"}, {"crossref", "feeds"}]
NO_DOI_MIXES = [{"pubmed"}, {"europepmc", "pubmed"}]   # Crossref, OpenAlex and the feeds here go by DOI


def real_papers(today: date, rng: random.Random, weeks: int = WEEKS) -> list:
    """The recorded real records (demo/data/papers.json), each given the day it appears in the sources: about a
    third before the first run (the first run's backfill finds them), a third this week, the rest spread over the
    weeks of runs."""
    from livereview.demo.replay import Paper

    records = json.loads((resources.files("livereview.demo") / "data" / "papers.json").read_text("utf-8"))
    first = today - timedelta(weeks=weeks)
    out = []
    for n, r in enumerate(records, start=1):
        roll = rng.random()
        if roll < 0.3:       # there before the first run: its backfill finds them
            created = first - timedelta(days=rng.randint(3, 400))
        elif roll < 0.65:    # this week's: the digest has more than its top 15 to show
            created = today - timedelta(days=rng.randint(0, 5))
        else:
            created = first + timedelta(days=rng.randint(0, weeks * 7 - 7))
        # PubMed, Europe PMC and OpenAlex answer the protocol's query themselves (the stand-in does not search):
        # half the off-topic records come that way, the noise a broad search returns (the ranking puts them
        # last); the other half as Crossref and feed items, which the monitor checks against the protocol's
        # concepts and drops ("fetched", not "new")
        on_topic = r.get("origin", "").startswith("seed") or n % 2 == 0
        mixes = (SOURCE_MIXES if on_topic else OFF_TOPIC_MIXES) if r.get("doi") else NO_DOI_MIXES
        out.append(Paper(n, created, title=r["title"], abstract=r.get("abstract"), doi=r.get("doi") or None,
                         has_doi=bool(r.get("doi")), authors=tuple(r.get("authors") or ()),
                         journal=r.get("journal"), year=r.get("year"), sources=set(rng.choice(mixes))))
    return out


@dataclass
class DemoResult:
    data_dir: Path
    database_url: str
    outbox: Path
    runs: list[dict]
    logins: dict[str, str]        # account -> password (the first is the admin)
    works: int
    base_url: str
    env: dict[str, str] = field(default_factory=dict)   # the settings that point a shell at the demo store


def demo_environment(data_dir: Path, replay: ReplayServer, base_url: str) -> dict[str, str]:
    """Settings for the demo: its own data folder and SQLite store, every source pointed at the stand-in, and the
    web app's address as the base URL, so the digest's links open the demo app."""
    env = replay.env() | {
        "LIVEREVIEW_BASE_URL": base_url,
        "LIVEREVIEW_DATA_DIR": str(data_dir),
        "LIVEREVIEW_DATABASE_URL": f"sqlite:///{data_dir / 'livereview.db'}",
        "LIVEREVIEW_PROTOCOL": str(data_dir / "protocol" / "ia-coaching.toml"),
        "LIVEREVIEW_OUTBOX_DIR": str(data_dir / "outbox"),
        "LIVEREVIEW_DIGEST_TO": "review-team@example.org",
        "LIVEREVIEW_CONTACT_EMAIL": "demo@example.org",
    }
    env.pop("LIVEREVIEW_NCBI_API_KEY", None)
    return env


def _relevant(work) -> bool:  # noqa: ANN001
    return any(t in (work.title or "").lower() for t in ("homework", "between-session", "home practice",
                                                         "assignment", "inter-session", "compliance"))


def _screen(engine, protocol, rng: random.Random, *, share: float = 0.8) -> int:  # noqa: ANN001
    """A week's work between runs: the three reviewers screen most of what waits (mostly agreeing, a few maybes
    and disagreements), the admin resolves most conflicts, full texts of earlier includes are screened.
    Returns the votes cast."""
    from sqlalchemy import select

    from livereview.records.vocabulary import FULL_TEXT, TITLE_ABSTRACT
    from livereview.store.db import transaction
    from livereview.store.models import Work
    from livereview.store.screening import record_decision

    reasons = [r for r, _ in protocol.exclusion_reasons]
    required = protocol.review.reviewers_per_record
    team = REVIEWERS[:max(1, required)]
    cast = 0

    def waiting(s, status: str) -> list:  # noqa: ANN001
        return list(s.scalars(select(Work).where(Work.status == status, Work.origin == "search").order_by(Work.id)))

    with transaction(engine) as s:
        for w in waiting(s, "full-text-conflict") + waiting(s, "conflict"):   # last week's disagreements
            if rng.random() < 0.75:
                stage = FULL_TEXT if w.status == "full-text-conflict" else TITLE_ABSTRACT
                decision = "include" if _relevant(w) else "exclude"
                record_decision(s, w, reviewer=ADMIN, stage=stage, decision=decision, is_final=True,
                                reason=None if decision == "include" else reasons[0],
                                note="resolved at the weekly team meeting", reviewers_required=required)
                cast += 1
        for w in waiting(s, "awaiting-full-text"):
            if rng.random() < 0.7:
                keep = _relevant(w) and rng.random() < 0.7
                for who in team:
                    flip = rng.random() < 0.08
                    decision = "include" if keep != flip else "exclude"
                    record_decision(s, w, reviewer=who, stage=FULL_TEXT, decision=decision,
                                    reason=None if decision == "include" else rng.choice(reasons),
                                    report_retrieved=True, reviewers_required=required)
                    cast += 1
        works = waiting(s, "queued")
        for w in works[: round(len(works) * share)]:
            base = "include" if _relevant(w) and rng.random() < 0.85 else "exclude"
            for who in team:
                roll = rng.random()
                decision = base if roll < 0.9 else ("maybe" if roll < 0.95 else
                                                    ("exclude" if base == "include" else "include"))
                record_decision(s, w, reviewer=who, stage=TITLE_ABSTRACT, decision=decision,
                                reason=rng.choice(reasons) if decision == "exclude" else None,
                                reviewers_required=required)
                cast += 1
    return cast


def port_free(host: str, port: int) -> bool:
    """Whether the web app could listen on ``host:port`` (checked before the demo builds anything)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def prepare(data_dir: Path, *, base_url: str = "http://127.0.0.1:8000", weeks: int = WEEKS,
            say: Callable[[str], None] = print) -> tuple[DemoResult, ReplayServer, dict[str, str]]:
    """Build the demo store: the stand-in running, a weekly run for ``weeks`` weeks (each stored on its own
    simulated day), the team screening between runs, this week's digest, the accounts. The caller stops the
    server."""
    from livereview.settings import BUNDLED_PROTOCOL

    data_dir.mkdir(parents=True, exist_ok=True)
    replay = ReplayServer().__enter__()
    env = demo_environment(data_dir, replay, base_url)
    os.environ.update(env)          # the flows read their settings from the environment, as in production
    proto_dir = data_dir / "protocol"
    proto_dir.mkdir(exist_ok=True)
    bundled = BUNDLED_PROTOCOL
    shutil.copy(bundled.parent / "ia-coaching-included.csv", proto_dir)
    shutil.copy(bundled.parent / "ia-coaching-extraction.csv", proto_dir)   # Tables 2/3: extraction 1.0
    (proto_dir / "ia-coaching.toml").write_text(replay.protocol_text(bundled.read_text(encoding="utf-8")),
                                                encoding="utf-8")

    from livereview.digests.service import run_digest
    from livereview.flows.init_store import init_store
    from livereview.flows.monitor import execute_monitor
    from livereview.store.accounts import add_user, get_user, set_password
    from livereview.store.clock import simulated, utcnow
    from livereview.store.context import open_store
    from livereview.store.db import reading, transaction
    from livereview.store.models import Work
    from livereview.web.passwords import hash_password

    rng = random.Random(20231)
    now = utcnow()
    today = now.date()
    with open_store(proto_dir / "ia-coaching.toml", require_schema=False) as opened:  # init_store creates it
        settings, protocol, engine = opened.settings, opened.protocol, opened.engine
        first = datetime.combine(today - timedelta(weeks=weeks), time(6), tzinfo=UTC)
        with simulated(first - timedelta(days=1)):
            init_store(engine, protocol)
        replay.replay.add(*real_papers(today, rng, weeks))
        runs = []
        for week in range(weeks + 1):   # the last run is today's (a few minutes ago when 06:00 is still ahead)
            at = min(first + timedelta(weeks=week), now - timedelta(minutes=5))
            with simulated(at):
                runs.append(execute_monitor(settings, protocol, engine, alert=False))
            totals = runs[-1].get("totals") or {}
            say(f"demo: run {week + 1} on {at:%a %d %b} (simulated): {totals.get('fetched', 0)} fetched, "
                f"{totals.get('new', 0)} new")
            if week < weeks:   # the team screens in the days after each run; the last run's finds stay new
                with simulated(at + timedelta(days=2, hours=3)):
                    _screen(engine, protocol, rng)
        outcome = run_digest(engine, protocol, settings, send=False, outbox=data_dir / "outbox", force=True,
                             since=today - timedelta(days=7))
        for line in outcome.lines():
            say(f"demo: {line}")
        logins: dict[str, str] = {}
        with transaction(engine) as s:
            for name in (ADMIN, *REVIEWERS):
                password = secrets.token_urlsafe(9)
                user = get_user(s, name)
                if user is None:
                    add_user(s, name, hash_password(password), admin=name == ADMIN, actor="livereview demo")
                else:
                    set_password(s, user, hash_password(password), actor="livereview demo")
                logins[name] = password
        with reading(engine) as s:
            from sqlalchemy import func, select

            works = s.scalar(select(func.count()).select_from(Work)) or 0
    shell = {k: env[k] for k in ("LIVEREVIEW_DATA_DIR", "LIVEREVIEW_DATABASE_URL", "LIVEREVIEW_PROTOCOL",
                                 "LIVEREVIEW_OUTBOX_DIR", "LIVEREVIEW_BASE_URL")}
    (data_dir / "demo.env").write_text("".join(f"export {k}='{v}'\n" for k, v in shell.items()), encoding="utf-8")
    result = DemoResult(data_dir=data_dir, database_url=settings.resolved_database_url, outbox=data_dir / "outbox",
                        runs=runs, logins=logins, works=works, base_url=base_url, env=shell)
    return result, replay, env
