"""The digest reminds the team when the protocol's living-review rules call for a new version, and since when."""

from datetime import timedelta

from sqlalchemy import select

from livereview.digests.reminders import reminders
from livereview.flows.init_store import init_store
from livereview.store.clock import utcnow
from livereview.store.db import reading, transaction
from livereview.store.models import Work
from livereview.store.releases import release
from livereview.store.screening import record_decision


def test_the_first_new_coaching_include_since_the_last_version_is_in_the_digest(engine, protocol):
    init_store(engine, protocol)
    with transaction(engine) as s:
        release(s, protocol, "1.1", actor="ann")
    when = utcnow() - timedelta(seconds=5)
    with transaction(engine) as s:
        w = Work(title="Homework in executive coaching: a trial", origin="search", status="queued",
                 domain="coaching", authors=[])
        s.add(w)
        s.flush()
        for stage in ("title-abstract", "full-text"):
            for who in ("ann", "bob", "cat"):
                record_decision(s, w, reviewer=who, stage=stage, decision="include", decided_at=when,
                                reviewers_required=protocol.review.reviewers_by_stage)
    with reading(engine) as s:
        assert s.scalar(select(Work.status).where(Work.id == w.id)) == "included"
        lines = [line for line in reminders(s, protocol, utcnow()) if "new version" in line]
    assert lines == [f"A new version of the review is due (since {when:%Y-%m-%d}): 1 new coaching study included "
                     "since version 1.1; release it with `livereview release VERSION`."]
