"""Stage 2: cheap blocking keys, so only records that share one are compared.

Each record gets a handful of keys (identifiers, title prefix, the title's longest words, the initials of
its first words, first author + year, first author + first title word, year + volume + first page, venue
acronym + volume + first page). True duplicates nearly always share
several. A key shared by more than ``max_bucket`` records says nothing (a stop key, like "Editorial") and is
dropped, which keeps the number of candidate pairs near-linear in the number of records.
"""

from __future__ import annotations

from collections.abc import Iterable

from livereview.dedup.prep import Prepared, content_words

#: records per key before the key becomes a stop key
DEFAULT_MAX_BUCKET = 100


def block_keys(p: Prepared) -> list[int]:
    """The blocking keys of one prepared record, hashed (a leading letter in the text names the kind).

    Hashes keep the index small; a collision only adds a candidate pair, which the matcher then rejects.
    """
    return [hash(k) for k in block_key_texts(p)]


def block_key_texts(p: Prepared) -> list[str]:
    """The blocking keys as readable strings (for tests and debugging)."""
    keys: list[str] = []
    if p.doi_base:
        keys.append("d" + p.doi_base)
    if p.pmid:
        keys.append("p" + p.pmid)
    if p.pmcid:
        keys.append("c" + p.pmcid)
    words = content_words(p.title)
    if len(words) >= 2:
        keys.append("t" + " ".join(words[:4]))
        longest = sorted(set(words), key=lambda w: (-len(w), w))[:3]
        if len(longest) >= 2:
            keys.append("s" + " ".join(sorted(longest)))
    if len(words) >= 5:
        # first letters of the first eight words: survives a typo inside a word and case / punctuation noise
        keys.append("i" + "".join(w[0] for w in words[:8]))
    if p.authors:
        if p.year is not None:
            keys.append(f"a{p.authors[0][0]}|{p.year}")
        if words:
            keys.append(f"f{p.authors[0][0]}|{words[0]}")  # survives a year off by one
    if p.first_page and p.volume:
        if p.year is not None:
            keys.append(f"v{p.year}|{p.volume}|{p.first_page}")
        if p.venue:
            keys.append("j" + "".join(w[0] for w in p.venue) + f"|{p.volume}|{p.first_page}")
    return keys


class BlockIndex:
    """Record ids per blocking key, with stop keys dropped once they grow past ``max_bucket``.

    A key held by one record maps to that id directly (most keys are never shared); a shared key maps to a
    list. Stop keys are forgotten for everyone, so the index stays near-linear in size and in pairs.
    """

    def __init__(self, *, max_bucket: int = DEFAULT_MAX_BUCKET) -> None:
        self.max_bucket = max_bucket
        self._buckets: dict[int, int | list[int]] = {}
        self.stop_keys: set[int] = set()

    def candidates(self, keys: Iterable[int]) -> set[int]:
        """Ids sharing at least one live key with ``keys``."""
        found: set[int] = set()
        buckets = self._buckets
        for k in keys:
            bucket = buckets.get(k)
            if bucket is None:
                continue
            if isinstance(bucket, int):
                found.add(bucket)
            else:
                found.update(bucket)
        return found

    def add(self, rid: int, keys: Iterable[int]) -> None:
        buckets = self._buckets
        for k in keys:
            bucket = buckets.get(k)
            if bucket is None:
                if k not in self.stop_keys:
                    buckets[k] = rid
            elif isinstance(bucket, int):
                if bucket != rid:
                    buckets[k] = [bucket, rid]
            elif len(bucket) >= self.max_bucket:
                # the key is too common to discriminate: forget it for everyone
                self.stop_keys.add(k)
                del buckets[k]
            elif rid not in bucket:
                bucket.append(rid)

    def remove(self, rid: int, keys: Iterable[int]) -> None:
        buckets = self._buckets
        for k in keys:
            bucket = buckets.get(k)
            if bucket is None:
                continue
            if isinstance(bucket, int):
                if bucket == rid:
                    del buckets[k]
            elif rid in bucket:
                bucket.remove(rid)
                if len(bucket) == 1:
                    buckets[k] = bucket[0]
