"""Prefect flow ``nightly-backup``: write a backup of the store into the backup folder and keep the newest N.

The folder and N are settings (``LIVEREVIEW_BACKUP_DIR``, ``LIVEREVIEW_BACKUP_KEEP``), or the deployment's
parameters. All the logic lives in :mod:`livereview.store.backup`; the old copies are pruned only after the new
one is complete, so a failed night never leaves fewer good backups than before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from livereview.store.backup import nightly_name, prune_backups, write_backup
from livereview.store.context import open_store


@task(name="write-backup-and-prune", cache_policy=NO_CACHE)
def backup_and_prune(folder: str | None, keep: int | None) -> dict[str, Any]:
    """One backup into ``folder``; then all but the ``keep`` newest nightly backups there are deleted."""
    with open_store(read_protocol=False) as opened:
        settings = opened.settings
        target = Path(folder) if folder else settings.resolved_backup_dir
        keep = keep or settings.backup_keep
        report = write_backup(opened.engine, settings.data_dir, target / nightly_name())
    deleted = prune_backups(target, keep)
    logger = get_run_logger()
    for line in report.lines():
        logger.info(line)
    logger.info("kept the newest %d backups in %s; deleted %d", keep, target, len(deleted))
    return {"path": str(report.path), "size": report.size, "counts": report.counts,
            "deleted": [str(p) for p in deleted]}


@flow(name="nightly-backup", log_prints=False)
def nightly_backup(folder: str | None = None, keep: int | None = None) -> dict[str, Any]:
    """Back the store up (see :mod:`livereview.store.backup`) and keep the newest ``keep`` copies."""
    return backup_and_prune(folder, keep)
