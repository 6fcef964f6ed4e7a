import os
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from webharness import ARTIFACTS, CHROMIUM

from livereview.digests.content import (
    Candidate,
    Counts,
    DigestContent,
    Growth,
    NoticeItem,
    Period,
    SourceHealth,
    present,
    short_authors,
    snippet,
)
from livereview.digests.render import build_message, mark, render, subject
from livereview.protocols.queries import ConceptFilter

START = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)
END = datetime(2026, 1, 12, 7, 0, tzinfo=UTC)
HOSTILE_TITLE = 'Homework <script>alert("t")</script> in therapy <img src=x onerror=alert(1)>'
HOSTILE_ABSTRACT = ('<a href="javascript:alert(2)">click</a> homework assignments in counselling '
                    '<iframe src="https://evil.example/"></iframe> &amp; <b onmouseover=alert(3)>bold</b>')


def cand(n=1, **kw):
    base = dict(work_id=n, title=f"Homework in therapy {n}", authors=["A, A.", "B, B.", "C, C.", "D, D."],
                journal="Behav Res Ther", year=2025, doi=f"10.5555/c.{n}", pmid=str(1000 + n), url=None,
                abstract="We studied homework assignments in cognitive therapy.", keywords=[], status="queued",
                created_at=START + timedelta(hours=n), sources=["pubmed"])
    base.update(kw)
    return Candidate(**base)


def health(*failing):
    return [SourceHealth(s, "failing" if s in failing else "ok", START, 3, "HTTP 503" if s in failing else None,
                         END if s in failing else None, 2 if s in failing else 0)
            for s in ("pubmed", "crossref")]


def content(protocol, candidates=(), *, more=0, notices=(), sources_health=None, base_url=None, new=None):
    cf = ConceptFilter(protocol)
    items = [present(c, cf, base_url=base_url) for c in candidates]
    n = len(items) + more if new is None else new
    return DigestContent(
        review_id="ia-coaching", review_title=protocol.review.title, protocol_version="1.0.0",
        period=Period(START, END, "Europe/London"),
        counts=Counts(n, {"pubmed": n} if n else {}, 4, {"already-queued": 3, "in-corpus": 1}, 120, 60, 50),
        candidates=items, more=more, notices=list(notices), protocol_changes=[],
        health=sources_health if sources_health is not None else health(),
        growth=Growth([date(2026, 1, 1), date(2026, 1, 8)], [50, 55], [50, 50]), base_url=base_url)


class Tags(HTMLParser):
    """Every tag and attribute of an HTML document, to check what a mail client would act on."""

    def __init__(self):
        super().__init__()
        self.tags, self.attrs = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend((tag, k, v) for k, v in attrs)


def parse(html):
    p = Tags()
    p.feed(html)
    return p


def test_mark_escapes_every_piece_before_adding_mark_tags():
    text = 'a <b>homework</b> & "therapy"'
    spans = [(5, 13), (21, 28)]
    assert str(mark(text, spans)) == ('a &lt;b&gt;<mark style="background:#fff3a3;">homework</mark>&lt;/b&gt; '
                                      '&amp; &#34;<mark style="background:#fff3a3;">therapy</mark>&#34;')


def test_mark_ignores_overlapping_or_out_of_range_spans():
    assert str(mark("<homework>", [(1, 9), (3, 5), (8, 40)])) == (
        '&lt;<mark style="background:#fff3a3;">homework</mark>&gt;')
    assert str(mark(None, [(0, 1)])) == ""


def test_hostile_titles_and_abstracts_are_escaped_and_no_active_content_survives(protocol):
    c = content(protocol, [cand(1, title=HOSTILE_TITLE, abstract=HOSTILE_ABSTRACT, doi="javascript:alert(4)",
                                pmid="1 onclick=alert(5)", url="javascript:alert(6)", journal="<svg onload=x>"),
                           cand(2, doi=None, pmid=None, url="https://journal.example/a?x=1&y=2")])
    r = render(c, digest_id=9)
    for html in (r.html, r.html_file):
        doc = parse(html)
        assert not {"script", "iframe", "svg", "object", "embed", "form", "link", "style"} & set(doc.tags)
        [src] = [v for t, k, v in doc.attrs if t == "img" and k == "src"]   # the chart, and no other image
        assert src.startswith(("cid:", "data:image/png;base64,"))
        assert not [a for a in doc.attrs if a[1].startswith("on")]
        hrefs = [v for _, k, v in doc.attrs if k == "href"]
        assert hrefs == ["https://journal.example/a?x=1&y=2"]   # the hostile record gets no link at all
        assert "javascript:" not in " ".join(v for _, _, v in doc.attrs if v)
    assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;" in r.html
    assert "&lt;img src=x onerror=alert(1)&gt;" in r.html
    assert "&lt;svg onload=x&gt;" in r.html
    # the plain-text part shows the text as it is (a text/plain part is never interpreted)
    assert "<script>alert(\"t\")</script>" in r.text


def test_protocol_terms_are_highlighted_in_title_and_abstract(protocol):
    r = render(content(protocol, [cand(1, title="Homework compliance in psychotherapy",
                                       abstract="Between-session activities and homework assignments help.")]))
    assert '<mark style="background:#fff3a3;">Homework</mark> compliance in ' \
           '<mark style="background:#fff3a3;">psychotherapy</mark>' in r.html
    assert '<mark style="background:#fff3a3;">Between-session activities</mark>' in r.html
    assert ("Matched terms: homework*, home-work, between-session activities, "
            "between session activities, psychotherapy") in r.text


def test_each_candidate_shows_authors_venue_year_links_and_sources(protocol):
    r = render(content(protocol, [cand(3, sources=["crossref", "pubmed"])], base_url="https://review.example.org"))
    assert "A, A.; B, B.; C, C. et al." in r.html and "A, A.; B, B.; C, C. et al." in r.text
    assert '<a href="https://doi.org/10.5555/c.3"' in r.html
    assert '<a href="https://pubmed.ncbi.nlm.nih.gov/1003/"' in r.html
    assert '<a href="https://review.example.org/works/3"' in r.html
    assert "Found by: crossref, pubmed" in r.html and "Found by: crossref, pubmed" in r.text
    assert "<i>Behav Res Ther</i>, 2025" in r.html
    assert "Record: https://review.example.org/works/3" in r.text


def test_the_list_is_capped_with_and_n_more(protocol):
    r = render(content(protocol, [cand(i) for i in range(1, 4)], more=197))
    assert "<b>197 more in the app</b>" in r.html and "197 more new candidates, ranked lower" in r.html
    assert "197 more in the app: 197 more new candidates, ranked lower, wait in the queue." in r.text
    assert "Top 3 of 200 new candidates" in r.html and "TOP 3 OF 200 NEW CANDIDATES" in r.text
    assert "Open my queue" not in r.html   # no base URL: no button that would lead nowhere


def test_with_the_apps_address_the_digest_opens_my_queue_and_the_rest_in_the_app(protocol):
    r = render(content(protocol, [cand(i) for i in range(1, 4)], more=12, base_url="https://review.example.org/"))
    hrefs = [v for tag, k, v in parse(r.html).attrs if tag == "a" and k == "href"]
    assert "https://review.example.org/queue?mine=1" in hrefs and "https://review.example.org/queue" in hrefs
    assert ">Open my queue</a>" in r.html and "12 more in the app &rarr;</a>" in r.html
    assert "OPEN MY QUEUE: <https://review.example.org/queue?mine=1>" in r.text
    assert "12 more in the app:" in r.text and "    <https://review.example.org/queue>" in r.text
    assert r.html.index("Open my queue") < r.html.index("Top 3 of 15 new candidates")   # the button comes first


def test_each_shown_candidate_carries_its_relevance_and_the_reasons_for_it(protocol):
    from dataclasses import replace

    r = render(content(protocol, [replace(cand(1), score=0.91, why=("homework", "cognitive therapy"))]))
    assert "relevance 0.91</span> <span style=\"color:#1b5e30;\">why: homework, cognitive therapy</span>" in r.html
    assert "Relevance: 0.91 (why: homework, cognitive therapy)" in r.text


def test_subject_names_the_review_the_count_and_the_period(protocol):
    c = content(protocol, [cand(1)])
    assert subject(c) == (f"[livereview] {protocol.review.title}: 1 new candidate (2026-01-05 – 2026-01-12)")
    assert subject(content(protocol, [], new=0)).endswith(": 0 new candidates (2026-01-05 – 2026-01-12)")


def test_an_empty_week_is_a_heartbeat_saying_all_sources_are_healthy(protocol):
    r = render(content(protocol, []))
    assert "Nothing new this period; all sources healthy." in r.text
    assert "Nothing new this period; all sources healthy." in r.html
    assert "NEW CANDIDATES" not in r.text


def test_an_empty_week_with_a_failing_source_says_so(protocol):
    r = render(content(protocol, [], sources_health=health("crossref")))
    assert "Nothing new this period, but crossref is failing (see source health below)." in r.text
    assert "Source failing: crossref</b> (2 runs in a row)" in r.html
    assert "SOURCE FAILING: crossref (2 runs in a row): HTTP 503" in r.text


def test_an_empty_store_that_never_ran_says_no_source_has_run(protocol):
    never = [SourceHealth("pubmed", "never run", None, 0, None, None)]
    assert "Nothing new this period; no source has run yet." in render(content(protocol, [], sources_health=never)).text


def test_notices_about_included_studies_are_flagged_at_the_top(protocol):
    notice = NoticeItem(1, "retraction", 5, "Homework <b>study</b>", "included", "pubmed: retraction-in pmid 9",
                        "pubmed", END, "https://doi.org/10.5555/x")
    r = render(content(protocol, [], notices=[notice]))
    assert "1 notice about included studies — see Notices below." in r.html
    assert "<b>Retraction</b> of an <b>included</b> study:" in r.html
    assert "Homework &lt;b&gt;study&lt;/b&gt;" in r.html
    assert "RETRACTION of an INCLUDED study: Homework <b>study</b>" in r.text
    assert "Nothing new" not in r.text


def test_the_message_is_text_and_html_alternatives_with_the_chart_inline_by_content_id(protocol):
    r = render(content(protocol, [cand(1)]), digest_id=4, domain="lab.example.org")
    msg = build_message(r, sender="livereview@lab.example.org", recipients=["a@example.org", "b@example.org"],
                        message_id="<digest-4@lab.example.org>", date=END, digest_id=4)
    assert msg.get_content_type() == "multipart/alternative"
    text, related = msg.get_payload()
    assert text.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html, png = related.get_payload()
    assert html.get_content_type() == "text/html"
    assert png.get_content_type() == "image/png" and png.get_content_disposition() == "inline"
    assert png.get_content().startswith(b"\x89PNG\r\n\x1a\n")
    cid = png["Content-ID"].strip("<>")
    assert cid.endswith("@lab.example.org")
    assert f'src="cid:{cid}"' in html.get_content()
    assert (msg["To"], msg["Message-ID"], msg["Date"], msg["Auto-Submitted"], msg["X-Livereview-Digest"]) == (
        "a@example.org, b@example.org", "<digest-4@lab.example.org>", "Mon, 12 Jan 2026 07:00:00 +0000",
        "auto-generated", "4")
    # the stand-alone .html file carries the chart inline, no cid: reference to a part it does not have
    assert "cid:" not in r.html_file and 'src="data:image/png;base64,' in r.html_file


def test_the_html_loads_nothing_from_outside(protocol):
    r = render(content(protocol, [cand(1)]))
    doc = parse(r.html)
    srcs = [v for t, k, v in doc.attrs if k in ("src", "background", "srcset")]
    assert srcs and all(v.startswith("cid:") for v in srcs)
    assert "<style" not in r.html and "<link" not in r.html and "url(" not in r.html


def test_authors_are_the_first_three_then_et_al():
    assert short_authors(["A", "B", "C"]) == "A; B; C"
    assert short_authors(["A", "B", "C", "D"]) == "A; B; C et al."
    assert short_authors([]) == ""


def test_the_snippet_is_about_300_characters_cut_at_words_around_the_first_match():
    words = " ".join(f"word{i}" for i in range(200))
    s = snippet(words, [])
    assert s.endswith("…") and 250 <= len(s) <= 302 and not s[:-1].endswith(" ")
    late = "x " * 300 + "homework matters here " + "y " * 300
    s2 = snippet(late, [(600, 608)])
    assert s2.startswith("…") and "homework matters here" in s2 and len(s2) <= 302
    assert snippet("Short abstract.", []) == "Short abstract."


@pytest.mark.parametrize("score", [0.5, None])
def test_a_ranking_score_is_shown_when_a_ranker_supplies_one(protocol, score):
    r = render(content(protocol, [cand(1, score=score)]))
    assert ("Relevance: 0.50" in r.text) is (score is not None)
    assert ("relevance 0.50" in r.html) is (score is not None)


def test_the_why_terms_of_a_score_are_shown_in_text_and_escaped_in_html(protocol):
    r = render(content(protocol, [cand(1, score=0.93, why=("homework", "<b>therapy</b>"))]))
    assert "Relevance: 0.93 (why: homework, <b>therapy</b>)" in r.text
    assert ("relevance 0.93</span> <span style=\"color:#1b5e30;\">why: homework, &lt;b&gt;therapy&lt;/b&gt;</span>"
            in r.html)
    assert "<b>therapy</b>" not in r.html


def test_plain_text_wrapping_indents_continuation_lines():
    from livereview.digests.render import wrap

    assert wrap("one two three four five", width=9, indent=2) == "one two\n  three\n  four five"
    assert wrap("", 10) == "" and wrap(None, 10) == ""
    assert wrap("averyveryverylongword x", width=5, indent=0) == "averyveryverylongword\nx"


def test_the_stopping_rules_estimate_is_one_line_in_both_bodies(protocol):
    from dataclasses import replace

    line = "screened 412 of 1,900; at least 95 % of includes found with 95 % confidence: not yet"
    r = render(replace(content(protocol, [cand(1)]), stopping=line), chart=False)
    assert f"Stopping rule: {line}" in r.text
    assert f"Stopping rule: {line}" in r.html
    assert "Stopping rule" not in render(content(protocol, [cand(1)]), chart=False).text


# -- the digest as a reader sees it, in headless Chromium (screenshots: tests/artifacts/digest-*.png) ------------------
@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                               args=["--no-sandbox"] if os.geteuid() == 0 else [])
        yield b
        b.close()


@pytest.mark.slow
@pytest.mark.parametrize("width", [390, 1280])
def test_the_digest_fits_a_phone_and_leads_with_the_queue_button(protocol, browser, tmp_path, width):
    shown = [cand(i, title=f"Homework adherence and outcome in cognitive behavioural therapy, cohort {i}",
                  score=round(0.95 - i / 40, 2), why=("homework", "adherence", "cognitive therapy"))
             for i in range(1, 16)]
    r = render(content(protocol, shown, more=54, base_url="https://review.example.org"))
    page_file = tmp_path / "digest.html"
    page_file.write_text(r.html_file, encoding="utf-8")
    ctx = browser.new_context(viewport={"width": width, "height": 844 if width == 390 else 900})
    page = ctx.new_page()
    try:
        page.goto(page_file.as_uri())
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"digest-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        button = page.get_by_role("link", name="Open my queue").bounding_box()
        assert button is not None and button["y"] + button["height"] <= 844   # on the first screen, even a phone's
        assert page.get_by_role("link", name="54 more in the app →").is_visible()
        assert page.locator("text=relevance 0.92").count() == 1
        chart = page.locator("img").bounding_box()
        assert chart is not None and chart["width"] >= min(340, width - 60)          # not shrunk to a stamp
        assert page.evaluate("document.images[0].naturalWidth") >= 2 * chart["width"] * 0.95   # sharp on phones
    finally:
        ctx.close()
