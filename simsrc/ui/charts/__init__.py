"""Charts: tidy data in, Altair charts out (dashboards, lessons, analyst notebooks)."""

from simsrc.ui.charts.views import *  # noqa: F403
