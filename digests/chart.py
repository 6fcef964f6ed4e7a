"""The digest's corpus-growth chart: drawn by the code the dashboard shares (:mod:`reports.charts`)."""

from __future__ import annotations

from livereview.reports.charts import growth_png

__all__ = ["growth_png"]
