"""Attached PDFs in the store: checked by their bytes, stored once by hash, audited, and following merges — on
SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from pdfs import make_pdf
from sqlalchemy import select

from livereview.records.model import Record
from livereview.store.attachments import (
    AttachmentRefused,
    attach_pdf,
    attachments_of,
    check_pdf,
    pdf_hashes,
    pdf_path,
    sha256_of,
)
from livereview.store.db import reading, transaction
from livereview.store.ingest import Provenance, ingest_records
from livereview.store.merge import merge_works, undo_merge
from livereview.store.models import Attachment, AuditEntry, Work

CAP = 1024 * 1024


def works(engine, n=2):
    recs = [Record(source="pubmed", source_id=str(40000000 + i), pmid=str(40000000 + i),
                   title=f"Homework adherence in therapy, trial {i} of a kind nobody would merge {i * 7}",
                   year=2020 + i) for i in range(n)]
    with transaction(engine) as s:
        rep = ingest_records(s, recs, Provenance(origin="search", actor="test"))
    return [wid for _, wid in rep.classifications if wid is not None]


@pytest.mark.parametrize(("data", "problem"), [
    (b"", "the file is empty"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "not a PDF (it does not start with %PDF-)"),
    (make_pdf()[:-40], "truncated PDF (no %%EOF at its end)"),
    (make_pdf().replace(b"startxref", b"startxrex"), "damaged or truncated PDF"),
    (make_pdf(pad=CAP), "over the 1 MB limit"),
])
def test_what_is_not_a_whole_pdf_within_the_cap_is_refused_in_one_line(data, problem):
    with pytest.raises(AttachmentRefused) as err:
        check_pdf(data, filename="../../etc/paper.pdf", max_bytes=CAP)
    assert str(err.value).startswith("paper.pdf: ") and problem in str(err.value)
    assert "\n" not in str(err.value)


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "attachments"


def test_a_pdf_is_stored_once_by_its_hash_and_the_attachment_says_who_and_when(engine, folder):
    a, b = works(engine)
    pdf = make_pdf()
    with transaction(engine) as s:
        first, new1 = attach_pdf(s, s.get(Work, a), pdf, filename="Smith 2021.pdf", actor="ann", folder=folder,
                                 max_bytes=CAP)
        again, new2 = attach_pdf(s, s.get(Work, a), pdf, filename="copy.pdf", actor="bob", folder=folder,
                                 max_bytes=CAP)
        other, new3 = attach_pdf(s, s.get(Work, b), pdf, filename="same.pdf", actor="bob", folder=folder,
                                 max_bytes=CAP)
    assert (new1, new2, new3) == (True, False, True) and again.id == first.id
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert files == [pdf_path(folder, sha256_of(pdf))] and files[0].read_bytes() == pdf
    with reading(engine) as s:
        rows = attachments_of(s, a)
        assert [(r.filename, r.attached_by, r.sha256) for r in rows] == [("Smith 2021.pdf", "ann", sha256_of(pdf))]
        assert rows[0].attached_at is not None
        assert pdf_hashes(s) == {a: [sha256_of(pdf)], b: [sha256_of(pdf)]}
        audits = s.scalars(select(AuditEntry).where(AuditEntry.action == "pdf-attached")).all()
        assert [(e.actor, e.entity_id, e.details["new_file"]) for e in audits] == [("ann", a, True), ("bob", b, False)]


def test_a_refused_file_leaves_nothing_behind(engine, folder):
    [a, _] = works(engine)
    with pytest.raises(AttachmentRefused), transaction(engine) as s:
        attach_pdf(s, s.get(Work, a), b"%PDF-1.7 but cut", filename="x.pdf", actor="ann", folder=folder,
                   max_bytes=CAP)
    assert not folder.exists()
    with reading(engine) as s:
        assert s.scalars(select(Attachment)).all() == []


def test_an_attachment_follows_its_record_through_a_merge_and_back(engine, folder):
    kept, merged = works(engine)
    pdf = make_pdf("merged record's PDF")
    with transaction(engine) as s:
        attach_pdf(s, s.get(Work, merged), pdf, filename="m.pdf", actor="ann", folder=folder, max_bytes=CAP)
        m = merge_works(s, s.get(Work, kept), s.get(Work, merged), rule="manual", actor="root")
        merge_id = m.id
    with reading(engine) as s:
        assert [r.filename for r in attachments_of(s, kept)] == ["m.pdf"] and attachments_of(s, merged) == []
    with transaction(engine) as s:
        undo_merge(s, merge_id, actor="root")
    with reading(engine) as s:
        assert attachments_of(s, kept) == [] and [r.filename for r in attachments_of(s, merged)] == ["m.pdf"]
