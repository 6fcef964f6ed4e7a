import logging
from datetime import UTC, date, datetime, time, timedelta
from email.utils import format_datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import select, update

from livereview.digests.service import run_digest
from livereview.errors import ConfigError
from livereview.records.model import Record, Relation
from livereview.store.clock import as_utc, utcnow
from livereview.store.db import reading, transaction
from livereview.store.models import DigestRecord, Notice, Work
from livereview.store.runs import start_run, start_source_run

SEED_DOI = "10.1023/a:1018703901116"
TEAM = ["ia-review-team@example.org"]


def noon(days: int) -> datetime:
    """Noon UTC ``days`` from today: the same calendar day in Europe/London, whatever the season."""
    return datetime.combine(utcnow().date() + timedelta(days=days), time(12), tzinfo=UTC)


def digests(engine) -> list[DigestRecord]:
    with transaction(engine) as s:   # committed, not rolled back: the rows stay loaded after the session
        return list(s.scalars(select(DigestRecord).order_by(DigestRecord.id)))


def digest_ids(server) -> list[str]:
    return [m.message["X-Livereview-Digest"] for m in server.messages]


def healthy_run(engine, protocol, *, failing=()):
    with transaction(engine) as s:
        run = start_run(s, "monitor", None, {})
        for src in protocol.enabled_sources:
            sr = start_source_run(s, run.id, src, "core", f"{src}:core", date(2026, 1, 1), date(2026, 1, 8), "q")
            sr.status = "failed" if src in failing else "succeeded"
            sr.error = f"{src}: HTTP 503 Service Unavailable after 5 retries" if src in failing else None
            sr.counts, sr.finished_at = {"fetched": 4}, utcnow()


@pytest.fixture
def candidates(store, make_record, ingest_into):
    ingest_into(store, [make_record(1), make_record(2, year=2024)])
    return store


def test_without_smtp_the_digest_is_written_to_the_outbox_and_recorded_pending(candidates, protocol, make_settings,
                                                                             tmp_path):
    settings = make_settings()
    out = run_digest(candidates, protocol, settings, send=True, now=noon(1))
    [row] = digests(candidates)
    stem = f"1-{noon(1):%Y-%m-%d}"
    assert (row.status, row.forced, row.recipients, row.counts["new_candidates"], row.counts["new_by_source"]) == (
        "pending", False, TEAM, 2, {"pubmed": 2})
    assert (row.eml_path, row.html_path) == (str(tmp_path / "outbox" / f"{stem}.eml"),
                                            str(tmp_path / "outbox" / f"{stem}.html"))
    eml = Path(row.eml_path).read_bytes()
    assert f"Message-ID: {row.message_id}".encode() in eml
    assert "adherence in cognitive behavioural" in Path(row.html_path).read_text()
    assert out.as_dict()["pending"] == [1] and out.as_dict()["sent"] == []
    assert out.lines()[-1] == (f"digest #1 written to outbox {row.eml_path} — not sent: SMTP not configured "
                               "(set LIVEREVIEW_SMTP_URL)")


def test_a_sent_digest_arrives_with_both_parts_the_inline_chart_and_the_headers(candidates, protocol, make_settings,
                                                                              smtp_server, tmp_path):
    server = smtp_server("smtp", auth=True)
    settings = make_settings(smtp_url=server.url, digest_from="livereview@lab.example.org")
    out = run_digest(candidates, protocol, settings, send=True, now=noon(1))
    [row] = digests(candidates)
    [got] = server.messages
    msg = got.message
    assert (got.mail_from, got.rcpt_tos, got.authenticated) == ("livereview@lab.example.org", TEAM, True)
    period = f"{as_utc(row.period_start).astimezone().date():%Y-%m-%d}"
    assert msg["Subject"] == (f"[livereview] {protocol.review.title}: 2 new candidates "
                              f"({period} – {noon(1):%Y-%m-%d})")
    assert (msg["From"], msg["To"], msg["Message-ID"], msg["Date"]) == (
        "livereview@lab.example.org", TEAM[0], row.message_id, format_datetime(noon(1)))
    assert row.message_id.endswith("@lab.example.org>")
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "1. Homework adherence in cognitive behavioural therapy: trial 1" in text
    assert "Kazantzis, N.; Deane, F.P.; Ronan, K.R. et al." in text
    [chart] = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert f'src="cid:{chart["Content-ID"].strip("<>")}"' in html
    assert chart.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (row.status, as_utc(row.sent_at), row.error) == ("sent", noon(1), None)
    assert row.eml_path == str(tmp_path / "outbox" / "sent" / f"1-{noon(1):%Y-%m-%d}.eml")
    assert Path(row.eml_path).is_file() and not list((tmp_path / "outbox").glob("*.eml"))
    assert out.lines()[-1] == f"digest #1 sent to 1 recipient via smtp://digest-bot@127.0.0.1:{server.port}"


def test_starttls_delivery_trusts_the_configured_ca(candidates, protocol, make_settings, smtp_server):
    server = smtp_server("smtp+tls", auth=True)
    out = run_digest(candidates, protocol, make_settings(smtp_url=server.url), send=True, now=noon(1))
    assert out.as_dict()["sent"] == [1]
    assert [(m.tls, m.authenticated) for m in server.messages] == [(True, True)]


def test_implicit_tls_delivery(candidates, protocol, make_settings, smtp_server):
    server = smtp_server("smtp+ssl")
    out = run_digest(candidates, protocol, make_settings(smtp_url=server.url), send=True, now=noon(1))
    assert out.as_dict()["sent"] == [1] and [m.tls for m in server.messages] == [True]


def test_a_server_that_is_down_leaves_it_pending_and_a_later_send_delivers_it_exactly_once(
        candidates, protocol, make_settings, smtp_server, closed_port):
    down = make_settings(smtp_url=f"smtp://127.0.0.1:{closed_port}")
    first = run_digest(candidates, protocol, down, send=True, now=noon(1))
    [row] = digests(candidates)
    assert row.status == "pending"
    assert row.error == f"not sent: smtp://127.0.0.1:{closed_port}: Connection refused"
    assert first.as_dict()["pending"] == [1]

    server = smtp_server("smtp")
    up = make_settings(smtp_url=server.url)
    second = run_digest(candidates, protocol, up, send=True, now=noon(1) + timedelta(hours=2))
    assert digest_ids(server) == ["1"]
    assert second.as_dict()["sent"] == [1] and second.as_dict()["digest_id"] is None
    assert second.skipped.reason.startswith("already covered by digest #1")
    third = run_digest(candidates, protocol, up, send=True, now=noon(1) + timedelta(hours=3))
    assert digest_ids(server) == ["1"] and third.as_dict()["sent"] == []
    assert [r.status for r in digests(candidates)] == ["sent"]


def test_pending_digests_go_out_oldest_first_before_the_new_one(candidates, protocol, make_settings, smtp_server,
                                                                 make_record, ingest_into):
    run_digest(candidates, protocol, make_settings(), send=True, now=noon(1))
    ingest_into(candidates, [make_record(3)])
    with transaction(candidates) as s:  # found the day after the first digest
        s.execute(update(Work).where(Work.pmid == "40000003").values(created_at=noon(1) + timedelta(hours=1)))
    run_digest(candidates, protocol, make_settings(), send=True, now=noon(2))
    server = smtp_server("smtp")
    out = run_digest(candidates, protocol, make_settings(smtp_url=server.url), send=True, now=noon(3))
    assert digest_ids(server) == ["1", "2", "3"]
    assert out.as_dict()["sent"] == [1, 2, 3]
    rows = digests(candidates)
    assert [r.status for r in rows] == ["sent"] * 3
    assert rows[1].period_start == rows[0].period_end and rows[2].period_start == rows[1].period_end
    assert [r.counts["new_candidates"] for r in rows] == [2, 1, 0]


def test_the_same_period_is_not_sent_twice_unless_forced(candidates, protocol, make_settings, smtp_server):
    server = smtp_server("smtp")
    settings = make_settings(smtp_url=server.url)
    run_digest(candidates, protocol, settings, send=True, now=noon(1))
    again = run_digest(candidates, protocol, settings, send=True, now=noon(1) + timedelta(hours=1))
    assert again.created is None and len(server.messages) == 1 and len(digests(candidates)) == 1
    assert again.lines() == [f"no new digest: already covered by digest #1 ({again.skipped.reason.split('(')[1]}"]
    assert "use --force" in again.skipped.reason

    forced = run_digest(candidates, protocol, settings, send=True, force=True, now=noon(1) + timedelta(hours=2))
    first, second = digests(candidates)
    assert (second.forced, second.status, second.period_start, as_utc(second.period_end)) == (
        True, "sent", first.period_start, noon(1) + timedelta(hours=2))
    assert forced.as_dict()["forced"] is True and digest_ids(server) == ["1", "2"]
    assert second.counts["new_candidates"] == 2   # the same candidates, sent again on purpose


def test_since_reaching_into_a_recorded_digest_needs_force(candidates, protocol, make_settings):
    settings = make_settings()
    run_digest(candidates, protocol, settings, send=False, now=noon(1))
    yesterday = (utcnow().date() - timedelta(days=1)).isoformat()
    refused = run_digest(candidates, protocol, settings, send=False, since=yesterday, now=noon(8))
    assert refused.created is None and refused.skipped.covered_by == 1
    forced = run_digest(candidates, protocol, settings, send=False, since=yesterday, force=True, now=noon(8))
    assert forced.created.forced and forced.created.counts["new_candidates"] == 2
    with pytest.raises(ConfigError, match="--since: .* is not in the past"):
        run_digest(candidates, protocol, settings, send=False, since=noon(20).date().isoformat(), now=noon(9))
    with pytest.raises(ConfigError, match="--since: 'last week' is not a date"):
        run_digest(candidates, protocol, settings, send=False, since="last week", now=noon(9))


def test_since_chooses_the_start_of_the_first_digest(candidates, protocol, make_settings):
    out = run_digest(candidates, protocol, make_settings(), send=False, since="2026-01-01", now=noon(1))
    [row] = digests(candidates)
    assert as_utc(row.period_start) == datetime(2026, 1, 1, tzinfo=UTC)   # midnight in London in winter
    assert out.created.period.label.startswith("2026-01-01 – ")


def test_outbox_without_send_only_writes_the_files(candidates, protocol, make_settings, smtp_server, tmp_path):
    server = smtp_server("smtp")
    elsewhere = tmp_path / "elsewhere"
    out = run_digest(candidates, protocol, make_settings(smtp_url=server.url), send=False, outbox=elsewhere,
                     now=noon(1))
    assert server.messages == []
    assert sorted(p.name for p in elsewhere.iterdir()) == [f"1-{noon(1):%Y-%m-%d}.eml", f"1-{noon(1):%Y-%m-%d}.html"]
    assert [r.status for r in digests(candidates)] == ["pending"]
    assert out.lines()[-1].endswith("— pending; deliver with `livereview digest --send`")


def test_notices_are_reported_in_one_digest_only(store, protocol, make_settings, ingest_into):
    ingest_into(store, [Record(source="pubmed", source_id="9", pmid="9", doi=SEED_DOI,
                               relations=[Relation("retraction-in", "pmid", "99")])])
    first = run_digest(store, protocol, make_settings(), send=False, now=noon(1))
    assert first.created.counts["notices"] == 1
    with reading(store) as s:
        assert [n.digest_id for n in s.scalars(select(Notice))] == [1]
    text = Path(first.created.eml_path).read_bytes()
    assert b"RETRACTION of an INCLUDED study" in text
    second = run_digest(store, protocol, make_settings(), send=False, now=noon(8))
    assert second.created.counts["notices"] == 0


def test_an_empty_week_sends_a_heartbeat(candidates, protocol, make_settings, smtp_server):
    server = smtp_server("smtp")
    settings = make_settings(smtp_url=server.url)
    run_digest(candidates, protocol, settings, send=True, now=noon(1))
    healthy_run(candidates, protocol)
    run_digest(candidates, protocol, settings, send=True, now=noon(8))
    msg = server.messages[-1].message
    assert msg["Subject"].endswith(f": 0 new candidates ({noon(1):%Y-%m-%d} – {noon(8):%Y-%m-%d})")
    assert "Nothing new this period; all sources healthy." in msg.get_body(("plain",)).get_content()
    assert "Nothing new this period; all sources healthy." in msg.get_body(("html",)).get_content()


def test_a_failing_source_is_shown_in_the_digest(candidates, protocol, make_settings, smtp_server):
    server = smtp_server("smtp")
    settings = make_settings(smtp_url=server.url)
    run_digest(candidates, protocol, settings, send=True, now=noon(1))
    healthy_run(candidates, protocol, failing=("crossref",))
    out = run_digest(candidates, protocol, settings, send=True, now=noon(8))
    msg = server.messages[-1].message
    text, html = msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()
    assert "Nothing new this period, but crossref is failing (see source health below)." in text
    assert "SOURCE FAILING: crossref (1 run in a row): crossref: HTTP 503 Service Unavailable after 5 retries" in text
    assert "<b>Source failing: crossref</b> (1 run in a row)" in html
    assert out.created.counts["failing_sources"] == ["crossref"]


class _Attrs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs


def test_hostile_records_arrive_escaped_with_no_unsafe_link(store, protocol, make_settings, smtp_server, ingest_into):
    ingest_into(store, [Record(
        source="crossref", source_id="evil-1", doi="javascript:alert(document.cookie)", url="javascript:alert(2)",
        title='<script>alert(1)</script> Homework in therapy <img src=x onerror="alert(3)">',
        abstract='Homework <a href="javascript:alert(4)">assignments</a> <style>body{display:none}</style>',
        authors=["<b onmouseover=alert(5)>Evil</b>, E."], journal="<iframe src=//evil.example>", year=2025)])
    server = smtp_server("smtp")
    run_digest(store, protocol, make_settings(smtp_url=server.url), send=True, now=noon(1))
    html = server.messages[0].message.get_body(("html",)).get_content()
    doc = _Attrs()
    doc.feed(html)
    assert not {"script", "iframe", "style", "a"} & set(doc.tags) - {"a"}
    assert not [k for k, _ in doc.attrs if k.startswith("on")]
    assert all(v.startswith("https://") for k, v in doc.attrs if k == "href")
    assert "javascript:" not in " ".join(v for _, v in doc.attrs if v)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '&lt;img src=x onerror=&#34;alert(3)&#34;&gt;' in html
    assert "&lt;b onmouseover=alert(5)&gt;Evil&lt;/b&gt;, E." in html


def test_a_wrong_password_leaves_it_pending_and_the_password_nowhere(candidates, protocol, make_settings,
                                                                      smtp_server, caplog, capsys):
    server = smtp_server("smtp", auth=True)
    wrong = "Hunter2-Wrong-Pa55"
    settings = make_settings(smtp_url=f"smtp://digest-bot:{wrong}@127.0.0.1:{server.port}")
    with caplog.at_level(logging.DEBUG):
        out = run_digest(candidates, protocol, settings, send=True, now=noon(1))
    [row] = digests(candidates)
    assert row.status == "pending" and server.messages == []
    assert row.error.startswith(f"not sent: smtp://digest-bot@127.0.0.1:{server.port}: SMTPAuthenticationError 535")
    everywhere = [row.error, str(row.counts), caplog.text, str(out.as_dict()), "\n".join(out.lines()),
                  Path(row.eml_path).read_text(), Path(row.html_path).read_text(), str(settings), repr(settings),
                  *capsys.readouterr()]
    assert not [text for text in everywhere if wrong in text]


def test_a_message_the_server_rejects_stays_pending_and_is_retried(candidates, protocol, make_settings, smtp_server):
    server = smtp_server("smtp")
    server.inbox.reject = "554 5.6.0 Message refused by policy"
    settings = make_settings(smtp_url=server.url)
    out = run_digest(candidates, protocol, settings, send=True, now=noon(1))
    assert out.as_dict()["pending"] == [1]
    assert digests(candidates)[0].error == (f"not sent: smtp://127.0.0.1:{server.port}: SMTPDataError 554: "
                                            "5.6.0 Message refused by policy")
    server.inbox.reject = None
    again = run_digest(candidates, protocol, settings, send=True, now=noon(1) + timedelta(hours=1))
    assert again.as_dict()["sent"] == [1] and digest_ids(server) == ["1"]


def test_a_pending_digest_goes_to_the_recipients_it_was_rendered_for_and_a_new_one_to_the_new_list(
        candidates, protocol, make_settings, smtp_server):
    first = run_digest(candidates, protocol, make_settings(), send=True, now=noon(1))   # for the protocol's list
    rendered_for = list(protocol.digest.recipients)
    assert first.created.recipients == rendered_for
    server = smtp_server("smtp")
    settings = make_settings(smtp_url=server.url, digest_to="ann@lab.example.org, bob@lab.example.org")
    run_digest(candidates, protocol, settings, send=True, now=noon(8))
    old, new = server.messages
    assert old.rcpt_tos == rendered_for and old.message["To"] == ", ".join(rendered_for)
    assert new.rcpt_tos == ["ann@lab.example.org", "bob@lab.example.org"]
    assert [d.recipients for d in digests(candidates)] == [rendered_for, ["ann@lab.example.org", "bob@lab.example.org"]]
    assert digests(candidates)[0].error is None


def test_a_digest_rendered_for_nobody_is_re_addressed_and_says_so(candidates, protocol, make_settings, smtp_server):
    protocol = protocol.model_copy(update={"digest": protocol.digest.model_copy(update={"recipients": []})})
    made = run_digest(candidates, protocol, make_settings(), send=True, now=noon(1))
    assert made.created.recipients == []
    server = smtp_server("smtp")
    settings = make_settings(smtp_url=server.url, digest_to="ann@lab.example.org")
    out = run_digest(candidates, protocol, settings, send=True, now=noon(1) + timedelta(hours=1))
    [got] = server.messages
    assert got.rcpt_tos == ["ann@lab.example.org"]
    sent = [d for d in out.deliveries if d.status == "sent"]
    assert sent and "re-addressed to the current recipients" in (sent[0].reason or "")
    assert "re-addressed" in (digests(candidates)[0].error or "")


def test_a_pending_digest_whose_file_is_gone_fails_and_its_period_and_notices_return(store, protocol, make_settings,
                                                                                   smtp_server, ingest_into):
    ingest_into(store, [Record(source="pubmed", source_id="9", pmid="9", doi=SEED_DOI,
                               relations=[Relation("retraction-in", "pmid", "99")])])
    first = run_digest(store, protocol, make_settings(), send=False, now=noon(1))
    Path(first.created.eml_path).unlink()
    server = smtp_server("smtp")
    out = run_digest(store, protocol, make_settings(smtp_url=server.url), send=True, now=noon(1) + timedelta(hours=1))
    assert out.as_dict()["failed"] == [1] and out.as_dict()["sent"] == [2]
    failed, resent = digests(store)
    assert failed.status == "failed" and "outbox file unreadable" in failed.error
    assert resent.period_start == failed.period_start and resent.counts["notices"] == 1
    assert digest_ids(server) == ["2"]


def test_a_malformed_smtp_url_fails_before_anything_is_written(candidates, protocol, make_settings):
    with pytest.raises(ConfigError, match="LIVEREVIEW_SMTP_URL: unknown scheme smtps://"):
        run_digest(candidates, protocol, make_settings(smtp_url="smtps://u:topsecret@h"), send=True, now=noon(1))
    assert digests(candidates) == []
