"""ConceptFilter's fast scan must find exactly what a plain finditer over every term pattern finds."""

import random

import pytest

from livereview.digests.content import snippet_with_spans
from livereview.protocols.queries import ConceptFilter

PIECES = ["homework", "Homework", "HOMEWORKS", "home-work", "home work", "assignment", "assignments,",
          "between-session activities", "between session activities", "Between-Sessions activities", "therapy",
          "psychotherapies", "counsellor", "counselors", "coach", "coaching psychology", "mentoring", "null result",
          "non-significant", "nonsignificant", "behavioural experiments", "self-help assignments", "extra-therapy",
          "training", "xhomework", "homeworkx", "re-assignment", "the", "of", "patients", "(homework)", "—", "é",
          "µ", "“therapy”", "İ", "ı", "ſ", "K", "naïve", "\u00a0", ".", ";", "2024", "_homework", "Ho\u017fmework",
          "therapiſt", "HOMEWORK\u0130", "thérapie"]


class Reference:
    """The obvious implementation: every pattern scanned over the whole text."""

    def __init__(self, cf):
        self.cf = cf

    def matched_terms(self, *texts):
        text = " ".join(t for t in texts if t)
        return list(dict.fromkeys(t for pats in self.cf.patterns.values() for t, rx in pats if rx.search(text)))

    def spans(self, text):
        found = sorted(m.span() for pats in self.cf.patterns.values() for _, rx in pats for m in rx.finditer(text))
        merged = []
        for s, e in found:
            if merged and s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
            else:
                merged.append((s, e))
        return merged


@pytest.fixture(scope="module")
def filters(protocol_module):
    cf = ConceptFilter(protocol_module)
    return Reference(cf), cf


@pytest.fixture(scope="module")
def protocol_module():
    from livereview.protocols.model import load_protocol
    from livereview.settings import BUNDLED_PROTOCOL

    return load_protocol(BUNDLED_PROTOCOL)


def texts(n=600, seed=11):
    rng = random.Random(seed)
    for _ in range(n):
        yield rng.choice([" ", "", "-", "  "]).join(rng.choice(PIECES) for _ in range(rng.randint(1, 40)))


def test_spans_and_matched_terms_equal_the_concept_filters(filters):
    cf, fast = filters
    for text in texts():
        assert fast.spans(text) == cf.spans(text), text
        assert fast.matched_terms(text, None, "keyword one") == cf.matched_terms(text, None, "keyword one"), text


def test_turkish_dotless_i_long_s_and_kelvin_sign_are_handled_the_regex_way(filters):
    cf, fast = filters
    for text in ("Ho\u017fmework", "therapi\u017ft homework", "\u0130 homework therapy", "\u212a homework",
                 "coun\u017felling homework"):
        assert fast.spans(text) == cf.spans(text)
        assert fast.matched_terms(text) == cf.matched_terms(text)


def test_snippet_spans_are_the_abstract_spans_moved_into_the_snippet(filters):
    _, fast = filters
    abstract = "x " * 200 + "homework assignments in therapy " + "y " * 200
    snip, spans = snippet_with_spans(abstract, fast.spans(abstract))
    assert snip.startswith("…") and snip.endswith("…")
    assert [snip[s:e] for s, e in spans] == ["homework", "therapy"]
    assert spans == fast.spans(snip)
