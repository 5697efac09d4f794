"""Charts without a network: Altair's JavaScript from the kernel, not a CDN.

Dashboards show :class:`altair.JupyterChart` widgets, which need Altair's JavaScript
bundle; lessons show static charts rendered to SVG in the kernel. Neither fetches
anything from the internet, so notebooks and Voila work offline.
"""

from __future__ import annotations

import functools
import os
import re
from importlib.metadata import version
from pathlib import Path

import altair as alt

from simsrc.model.files import write_atomic
from simsrc.ui.charts.style import THEME

# The first line of a bundle file: a file without it (empty, or not ours) is rebuilt,
# not trusted.
_BUNDLE_MARK = "// simsrc: JupyterChart offline bundle\n"


def _bundle_path() -> Path:
    """Where the offline bundle of this Altair and vl-convert is kept between kernels."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "simsrc"
    key = f"altair-{alt.__version__}-vl-convert-{version('vl-convert-python')}"
    return cache / f"jupyterchart-{re.sub(r'[^A-Za-z0-9_.-]', '_', key)}.js"


@functools.lru_cache(maxsize=1)
def enable_offline() -> None:
    """Make :class:`altair.JupyterChart` load its JavaScript from the kernel, not a CDN.

    :meth:`altair.JupyterChart.enable_offline` builds an ~880 KB bundle with vl-convert
    (about 1.5 s, and vl-convert then stays in the kernel's memory, about 100 MB). The
    first kernel keeps the bundle in the user's cache directory (``$XDG_CACHE_HOME/simsrc``,
    one file per Altair and vl-convert version, written atomically); later kernels
    read it instead, without importing vl-convert. Either way every JupyterChart then
    carries the bundle and renders with no network access.

    The work is done once per process: every dashboard and live chart calls this, and
    the one-entry cache makes later calls free. A call that raises is not cached, so
    the next one tries again; ``enable_offline.cache_clear()`` forgets a finished one.
    """
    cls = alt.JupyterChart
    try:
        path = _bundle_path()
        cached = path.read_text(encoding="utf-8") if path.is_file() else ""
    except (OSError, ValueError):  # no cache directory, unknown version: build it
        path, cached = None, ""
    if cached.startswith(_BUNDLE_MARK) and hasattr(cls, "_is_offline") and hasattr(cls, "_esm"):
        cls._esm = cached[len(_BUNDLE_MARK) :]  # what enable_offline() sets, from the cache
        cls._is_offline = True
    else:
        cls.enable_offline()
        if path is not None and isinstance(getattr(cls, "_esm", None), str):
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(path, _BUNDLE_MARK + cls._esm)
            except OSError:  # a read-only home: just keep building per kernel
                pass


def render_offline() -> None:
    """Render plain Altair charts as SVG in the kernel: no CDN, in JupyterLab and Voila.

    Also enables the house look (:data:`simsrc.ui.charts.style.THEME`): fonts that lay
    out alike in the kernel and the browser, labels never cut, titles from the left.
    """
    alt.renderers.enable("svg")
    alt.theme.enable(THEME)
