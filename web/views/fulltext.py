"""Full texts on the record page: attach a PDF (checked, stored by hash, audited) and download one (never inline).

A download is an attachment (``Content-Disposition: attachment``) with ``X-Content-Type-Options: nosniff`` and a
sandboxing Content-Security-Policy (``sandbox; default-src 'none'``): even a browser that opened it could run
nothing from it and reach nothing.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from livereview.store.accounts import User
from livereview.store.attachments import AttachmentRefused, attach_pdf, pdf_path
from livereview.store.models import Attachment, Work
from livereview.web.context import current_user, get_db, state, writing
from livereview.web.errors import BadRequest, NotFound
from livereview.web.security import form_fields, form_file, upload_route

router = APIRouter()
#: what a download carries besides the app's own headers
DOWNLOAD_HEADERS = {
    "content-security-policy": "sandbox; default-src 'none'",
    "x-content-type-options": "nosniff",
    "x-download-options": "noopen",
    "cross-origin-resource-policy": "same-origin",
}
PDF_FIELD = "pdf"
upload_route(r"/works/\d+/pdf", lambda settings: settings.pdf_max_bytes)


@router.post("/works/{work_id}/pdf", name="work_attach_pdf")
def attach(request: Request, work_id: int, form: dict[str, str] = Depends(form_fields),
           user: User = Depends(current_user)) -> Response:
    """Attach one PDF to a record. Refused with one line (400), nothing stored: no file, not a PDF by its bytes,
    empty, truncated, over the cap."""
    st = state(request)
    upload = form_file(request, PDF_FIELD)
    if upload is None or not (upload[0] or upload[1]):
        raise BadRequest("choose one PDF file to attach")
    filename, data = upload
    try:
        with writing(request) as s:
            work = s.get(Work, work_id)
            if work is None or work.merged_into_id is not None:
                raise NotFound(f"no record {work_id}")
            row, new = attach_pdf(s, work, data, filename=filename, actor=user.name,
                                  folder=st.settings.resolved_pdf_dir, max_bytes=st.settings.pdf_max_bytes)
            note = "attached" if new else "already"
    except AttachmentRefused as exc:
        raise BadRequest(f"{exc}: nothing was stored") from exc
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/works/{work_id}?pdf={note}#fulltext",
                            status_code=303)


@router.get("/attachments/{attachment_id}", name="attachment_file")
def download(request: Request, attachment_id: int, db: Session = Depends(get_db),
             user: User = Depends(current_user)) -> Response:
    """The attached PDF as a download under the name it was attached with."""
    row = db.get(Attachment, attachment_id)
    if row is None:
        raise NotFound(f"no attachment {attachment_id}")
    path = pdf_path(state(request).settings.resolved_pdf_dir, row.sha256)
    if not path.is_file():
        raise NotFound(f"the file of attachment {attachment_id} is missing from the attachments folder")
    return FileResponse(path, media_type="application/pdf", filename=row.filename,
                        content_disposition_type="attachment", headers=DOWNLOAD_HEADERS)
