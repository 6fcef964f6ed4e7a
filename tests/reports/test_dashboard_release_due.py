"""The dashboard says when the protocol's living-review rules call for a new version, and since when."""

from sqlalchemy import select

from livereview.flows.init_store import init_store
from livereview.reports.dashboard import collect
from livereview.store.clock import as_utc
from livereview.store.db import reading, transaction
from livereview.store.models import Notice, Work


def test_a_retracted_include_puts_a_new_version_due_notice_on_the_dashboard(engine, protocol):
    init_store(engine, protocol)
    with reading(engine) as s:
        before = collect(s, enabled_sources=[], living=protocol)
    assert not [n for n in before.notices if n.kind == "new-version-due"]
    with transaction(engine) as s:
        seed = s.scalars(select(Work).where(Work.origin == "seed").order_by(Work.id).limit(1)).one()
        seed_id = seed.id
        s.add(Notice(work_id=seed.id, kind="retraction", evidence="pubmed:RetractionIn pmid 40000002",
                     source="pubmed"))
    with reading(engine) as s:
        detected = as_utc(s.scalars(select(Notice.detected_at)).one())
        dash = collect(s, enabled_sources=[], living=protocol)
    due = [n for n in dash.notices if n.kind == "new-version-due"]
    assert len(due) == 1 and due[0].urgent
    assert due[0].text == "a new version of the review is due: 1 included study retracted since version 1.0"
    assert due[0].at == detected
    assert f"work {seed_id}" not in due[0].text and due[0].detail is None   # nothing record-level: public too
