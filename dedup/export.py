"""Writing duplicate groups in the benchmark's ``merged_record_ids.csv`` shape."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from livereview.csvout import CsvWriter
from livereview.dedup.pipeline import DedupResult
from livereview.records.model import Record


def write_groups_csv(records: Sequence[Record], result: DedupResult, path: str | Path) -> None:
    """One row per duplicate group: header ``merged_ids``, the records' ``source_id``s joined by ``;``.

    Records without a ``source_id`` are named by :meth:`Record.stable_id`.
    """
    with open(path, "w", newline="", encoding="utf-8") as fh:
        fh.write("merged_ids\n")
        writer = CsvWriter(fh, quoting=csv.QUOTE_ALL)
        for group in result.groups:
            writer.writerow([";".join(records[i].stable_id() for i in group)])
