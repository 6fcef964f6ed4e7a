"""Build ``demo/data/papers.json``, the real bibliographic records the demo's stand-in sources serve.

Run from a source checkout (``python -m livereview.demo.build_papers``); the output is package data, so an
installed wheel runs the demo without the checkout. Two kinds of real records, both recorded, none invented:

* on-topic: the journal articles in the seed paper's reference list (``../shared/seed``: homework and
  between-session activities in therapy, counselling and coaching) with their real authors, year, journal and DOI;
  about half are among the previous version's 50 included studies, so the demo's monitor also shows duplicates of
  the corpus being recognised;
* off-topic: the records in the recorded API answers in tests/fixtures (Europe PMC ``search_cancer_core.json``,
  Crossref ``worklist_field_query_author_jats_rich.json``) with their real titles and abstracts; the protocol's
  concept filter drops them, as it drops most of what a real search returns.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "data" / "papers.json"
_REF = re.compile(r'^(?P<authors>.+?) \((?P<year>\d{4})[a-z]?\), "(?P<title>[^"]+)", '
                  r"\*(?P<journal>[^*]+)\*(?P<rest>.*)$", re.S)
_DOI = re.compile(r"https://doi\.org/(10\.[^\s>\]]+)")


def _authors(text: str) -> list[str]:
    """``Beck, A.T., Rush, J. and Emery, G.`` -> ``["Beck, A.T.", "Rush, J.", "Emery, G."]``."""
    text = text.replace(" and ", ", ").replace("(Eds)", "")
    parts = [p.strip() for p in text.split(",") if p.strip()]
    return [f"{parts[i]}, {parts[i + 1]}" for i in range(0, len(parts) - 1, 2)]


def _balanced(doi: str) -> str:
    """A DOI as linked in markdown: drop trailing punctuation and a closing bracket that is the link's own."""
    doi = doi.rstrip(".,")
    while doi.endswith(")") and doi.count(")") > doi.count("("):
        doi = doi[:-1]
    return doi


def seed_references(seed_text: str) -> list[dict]:
    refs = seed_text[seed_text.index("\nReferences\n"):]
    out = []
    for block in re.split(r"\n\s*\n", refs):
        m = _REF.match(" ".join(block.split()))
        if not m:
            continue
        doi = _DOI.search(m["rest"].replace("\\", ""))
        out.append({"title": m["title"].strip().rstrip("."), "authors": _authors(m["authors"]),
                    "year": int(m["year"]), "journal": m["journal"].strip(),
                    "doi": _balanced(doi[1]).lower() if doi else None, "abstract": None,
                    "origin": "seed paper reference list"})
    return out


def europepmc_records(path: Path) -> list[dict]:
    out = []
    for r in json.loads(path.read_bytes())["resultList"]["result"]:
        authors = [f"{a.get('lastName')}, {a.get('initials') or a.get('firstName', '')}".strip(", ")
                   for a in (r.get("authorList") or {}).get("author", []) if a.get("lastName")]
        out.append({"title": r["title"].rstrip("."), "authors": authors, "year": int(r["pubYear"]),
                    "journal": ((r.get("journalInfo") or {}).get("journal") or {}).get("title"),
                    "doi": r.get("doi"), "abstract": r.get("abstractText"), "origin": f"europepmc/{path.name}"})
    return out


def crossref_records(path: Path) -> list[dict]:
    out = []
    for r in json.loads(path.read_bytes())["message"]["items"]:
        if not r.get("title"):
            continue
        year = ((r.get("issued") or {}).get("date-parts") or [[None]])[0][0]
        out.append({"title": r["title"][0], "authors": [f"{a['family']}, {a.get('given', '')}".strip(", ")
                                                        for a in r.get("author", []) if a.get("family")],
                    "year": year, "journal": (r.get("container-title") or [None])[0], "doi": r.get("DOI"),
                    "abstract": re.sub(r"<[^>]+>", " ", r["abstract"]).strip() if r.get("abstract") else None,
                    "origin": f"crossref/{path.name}"})
    return out


def main(seed: Path = ROOT.parent.parent / "shared" / "seed") -> None:
    seed_file = next(seed.glob("*.txt"))
    fixtures = ROOT / "tests" / "fixtures"
    papers = seed_references(seed_file.read_text(encoding="utf-8"))
    papers += europepmc_records(fixtures / "europepmc" / "search_cancer_core.json")
    papers += crossref_records(fixtures / "crossref" / "worklist_field_query_author_jats_rich.json")
    OUT.write_text(json.dumps(papers, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(papers)} records", file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent.parent / "shared" / "seed")
