"""Seeing runs: charts in the terminal, self-contained HTML pages and a local read-only web view.

Above analysis and release (it draws what they compute), below the command line.

- ``downsample``: min/max buckets and a moving average (fewer points, the same shape);
- ``charts``: which points of which series to draw (:class:`Chart`, shared by every renderer);
- ``html``: Jinja2 templates with autoescaping and the vendored chart library inlined
  (``assets/``, fetched by ``scripts/vendor_assets.py``); imported on demand (Jinja2).
"""

from __future__ import annotations

from contexta_git.web.charts import Chart, Line, chart, every_series
from contexta_git.web.downsample import minmax, moving_average

__all__ = ["Chart", "Line", "chart", "every_series", "minmax", "moving_average"]
