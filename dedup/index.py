"""Incremental matching for the store: an index of known records that new arrivals are matched against."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Literal

from dedup.block import DEFAULT_MAX_BUCKET, BlockIndex, block_keys
from dedup.match import decide
from dedup.prep import Prepared, prepare
from records.model import Record


@dataclass(frozen=True, slots=True)
class Match:
    """The best known record for a new one: its key, the link kind, the rule that fired and the score."""

    key: Hashable
    kind: Literal["duplicate", "version"]
    rule: str
    score: float


class MatchIndex:
    """Known records by key; :meth:`match` finds the best existing duplicate (else version) of a record.

    Uses the same blocking and the same pairwise rules as :func:`dedup.find_duplicates`, so a pair gets
    the same decision either way. Memory is one :class:`~dedup.prep.Prepared` per record plus the
    blocking buckets (bounded per key).
    """

    def __init__(self, *, max_bucket: int = DEFAULT_MAX_BUCKET) -> None:
        self._blocks = BlockIndex(max_bucket=max_bucket)
        self._ids: dict[Hashable, int] = {}
        self._keys: list[Hashable | None] = []
        self._prepared: list[Prepared | None] = []

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, key: object) -> bool:
        return key in self._ids

    def add(self, key: Hashable, record: Record) -> None:
        """Index ``record`` under ``key`` (re-adding a key replaces its record)."""
        self.add_prepared(key, prepare(record))

    def add_prepared(self, key: Hashable, prepared: Prepared) -> None:
        if key in self._ids:
            self.remove(key)
        rid = len(self._prepared)
        self._ids[key] = rid
        self._keys.append(key)
        self._prepared.append(prepared)
        self._blocks.add(rid, block_keys(prepared))

    def remove(self, key: Hashable) -> None:
        """Forget ``key``; unknown keys raise KeyError."""
        rid = self._ids.pop(key)
        prepared = self._prepared[rid]
        if prepared is not None:
            self._blocks.remove(rid, block_keys(prepared))
        self._prepared[rid] = None
        self._keys[rid] = None

    def match(self, record: Record) -> Match | None:
        """Best existing duplicate of ``record`` (highest score, then earliest added), else best version."""
        return self.match_prepared(prepare(record))

    def match_prepared(self, prepared: Prepared) -> Match | None:
        best: tuple[int, float, int] | None = None  # (kind rank, -score, rid): smallest wins
        best_verdict = None
        for rid in self._blocks.candidates(block_keys(prepared)):
            other = self._prepared[rid]
            if other is None:
                continue
            verdict = decide(other, prepared)
            if verdict.kind == "distinct":
                continue
            rank = (0 if verdict.kind == "duplicate" else 1, -verdict.score, rid)
            if best is None or rank < best:
                best, best_verdict = rank, verdict
        if best is None or best_verdict is None:
            return None
        key = self._keys[best[2]]
        return Match(key=key, kind=best_verdict.kind, rule=best_verdict.rule,  # type: ignore[arg-type]
                     score=best_verdict.score)
