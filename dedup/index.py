"""Incremental matching for the store: an index of known records that new arrivals are matched against."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Literal

from livereview.dedup.block import DEFAULT_MAX_BUCKET, BlockIndex, block_keys
from livereview.dedup.match import decide, notice_side
from livereview.dedup.prep import Prepared, prepare
from livereview.records.model import Record

_KIND_RANK = {"duplicate": 0, "notice": 1, "version": 2}
#: records :meth:`MatchIndex.prime` holds at most (an import reads a few thousand ahead of its matching)
PRIMED = 5000
#: a pair the rules left apart without a veto (no rule held) is a *near miss* worth a person's look from this
#: score on (``dedup.match.compare``'s: half title similarity, 0.3 authors, 0.2 locators). Measured on the
#: labelled sets in ../shared/bench/dedup by benchmarks/dedup_near_misses.py: see docs/web.md "Duplicates".
NEAR_MISS_SCORE = 0.7
#: a pair a rule vetoed (pages, volumes, years that disagree …) is a near miss too from this higher score on: the
#: vetoing field may be the broken one (a spreadsheet's date for pages, an exporter's number for an issue)
NEAR_MISS_VETOED_SCORE = 0.85
#: vetoes that settle a pair whatever its score: two identifiers, a commentary, a generic title ("Editorial").
#: Measured: on the labelled sets every vetoed pair above the score with one of these rules was two works
NEVER_NEAR = frozenset({"doi-differs", "pmid-differs", "generic-title", "commentary-vs-article"})


@dataclass(frozen=True, slots=True)
class Match:
    """The best known record for a new one: its key, the link kind, the rule that fired and the score.

    ``kind="notice"``: the new record is a correction / retraction notice of the known article ``key``.
    """

    key: Hashable
    kind: Literal["duplicate", "notice", "version"]
    rule: str
    score: float


@dataclass(frozen=True, slots=True)
class NearMiss:
    """The closest known record the rules left apart for a record that matched nothing: ``score`` at least
    :data:`NEAR_MISS_SCORE` (:data:`NEAR_MISS_VETOED_SCORE` when a rule vetoed the pair); ``rule`` says which rule
    decided (``no-rule`` when none held). People decide these pairs (the web app's duplicates page)."""

    key: Hashable
    rule: str
    score: float


class MatchIndex:
    """Known records by key; :meth:`match` finds the best existing duplicate (else the article a notice is
    about, else a version) of a record.

    Uses the same blocking and the same pairwise rules as :func:`dedup.find_duplicates`, so a pair gets
    the same decision either way. Memory is one :class:`~dedup.prep.Prepared` per record plus the
    blocking buckets (bounded per key).
    """

    def __init__(self, *, max_bucket: int = DEFAULT_MAX_BUCKET) -> None:
        self._blocks = BlockIndex(max_bucket=max_bucket)
        self._ids: dict[Hashable, int] = {}
        self._keys: list[Hashable | None] = []
        self._prepared: list[Prepared | None] = []
        # the record just matched, prepared, and its blocking keys: ingest adds a record it could not match, and
        # add() reuses both instead of working them out again
        self._last: tuple[Record, Prepared, list[int]] | None = None
        # records prepared elsewhere (another process), by id(record), until matched: see prime()
        self._primed: dict[int, tuple[Record, Prepared]] = {}
        #: the near miss of the last :meth:`match` that found nothing (None otherwise)
        self.near_miss: NearMiss | None = None

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, key: object) -> bool:
        return key in self._ids

    def add(self, key: Hashable, record: Record) -> None:
        """Index ``record`` under ``key`` (re-adding a key replaces its record)."""
        last = self._last
        if last is not None and last[0] is record:
            self._add(key, last[1], last[2])
        else:
            self.add_prepared(key, prepare(record))

    def add_prepared(self, key: Hashable, prepared: Prepared) -> None:
        self._add(key, prepared, block_keys(prepared))

    def _add(self, key: Hashable, prepared: Prepared, keys: list[int]) -> None:
        if key in self._ids:
            self.remove(key)
        rid = len(self._prepared)
        self._ids[key] = rid
        self._keys.append(key)
        self._prepared.append(prepared)
        self._blocks.add(rid, keys)

    def remove(self, key: Hashable) -> None:
        """Forget ``key``; unknown keys raise KeyError."""
        rid = self._ids.pop(key)
        prepared = self._prepared[rid]
        if prepared is not None:
            self._blocks.remove(rid, block_keys(prepared))
        self._prepared[rid] = None
        self._keys[rid] = None

    def prime(self, record: Record, prepared: Prepared) -> None:
        """``prepare(record)``, worked out elsewhere: :meth:`match` uses it instead of preparing ``record`` again.

        Only the last :data:`PRIMED` records primed are held (a record matched by identifier is never passed
        to :meth:`match`); an older one is prepared again if it does come, which gives the same result.
        """
        primed = self._primed
        primed[id(record)] = (record, prepared)
        if len(primed) > PRIMED:
            del primed[next(iter(primed))]

    def match(self, record: Record) -> Match | None:
        """Best existing duplicate of ``record`` (highest score, then earliest added), else the article it is a
        notice of, else the best version.

        A known notice is never returned for a new article: the store keeps notices as records of their own
        and does not match against them.
        """
        primed = self._primed.pop(id(record), None)
        prepared = primed[1] if primed is not None and primed[0] is record else prepare(record)
        keys = block_keys(prepared)
        self._last = (record, prepared, keys)
        return self._match(prepared, keys)

    def match_prepared(self, prepared: Prepared) -> Match | None:
        return self._match(prepared, block_keys(prepared))

    def _match(self, prepared: Prepared, keys: list[int]) -> Match | None:
        best: tuple[int, float, int] | None = None  # (kind rank, -score, rid): smallest wins
        best_verdict = None
        near: tuple[float, int, str] | None = None   # (-score, rid, rule) of the closest pair left apart
        self.near_miss = None
        for rid in self._blocks.candidates(keys):
            other = self._prepared[rid]
            if other is None:
                continue
            verdict = decide(other, prepared)
            if verdict.kind == "distinct":
                floor = NEAR_MISS_VETOED_SCORE if verdict.is_veto else NEAR_MISS_SCORE
                if (verdict.score >= floor and verdict.rule not in NEVER_NEAR
                        and (near is None or (-verdict.score, rid) < near[:2])):
                    near = (-verdict.score, rid, verdict.rule)
                continue
            if verdict.kind == "notice" and notice_side(other, prepared) != 1:
                continue  # the known record is the notice, the new one its article
            rank = (_KIND_RANK[verdict.kind], -verdict.score, rid)
            if best is None or rank < best:
                best, best_verdict = rank, verdict
        if best is None or best_verdict is None:
            if near is not None:
                self.near_miss = NearMiss(key=self._keys[near[1]], rule=near[2], score=-near[0])
            return None
        key = self._keys[best[2]]
        return Match(key=key, kind=best_verdict.kind, rule=best_verdict.rule,  # type: ignore[arg-type]
                     score=best_verdict.score)
