"""``livereview demo``: the whole product without a network, in a store of its own.

1. a loopback stand-in answers like PubMed, Europe PMC, Crossref, OpenAlex and a journal feed, serving
   recorded real responses (tests/fixtures) rewritten to demo papers (:mod:`demo.replay`);
2. a separate data folder (never the real store) gets the protocol (feeds pointed at the stand-in),
   the seed corpus, and two monitor runs (the second finds what appeared since the first);
3. two demo reviewers screen part of the queue, so the dashboard and the PRISMA diagram have numbers;
4. the digest is written to the demo outbox; a demo account is created; the web app is served.
"""

from __future__ import annotations

import os
import random
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from livereview.demo.replay import FIXTURES, ReplayServer, homework_paper

DEMO_USER = "demo"
SECOND_REVIEWER = "alex (demo)"
TOPICS = [
    ("Homework compliance in cognitive behavioural therapy for depression", "counselling"),
    ("Between-session activities in executive coaching: a qualitative study", "coaching"),
    ("Inter-session assignments and outcome in online counselling", "counselling"),
    ("Homework adherence in exposure therapy for anxiety disorders", "therapy"),
    ("Coaching clients' experience of between-session tasks", "coaching"),
    ("Therapist skill in reviewing homework assignments", "therapy"),
    ("Behavioural experiments as homework in group therapy", "therapy"),
    ("Home practice in mindfulness-based coaching programmes", "coaching"),
]
SOURCE_MIXES = [
    {"pubmed", "europepmc", "crossref", "openalex", "feeds"}, {"pubmed", "europepmc", "openalex"},
    {"crossref", "openalex"}, {"openalex"}, {"pubmed"}, {"crossref"}, {"europepmc", "pubmed"},
]


@dataclass
class DemoResult:
    data_dir: Path
    database_url: str
    outbox: Path
    runs: list[dict]
    user: str
    password: str
    works: int


def demo_environment(data_dir: Path, replay: ReplayServer) -> dict[str, str]:
    """Settings for the demo: its own data folder and SQLite store, every source pointed at the stand-in."""
    env = replay.env() | {
        "LIVEREVIEW_DATA_DIR": str(data_dir),
        "LIVEREVIEW_DATABASE_URL": f"sqlite:///{data_dir / 'livereview.db'}",
        "LIVEREVIEW_PROTOCOL": str(data_dir / "protocol" / "ia-coaching.toml"),
        "LIVEREVIEW_OUTBOX_DIR": str(data_dir / "outbox"),
        "LIVEREVIEW_DIGEST_TO": "review-team@example.org",
        "LIVEREVIEW_CONTACT_EMAIL": "demo@example.org",
    }
    env.pop("LIVEREVIEW_NCBI_API_KEY", None)
    return env


def _papers(today: date, count: int, start: int, rng: random.Random, *, recent: bool) -> list:
    out = []
    for i in range(count):
        n = start + i
        title, _domain = TOPICS[n % len(TOPICS)]
        created = today - timedelta(days=rng.randint(0, 5) if recent else rng.randint(14, 700))
        out.append(homework_paper(n, created, title=f"{title} ({n})", sources=set(rng.choice(SOURCE_MIXES))))
    return out


def _screen(engine, protocol, rng: random.Random) -> None:  # noqa: ANN001
    """Two demo reviewers screen about two thirds of the queue; a few reach full text."""
    from sqlalchemy import select

    from livereview.store.db import transaction
    from livereview.store.models import Work
    from livereview.store.screening import record_decision

    reasons = [r for r, _ in protocol.exclusion_reasons]
    required = protocol.review.reviewers_per_record
    with transaction(engine) as s:
        works = list(s.scalars(select(Work).where(Work.status == "queued", Work.origin == "search")
                               .order_by(Work.id)))
        for w in works[: len(works) * 2 // 3]:
            include = rng.random() < 0.35
            for who in (DEMO_USER, SECOND_REVIEWER)[:required]:
                record_decision(s, w, reviewer=who, stage="title-abstract",
                                decision="include" if include else "exclude",
                                reason=None if include else rng.choice(reasons), reviewers_required=required)
            if include and rng.random() < 0.7:
                keep = rng.random() < 0.5
                retrieved = rng.random() > 0.1
                for who in (DEMO_USER, SECOND_REVIEWER)[:required]:
                    record_decision(s, w, reviewer=who, stage="full-text",
                                    decision="include" if keep and retrieved else "exclude",
                                    reason=None if keep and retrieved else
                                    ("not-retrieved" if not retrieved else rng.choice(reasons)),
                                    report_retrieved=retrieved, reviewers_required=required)


def prepare(data_dir: Path, *, fixtures: Path = FIXTURES, papers: int = 60,
            say: Callable[[str], None] = print) -> tuple[DemoResult, ReplayServer, dict[str, str]]:
    """Build the demo store (stand-in running, two runs, screening, digest, account). The caller stops the server."""
    from livereview.settings import BUNDLED_PROTOCOL

    if not (fixtures / "pubmed").is_dir():
        from livereview.errors import ConfigError

        raise ConfigError(f"the demo replays recorded responses from {fixtures}, which is missing: run it from a "
                          "source checkout (git clone …; make demo)")
    data_dir.mkdir(parents=True, exist_ok=True)
    replay = ReplayServer(fixtures).__enter__()
    env = demo_environment(data_dir, replay)
    os.environ.update(env)          # the flows read their settings from the environment, as in production
    proto_dir = data_dir / "protocol"
    proto_dir.mkdir(exist_ok=True)
    bundled = BUNDLED_PROTOCOL
    shutil.copy(bundled.parent / "ia-coaching-included.csv", proto_dir)
    (proto_dir / "ia-coaching.toml").write_text(replay.protocol_text(bundled.read_text(encoding="utf-8")),
                                                encoding="utf-8")

    from livereview.digests.service import run_digest
    from livereview.flows.init_store import init_store
    from livereview.flows.monitor import execute_monitor
    from livereview.store.accounts import add_user, get_user
    from livereview.store.context import open_store
    from livereview.store.db import reading, transaction
    from livereview.store.models import Work
    from livereview.web.passwords import hash_password

    rng = random.Random(20231)
    today = date.today()
    with open_store(proto_dir / "ia-coaching.toml", require_schema=False) as opened:  # init_store creates it
        settings, protocol, engine = opened.settings, opened.protocol, opened.engine
        init_store(engine, protocol)
        runs = []
        replay.replay.add(*_papers(today, papers, 1, rng, recent=False))
        say("demo: first monitor run against the loopback stand-in …")
        runs.append(execute_monitor(settings, protocol, engine, alert=False))
        replay.replay.add(*_papers(today, max(3, papers // 6), papers + 1, rng, recent=True))
        say("demo: second run (finds what appeared since) …")
        runs.append(execute_monitor(settings, protocol, engine, alert=False))
        _screen(engine, protocol, rng)
        outcome = run_digest(engine, protocol, settings, send=False, outbox=data_dir / "outbox", force=True)
        for line in outcome.lines():
            say(f"demo: {line}")
        password = secrets.token_urlsafe(9)
        with transaction(engine) as s:
            user = get_user(s, DEMO_USER)
            if user is None:
                add_user(s, DEMO_USER, hash_password(password), admin=True, actor="livereview demo")
            else:
                from livereview.store.accounts import set_password

                set_password(s, user, hash_password(password), actor="livereview demo")
        with reading(engine) as s:
            from sqlalchemy import func, select

            works = s.scalar(select(func.count()).select_from(Work)) or 0
    result = DemoResult(data_dir=data_dir, database_url=settings.resolved_database_url, outbox=data_dir / "outbox",
                        runs=runs, user=DEMO_USER, password=password, works=works)
    return result, replay, env
