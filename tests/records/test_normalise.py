"""records.normalise: shared field normalisers."""

from __future__ import annotations

import pytest

from records.normalise import split_name


@pytest.mark.parametrize(("name", "expected"), [
    ("Smith JA", "Smith, J. A."),              # MEDLINE
    ("Smith, J.", "Smith, J."),
    ("John Smith", "Smith, John"),
    ("Wilson L.N.", "Wilson, L. N."),          # Scopus / Embase: dotted initials after the family name
    ("Dos Santos H.B.", "Dos Santos, H. B."),
    ("van der Vaart T.W.", "van der Vaart, T. W."),
    ("Liu R.", "Liu, R."),
    ("Jalil N.-E.", "Jalil, N.-E."),
    ("J. -P. Nominé", "Nominé, J. -P."),       # IEEE: initials first
    ("Araz R. Aliev", "Aliev, Araz R."),
    ("A. B.", "B., A."),                        # initials only: left as before
])
def test_split_name_reads_family_then_dotted_initials(name, expected):
    assert split_name(name) == expected
