"""Render a digest: plain text and HTML (Jinja2), the growth chart, and the MIME message that carries them.

The HTML template is autoescaped. Titles and abstracts come from sources and may hold hostile
markup; protocol terms are highlighted by :func:`mark`, which escapes every piece of the plain
text first and only then puts ``<mark>`` around the matched pieces, so input markup can never
become output markup. Links have been checked to be http(s) before they reach the template.

The message is ``multipart/alternative`` (text, then ``multipart/related`` = HTML + the chart PNG
referenced by Content-ID), the structure mail clients expect for an inline image.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import lru_cache
from importlib import resources
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from livereview.digests.content import DigestContent
from livereview.digests.links import safe_url

TEMPLATES = Path(str(resources.files("livereview.digests") / "templates"))
HTML_TEMPLATE = "digest.html.j2"
TEXT_TEMPLATE = "digest.txt.j2"


_MARK_OPEN, _MARK_CLOSE = Markup('<mark style="background:#fff3a3;">'), Markup("</mark>")


def mark(text: str | None, spans: Sequence[tuple[int, int]], *,
         tags: tuple[Markup, Markup] = (_MARK_OPEN, _MARK_CLOSE)) -> Markup:
    """``text`` escaped, with ``<mark>`` around each span (spans index the plain, unescaped text).

    ``tags`` are the opening and closing markup: the e-mail's inline style by default (the web app passes a class).
    """
    if not text:
        return Markup("")
    out: list[Markup] = []
    pos = 0
    for start, end in spans:
        if start < pos or end > len(text) or start >= end:  # overlapping or out of range: ignore, never guess
            continue
        out += (escape(text[pos:start]), tags[0], escape(text[start:end]), tags[1])
        pos = end
    out.append(escape(text[pos:]))
    return Markup("").join(out)  # joining Markup escapes anything that is not Markup already


def wrap(text: str | None, width: int = 74, indent: int = 4) -> str:
    """Greedy word wrap for the plain-text part, continuation lines indented (textwrap is ten times slower)."""
    if not text:
        return ""
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return ("\n" + " " * indent).join(lines)


@lru_cache(maxsize=1)
def environment() -> Environment:
    """HTML templates autoescaped, text templates not; undefined names fail loudly instead of rendering empty."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(("html.j2",), ("txt.j2",),
                      default_for_string=True, default=True), undefined=StrictUndefined, trim_blocks=True,
                      lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["mark"] = mark
    env.filters["wrap"] = wrap
    return env


def subject(content: DigestContent) -> str:
    n = content.counts.new_candidates
    title = " ".join(content.review_title.split())  # never a line break in a header
    return f"[livereview] {title}: {n} new candidate{'' if n == 1 else 's'} ({content.period.label})"


def app_links(content: DigestContent) -> dict[str, str | None]:
    """The web app's pages the digest points to: the reader's own queue ("Open my queue") and the whole ranked
    queue ("N more in the app"); none without a public base URL (``LIVEREVIEW_BASE_URL``)."""
    if not content.base_url:
        return {"queue_link": None, "more_link": None}
    root = content.base_url.rstrip("/")
    return {"queue_link": safe_url(f"{root}/queue?mine=1"), "more_link": safe_url(f"{root}/queue")}


def render_text(content: DigestContent, *, digest_id: int | None = None) -> str:
    urgent = [n for n in content.notices if n.urgent]
    return environment().get_template(TEXT_TEMPLATE).render(c=content, urgent=urgent, digest_id=digest_id,
                                                            **app_links(content))


def render_html(content: DigestContent, *, chart_src: str | None, digest_id: int | None = None) -> str:
    """The HTML body; ``chart_src`` is ``cid:…`` in the e-mail, a ``data:`` URI in the stand-alone file."""
    urgent = [n for n in content.notices if n.urgent]
    return environment().get_template(HTML_TEMPLATE).render(c=content, urgent=urgent, digest_id=digest_id,
                                                            chart_src=chart_src, **app_links(content))


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str               # for the e-mail: the chart by Content-ID
    html_file: str          # for the outbox .html file: the chart inlined as a data: URI
    chart_png: bytes | None
    chart_cid: str          # "<…>" form, as in the Content-ID header


def render(content: DigestContent, *, digest_id: int | None = None, chart: bool = True,
           domain: str = "livereview.local") -> Rendered:
    """Text, HTML and chart for one digest."""
    png = None
    if chart:
        from livereview.digests.chart import growth_png  # matplotlib is slow to import: only when a chart is drawn

        png = growth_png(content.growth)
    cid = make_msgid("chart", domain=domain)
    # rendered once: the chart source is a unique placeholder, swapped for the cid: or the data: URI
    placeholder = f"chart-{secrets.token_hex(16)}"   # unguessable: no record text can contain it
    page = render_html(content, chart_src=placeholder if png else None, digest_id=digest_id)
    html = page.replace(placeholder, f"cid:{cid[1:-1]}", 1)
    html_file = page.replace(placeholder, "data:image/png;base64," + base64.b64encode(png).decode("ascii"), 1) \
        if png else page
    return Rendered(subject=subject(content), text=render_text(content, digest_id=digest_id), html=html,
                    html_file=html_file, chart_png=png, chart_cid=cid)


def sender_domain(sender: str) -> str:
    """The domain for Message-IDs and Content-IDs: the From address's, so ids look like the sender's own."""
    domain = sender.rpartition("@")[2].strip(" >")
    return domain or "livereview.local"


def build_message(rendered: Rendered, *, sender: str, recipients: Sequence[str], message_id: str,
                  date: datetime, digest_id: int | None = None) -> EmailMessage:
    """The MIME message: text and HTML alternatives, the chart inline by Content-ID, dated and identified."""
    msg = EmailMessage()
    msg["Subject"] = rendered.subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients) if recipients else "undisclosed-recipients:;"
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"      # RFC 3834: no vacation auto-replies to an unattended job
    if digest_id is not None:
        msg["X-Livereview-Digest"] = str(digest_id)
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    if rendered.chart_png:
        html_part = msg.get_payload()[1]  # type: ignore[index]
        html_part.add_related(rendered.chart_png, maintype="image", subtype="png", cid=rendered.chart_cid,
                              filename="corpus-growth.png", disposition="inline")
    return msg
