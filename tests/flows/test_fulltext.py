"""The open-access finder as the monitor's step (SQLite and PostgreSQL): records at full text are looked up once,
cached with the date checked, looked up again only after the re-check delay; Unpaywall replayed by `responses`
from recorded answers (a known DOI, an unknown one: 404, a malformed one: 422)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import responses
from sqlalchemy import update

from livereview.flows.fulltext import find_full_texts
from livereview.records.model import Record
from livereview.settings import Settings
from livereview.store.clock import utcnow
from livereview.store.db import reading, transaction
from livereview.store.fulltext import cached_link, works_due
from livereview.store.ingest import Provenance, ingest_records
from livereview.store.models import FullTextLink, Work
from livereview.store.screening import record_decision

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "unpaywall"
BASE = "https://api.unpaywall.test/v2/"
DOIS = {"10.7717/peerj.4375": "doi_10.7717_peerj.4375.json", "10.1234/unknown.doi.0000": "error_404_unknown_doi.json",
        "10.1016/s0140-6736(24)02600-x": "doi_closed.json"}


def settings(**kw) -> Settings:
    return Settings(**{"unpaywall_base_url": BASE, "contact_email": "team@example.org", "http_retries": 0, **kw})


def works_at_full_text(engine, dois, *, open_one=True):
    recs = [Record(source="crossref", source_id=d, doi=d, title=f"Homework study {i} with its own title {i * 31}",
                   year=2018) for i, d in enumerate(dois)]
    if open_one:
        recs.append(Record(source="crossref", source_id="open", doi="10.5555/still.screening",
                           title="A record still at title and abstract", year=2018))
    with transaction(engine) as s:
        rep = ingest_records(s, recs, Provenance(origin="search", actor="test"))
    ids = [w for _, w in rep.classifications if w is not None]
    with transaction(engine) as s:
        for wid in ids[:len(dois)]:
            for who in ("ann", "bob"):
                record_decision(s, s.get(Work, wid), reviewer=who, stage="title-abstract", decision="include")
    return ids


def replay_unpaywall(rsps):
    for doi, name in DOIS.items():
        rsps.get(BASE + doi, body=(FIX / name).read_bytes(), status=404 if name.startswith("error_404") else 200)
    rsps.get(BASE + "not-a-doi", body=(FIX / "error_422_malformed_doi.json").read_bytes(), status=422)


@responses.activate
def test_the_monitor_step_caches_the_best_link_and_waits_before_asking_again(engine):
    replay_unpaywall(responses)
    ids = works_at_full_text(engine, [*DOIS, "not-a-doi"])
    summary = find_full_texts(engine, settings())
    assert summary == {"checked": 4, "found": 1, "with_problems": 1}
    assert len(responses.calls) == 4                               # one request per record at full text
    with reading(engine) as s:
        gold, unknown, closed, malformed = (cached_link(s, w) for w in ids[:4])
        assert (gold.pdf_url, gold.version, gold.license, gold.source) == (
            "https://peerj.com/articles/4375.pdf", "published", "cc-by", "unpaywall")
        assert unknown.url is None and unknown.problems == [] and closed.url is None
        assert malformed.url is None and "HTTP 422" in malformed.problems[0]
        assert "team@example.org" not in malformed.problems[0]
        assert cached_link(s, ids[4]) is None                      # still at title/abstract: not looked up
    assert find_full_texts(engine, settings()) == {"checked": 0, "found": 0, "with_problems": 0}
    assert len(responses.calls) == 4
    with transaction(engine) as s:                                # 31 days later the cache is due again
        s.execute(update(FullTextLink).values(checked_at=utcnow() - timedelta(days=31)))
    with reading(engine) as s:
        assert sorted(works_due(s, days=30)) == sorted(ids[:4])
    assert find_full_texts(engine, settings())["checked"] == 4 and len(responses.calls) == 8


def test_without_a_contact_email_unpaywall_is_not_asked_and_the_record_says_why(engine):
    [wid] = works_at_full_text(engine, ["10.7717/peerj.4375"], open_one=False)
    with responses.RequestsMock() as rsps:                         # any request would fail the test
        summary = find_full_texts(engine, settings(contact_email=None))
        assert len(rsps.calls) == 0
    assert summary == {"checked": 1, "found": 0, "with_problems": 0}   # a setting, not a failure
    with reading(engine) as s:
        assert "LIVEREVIEW_CONTACT_EMAIL is not set" in cached_link(s, wid).problems[0]
