"""A large labelled duplicate-detection set built from the real benchmark records, for the scale test.

Distinct works: the real records (one per true group) plus derived works (about 40 % of the title words
replaced from the corpus vocabulary, other authors, year, volume, pages and DOI). Duplicates: copies of
works perturbed the way real database exports differ: dropped or abbreviated journal, initials instead of
given names, truncated author lists, missing DOI or abstract, case and punctuation changes, "123-9" vs
"123-129" pages, a typo in a title word, online-vs-print year.

Related records, labelled as :mod:`dedup` groups them: in the work's group, a correction printed in the
article's own issue, a WoS-style correction "(vol V, pg P, YYYY)" that the article's MEDLINE note "[Erratum
appears in …]" names, and a meeting abstract printed in the journal's supplement. Apart (traps): a
correction or retraction notice in a later issue (a notice pair, not grouped), a preprint (a version pair),
and a reply or comment by other authors.

``python benchmarks/make_synthetic.py 100000 out_dir`` writes records_pre_merged.csv and
merged_record_ids.csv in the benchmark's shape; :func:`build` returns records and true groups.
"""

from __future__ import annotations

import csv
import random
import re
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from livereview.dedup import prepare
from livereview.records.model import Record

BENCH_DIR = Path("/work/shared/bench/dedup")
_WORD_RE = re.compile(r"[A-Za-z]{4,}")
_STOP = {"of", "the", "and", "in", "for", "on", "a", "an", "to", "with"}


def real_templates(bench_dir: Path = BENCH_DIR) -> list[Record]:
    """One record per true group of every real dataset (the works the synthetic set starts from)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from dedup_bench import load_records, load_truth

    templates: list[Record] = []
    seen: set[tuple[str, int | None]] = set()  # the datasets overlap: one paper may be in two of them
    for folder in sorted(p for p in bench_dir.iterdir() if (p / "records_pre_merged.csv").exists()):
        records, _ = load_records(folder / "records_pre_merged.csv", "auto")
        removed = {i for g in load_truth(folder / "merged_record_ids.csv") for i in g[1:]}
        for r in records:
            key = (re.sub(r"\W+", "", (r.title or "").lower())[:60], r.year)
            if r.source_id not in removed and r.title and key not in seen:
                seen.add(key)
                templates.append(r)
    return templates


def build(n: int, *, seed: int = 7, templates: Sequence[Record] | None = None) -> tuple[list[Record], list[list[str]]]:
    """``n`` records and their true duplicate groups (lists of source ids, size >= 2)."""
    rng = random.Random(seed)
    base = list(templates) if templates is not None else real_templates()
    vocabulary = sorted({w.lower() for r in base for w in _WORD_RE.findall(r.title or "")})
    surnames = sorted({a.split(",")[0].strip() for r in base for a in r.authors if "," in a and len(a) > 4})
    given_names = sorted({a.split(",")[1].strip() for r in base for a in r.authors
                          if "," in a and len(a.split(",")[1].strip()) > 3})

    n_dups = int(n * 0.28)
    n_related = int(n * 0.03)
    n_works = n - n_dups - n_related
    works: list[Record] = []
    for i in range(n_works):
        template = base[i % len(base)]
        if i < len(base):
            work = replace(template, source="synthetic")
        else:
            work = _derive(template, rng, vocabulary, surnames, given_names, i)
        works.append(replace(work, source_id=f"w{i:07d}"))

    records: list[Record] = list(works)
    groups: dict[str, list[str]] = {}
    for k in range(n_dups):
        work = works[rng.randrange(n_works)]
        copy = replace(_perturb(work, rng), source_id=f"d{k:07d}")
        records.append(copy)
        groups.setdefault(work.source_id or "", [work.source_id or ""]).append(copy.source_id or "")
    k = 0
    while k < n_related:
        work = works[rng.randrange(n_works)]
        made, same_group = _related(work, rng, k, surnames, given_names)
        for r in made[: n_related - k]:
            records.append(r)
            if r.source_id in same_group:
                groups.setdefault(work.source_id or "", [work.source_id or ""]).append(r.source_id or "")
        k += len(made)
    rng.shuffle(records)
    return records, [g for g in groups.values() if len(g) >= 2]


# ---------------------------------------------------------------------------------------------------- works

def _derive(template: Record, rng: random.Random, vocabulary: Sequence[str], surnames: Sequence[str],
            given_names: Sequence[str], i: int) -> Record:
    """A different work shaped like ``template``: other title words, authors, year and locators."""
    words = (template.title or "").split()
    n_replace = max(2, int(len(words) * 0.4))
    for pos in rng.sample(range(len(words)), min(n_replace, len(words))):
        words[pos] = rng.choice(vocabulary)
    if len(words) < 4:
        words += rng.sample(vocabulary, 3)
    authors = [f"{rng.choice(surnames)}, {rng.choice(given_names)}" for _ in range(max(1, len(template.authors)))]
    year = (template.year or 2010) + rng.randint(-6, 6)
    first = rng.randint(1, 3000)
    return replace(
        template, title=" ".join(words), authors=authors, year=year, volume=str(rng.randint(1, 120)),
        issue=str(rng.randint(1, 12)), pages=f"{first}-{first + rng.randint(3, 25)}",
        doi=f"10.9999/synth.{i}" if rng.random() < 0.7 else None,
        abstract=template.abstract if rng.random() < 0.3 else None,
    )


# ----------------------------------------------------------------------------------------------- duplicates

def _perturb(work: Record, rng: random.Random) -> Record:
    """A second export of the same work, differing as real exports differ (two to four changes)."""
    changes = rng.sample(_PERTURBATIONS, rng.randint(2, 4))
    copy = replace(work, source="synthetic-copy")
    for change in changes:
        copy = change(copy, rng)
    return copy


def _journal(r: Record, rng: random.Random) -> Record:
    if not r.journal or rng.random() < 0.3:
        return replace(r, journal=None)
    words = [w for w in re.split(r"\s+", r.journal) if w.lower() not in _STOP]
    return replace(r, journal=" ".join(w[: rng.randint(3, 5)] if len(w) > 5 else w for w in words))


def _initials(r: Record, rng: random.Random) -> Record:
    out = []
    for a in r.authors:
        family, _, given = a.partition(",")
        initials = "".join(p[0] for p in re.split(r"[\s.\-]+", given.strip()) if p)
        out.append(f"{family}, {'. '.join(initials)}." if initials and rng.random() < 0.5 else
                   f"{family}, {initials}" if initials else family)
    return replace(r, authors=out)


def _truncate_authors(r: Record, rng: random.Random) -> Record:
    return replace(r, authors=r.authors[: max(1, min(len(r.authors), 3))])


def _drop_ids(r: Record, rng: random.Random) -> Record:
    return replace(r, doi=None if rng.random() < 0.7 else r.doi, abstract=None)


def _case(r: Record, rng: random.Random) -> Record:
    title = r.title or ""
    title = rng.choice([title.upper(), title.lower(), title.title(), title + "."])
    return replace(r, title=title.replace(": ", " - ") if rng.random() < 0.5 else title)


def _typo(r: Record, rng: random.Random) -> Record:
    words = (r.title or "").split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 7 and w.isalpha()]
    if not long_words:
        return r
    i = rng.choice(long_words)
    w = words[i]
    j = rng.randint(1, len(w) - 3)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return replace(r, title=" ".join(words))


def _pages(r: Record, rng: random.Random) -> Record:
    m = re.match(r"^(\d+)\s*-+\s*(\d+)$", r.pages or "")
    if not m:
        return r
    first, last = m.groups()
    keep = len(first) - 1 if len(last) == len(first) and first[:-1] == last[:-1] else 0
    short_last = last[keep:] if keep else last
    return replace(r, pages=rng.choice([f"{first}-{short_last}", first, f"{first}--{last}"]))


def _year(r: Record, rng: random.Random) -> Record:
    if r.year and r.volume and r.pages and rng.random() < 0.5:
        return replace(r, year=r.year + 1)
    return r


_PERTURBATIONS = [_journal, _initials, _truncate_authors, _drop_ids, _case, _typo, _pages, _year]


# ---------------------------------------------------------------------------------------- related records

_CONFERENCE_JOURNAL_RE = re.compile(r"conference|congress|meeting|symposium|proceedings", re.IGNORECASE)
_NOTICE_PREFIXES = ("Erratum to: ", "Correction: ", "Corrigendum to ", "Retraction: ", "Retraction Note to: ")


def _related(work: Record, rng: random.Random, k: int, surnames: Sequence[str],
             given_names: Sequence[str]) -> tuple[list[Record], set[str]]:
    """Records about ``work`` (module docstring) and the ids among them that belong in its group."""
    kind = k % 6
    # grouped records need an informative title (a correction of "Editorial" cannot be placed by its title) in a
    # plain journal issue
    located = bool(work.journal and work.volume and work.issue and work.issue.isdigit()
                   and not _CONFERENCE_JOURNAL_RE.search(work.journal) and prepare(work).informative)
    if kind == 0 or (kind in (1, 4, 5) and not located):
        return [_later_notice(work, rng, k)], set()
    if kind == 1:
        notice = replace(_later_notice(work, rng, k), issue=work.issue, year=work.year)
        return [notice], {notice.source_id or ""}
    if kind == 2:
        return [_preprint(work, rng, k)], set()
    if kind == 3:
        return [_reply(work, rng, k, surnames, given_names)], set()
    if kind == 4:
        abstract = _meeting_abstract(work, rng, k)
        return [abstract], {abstract.source_id or ""}
    # kind 5: the article's MEDLINE record names its correction, printed issues later
    issue, page = str(int(work.issue or 1) + rng.randint(2, 5)), str(rng.randint(1, 3000))
    digits = re.search(r"\d+", work.pages or "")
    first_page = digits.group(0) if digits else "1"
    note = f"[Erratum appears in {work.journal}. {work.year};{work.volume}({issue}):{page}]"
    noted = replace(work, source="synthetic-copy", source_id=f"m{k:07d}", doi=None, title=f"{work.title}.{note}")
    wos = replace(work, source_id=f"n{k:07d}", title=f"{work.title} (vol {work.volume}, pg {first_page}, {work.year})",
                  issue=issue, pages=page, doi=None, abstract=None, authors=work.authors[:1])
    return [noted, wos], {noted.source_id or "", wos.source_id or ""}


def _later_notice(work: Record, rng: random.Random, k: int) -> Record:
    """A correction or retraction notice printed in a later issue: its own DOI and page, first author only."""
    issue = str(int(work.issue) + rng.randint(1, 6)) if work.issue and work.issue.isdigit() else None
    return replace(work, source_id=f"e{k:07d}", title=f"{rng.choice(_NOTICE_PREFIXES)}{work.title}",
                   pages=str(rng.randint(1, 3000)), issue=issue, doi=f"10.9999/notice.{k}", abstract=None,
                   authors=work.authors[:1], year=(work.year or 2010) + rng.choice((0, 0, 1)))


def _meeting_abstract(work: Record, rng: random.Random, k: int) -> Record:
    """The study's meeting abstract, filed (Embase style) under the journal supplement that printed it."""
    return replace(work, source_id=f"c{k:07d}", journal=f"{work.journal}.Conference: Annual Meeting {work.year}",
                   issue="Suppl. 1", pages=f"S{rng.randint(1, 400)}", doi=None, abstract=None,
                   publication_types=["Conference Abstract"])


def _reply(work: Record, rng: random.Random, k: int, surnames: Sequence[str], given_names: Sequence[str]) -> Record:
    """A reply or comment by other authors about the work, in the same journal: a work of its own."""
    title = rng.choice((f"{work.title} - Reply", f"Comment on: {work.title}", f"Reply to: {work.title}"))
    return replace(work, source_id=f"r{k:07d}", title=title, pages=str(rng.randint(1, 3000)),
                   doi=f"10.9999/reply.{k}", abstract=None,
                   authors=[f"{rng.choice(surnames)}, {rng.choice(given_names)}" for _ in range(2)])


def _preprint(work: Record, rng: random.Random, k: int) -> Record:
    return replace(work, source_id=f"p{k:07d}", journal="medRxiv", volume=None, issue=None, pages=None,
                   doi=f"10.1101/2020.01.{k % 28 + 1:02d}.{100000 + k}", year=(work.year or 2020) - 1,
                   publication_types=["Preprint"])


def write_bench(records: Sequence[Record], groups: Sequence[Sequence[str]], out: Path) -> None:
    """The set in the benchmark's CSV shape (ID, title, author "A and B", …)."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "records_pre_merged.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL)
        w.writerow(["ID", "ENTRYTYPE", "title", "year", "author", "journal", "volume", "number", "pages", "doi",
                    "abstract"])
        for r in records:
            w.writerow([r.source_id, "article", r.title or "", r.year or "", " and ".join(r.authors),
                        r.journal or "", r.volume or "", r.issue or "", r.pages or "", r.doi or "",
                        r.abstract or ""])
    with open(out / "merged_record_ids.csv", "w", newline="", encoding="utf-8") as fh:
        fh.write("merged_ids\n")
        w = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\n")
        for g in groups:
            w.writerow([";".join(g)])


def write_ris(records: Sequence[Record], path: Path) -> None:
    """The records as a database's RIS export (Scopus-like): every author, keywords, affiliations and the notes
    such exports carry, so a file of 118,985 records is about 200 MB, like the one in issue 9."""
    rng = random.Random(11)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for r in records:
            lines = ["TY  - JOUR", f"TI  - {r.title or ''}"]
            lines += [f"AU  - {a}" for a in r.authors]
            if r.year:
                lines.append(f"PY  - {r.year}")
            for tag, value in (("T2", r.journal), ("VL", r.volume), ("IS", r.issue), ("DO", r.doi)):
                if value:
                    lines.append(f"{tag}  - {value}")
            if r.pages:
                first, *last = re.split(r"[-\u2013]+", r.pages, maxsplit=1)
                lines.append(f"SP  - {first}")
                if last and last[0]:
                    lines.append(f"EP  - {last[0]}")
            words = [w for w in _WORD_RE.findall(r.abstract or r.title or "") if w.lower() not in _STOP]
            lines += [f"KW  - {w.lower()}" for w in rng.sample(words, min(len(words), 6))]
            lines += [f"AD  - Department of {rng.choice(words or ['Psychology']).title()}, University of "
                      f"{(a.split(',')[0] or 'Nowhere')}, {rng.choice(['London', 'Oslo', 'Sydney', 'Toronto'])}"
                      for a in r.authors[:4]]
            if r.abstract:
                lines.append(f"AB  - {r.abstract}")
            # the cited references, which Scopus exports carry in N1 and which make up half of such a file
            refs = [f"{rng.choice(r.authors or ['Anon, A.']).split(',')[0]}, {rng.choice('ABCDEFGHJKLMNPRST')}., "
                    f"{' '.join(rng.sample(words, min(len(words), 7))).capitalize() or 'Untitled'} "
                    f"({rng.randint(1980, 2024)}) {r.journal or 'Journal'}, {rng.randint(1, 60)}, "
                    f"pp. {rng.randint(1, 400)}-{rng.randint(401, 900)}" for _ in range(rng.randint(3, 11))]
            lines += [f"N1  - References: {'; '.join(refs)}",
                      f"N1  - Export Date: 1 December 2025; Cited By: {rng.randint(0, 300)}",
                      "N1  - Correspondence Address: " + "; ".join(r.authors[:2]),
                      "LA  - English", "DB  - Scopus", "M3  - Article", f"ID  - {r.source_id}", "ER  - ", ""]
            fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    # make_synthetic.py N OUT_DIR         the benchmark CSV shape (records_pre_merged.csv, merged_record_ids.csv)
    # make_synthetic.py N OUT.ris --ris   a database-style RIS export
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    target = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("synthetic_dedup")
    if "--ris" in sys.argv[3:]:
        recs, truth = build(size, seed=13)
        write_ris(recs, target)
    else:
        recs, truth = build(size)
        write_bench(recs, truth, target)
    print(f"{len(recs):,} records, {len(truth):,} duplicate groups -> {target}")
