"""How the dashboards are served: what Voila shows, its home page, kernels freed on close.

Read by Voila through the project's ``config/voila.py`` (``make dashboard``,
``scripts/dashboard.py``). Three things the stock Voila 0.5 server does not do for us:

* **A home page that works offline and says what each dashboard answers.** The served
  root lists the notebooks in :data:`DASHBOARDS` (and, if asked for, the lessons); the
  home page is server-rendered HTML (``share/voila/templates/simsrc/tree.html``, the
  classic tree) filled from :func:`home_page_config`, so it shows at once with working
  links, where the JupyterLab tree stays a blank page for seconds offline.
* **Closing a tab shuts its kernel down.** The page sends a shutdown beacon on
  ``beforeunload`` with the ``_xsrf`` cookie's value, but Voila never sets that cookie,
  so every shutdown was refused (403) and each closed tab kept its ~200 MB kernel
  (voila-dashboards/voila#1458). :class:`DashboardIdentityProvider` sets the cookie on
  page loads; the XSRF check itself stays on.
* Kernels of tabs that vanish without a beacon (a crashed browser, a sleeping laptop)
  are culled after :data:`CULL_IDLE_SECONDS` without a connection (``config/voila.py``);
  :class:`DashboardKernelManager` keeps the culler off a kernel whose page has not yet
  connected, and starts the pre-heated kernels in turn so the first is ready soon.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jupyter_core.utils import ensure_async
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from voila.voila_identity_provider import VoilaIdentityProvider

__all__ = [
    "CULL_IDLE_SECONDS",
    "DASHBOARDS",
    "MIN_TOKEN_LENGTH",
    "POOL_SIZES",
    "POOL_START_SPACING_SECONDS",
    "POOL_VARIABLE",
    "TEMPLATES_ROOT",
    "TOKEN_VARIABLE",
    "UNCONNECTED_GRACE_SECONDS",
    "DashboardIdentityProvider",
    "DashboardKernelManager",
    "exposure_error",
    "home_page_config",
    "pool_sizes",
]

DASHBOARDS: dict[str, tuple[str, str]] = {
    "executive_dashboard.ipynb": (
        "Executive dashboard",
        "What a retention plan does to customers, revenue, margin and cost: "
        "the baseline against your what-if, with the uncertainty around it.",
    ),
    "offer_mix_dashboard.ipynb": (
        "Save team (offer mix)",
        "Which offers the save team should make: save rate, margin kept, cost per save "
        "and the mix with the best NPV.",
    ),
}
"""Notebook → (title, the question it answers), in the order the home page lists them."""

POOL_SIZES = {"executive_dashboard.ipynb": 5, "offer_mix_dashboard.ipynb": 1}
"""Pre-heated kernels kept waiting per dashboard: a visitor who finds one gets the page
in a few seconds; the next ones wait for a kernel to start (15–20 s on two cores). Five
for the page a leadership team opens together; each waiting kernel holds about 300 MB
(``make dashboard POOL=1`` on a laptop)."""

POOL_VARIABLE = "SIMSRC_DASHBOARD_POOL"
"""Environment variable overriding the executive dashboard's pool (``scripts/dashboard.py
--pool``)."""


def pool_sizes(environ: Mapping[str, str]) -> dict[str, int]:
    """The pools to keep: :data:`POOL_SIZES`, the executive dashboard's from ``environ``.

    Raises
    ------
    ValueError
        The variable is set but not a whole number from 0 to 20.
    """
    sizes = dict(POOL_SIZES)
    raw = environ.get(POOL_VARIABLE, "").strip()
    if raw:
        if not re.fullmatch(r"[0-9]+", raw) or int(raw) > 20:  # ASCII digits only
            raise ValueError(
                f"{POOL_VARIABLE} (pre-heated executive dashboards) must be a whole number "
                f"from 0 to 20, got {raw!r}"
            )
        sizes["executive_dashboard.ipynb"] = int(raw)
    return sizes


TEMPLATES_ROOT = Path(__file__).resolve().parent / "share"
"""A Jupyter data directory holding the ``simsrc`` Voila template (``config/voila.py`` adds it to
``JUPYTER_PATH``)."""

TOKEN_VARIABLE = "SIMSRC_DASHBOARD_TOKEN"
"""Environment variable holding the token visitors must give when the dashboards are
served beyond this computer (``config/voila.py`` hands it to Voila)."""

MIN_TOKEN_LENGTH = 16


def exposure_error(host: str, token: str) -> str | None:
    """Why serving on ``host`` with ``token`` is refused, or ``None`` if it is fine.

    On a loopback address (this computer only) no token is needed; on any other
    address — a network, or every interface (``0.0.0.0``) — visitors must give a token
    of at least :data:`MIN_TOKEN_LENGTH` characters.
    """
    try:
        local = ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = host == "localhost"
    if local:
        return None
    if len(token.strip()) < MIN_TOKEN_LENGTH:
        return (
            f"serving on {host} lets anyone on that network in: set {TOKEN_VARIABLE} to a "
            f"secret of at least {MIN_TOKEN_LENGTH} characters (visitors open "
            "http://<this machine>:<port>/?token=<secret> once), or serve on 127.0.0.1 "
            "behind your own authenticating proxy"
        )
    return None


CULL_IDLE_SECONDS = 45
"""A kernel with no page connected and no work for this long is shut down (checked every
10 s). A closed tab's beacon frees its kernel at once; in ``bench-dashboard`` about one
beacon in ten never arrived, and this bounds how long such a kernel lives."""


UNCONNECTED_GRACE_SECONDS = 120
"""How long a kernel handed to a page may wait for the page to connect before the idle
culler may take it (a plain GET of a dashboard that never runs its page's script)."""


POOL_START_SPACING_SECONDS = 3.5
"""Pre-heated kernels start this far apart. Started all at once (Voila's way), six
kernels share two cores and the first is ready only when they all are (a first render
24.5 s after the server answered, in ``bench-dashboard``); spaced by about one kernel's
start-up, the first visitor's kernel has the machine nearly to itself (first render
4.6 s) and the pool is full after six turns (21 s)."""


class DashboardKernelManager(AsyncMappingKernelManager):
    """Voila's kernels with pre-heated ones started in turn, and culled only once seen.

    Pool kernels (started with ``VOILA_PREHEAT=True`` in their environment) start
    :data:`POOL_START_SPACING_SECONDS` apart; a kernel started for a waiting visitor
    starts at once.

    The idle culler, minus a race: no kernel is culled before its page connects.

    A pre-heated kernel waits in Voila's pool with no connection and no activity; Voila
    keeps the culler off it while it is pooled, but the moment it is handed to a visitor
    it looks idle for as long as it waited (minutes) with 0 connections, and a cull in
    the second before the page's websocket connects leaves that visitor on a dead page
    (seen in ``bench-dashboard``: five visitors, one never rendered). So a kernel that
    has never had a connection is culled only :data:`UNCONNECTED_GRACE_SECONDS` after
    the culler first finds it outside the pool; once a page has connected, the usual
    idle rule (:data:`CULL_IDLE_SECONDS`) applies.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._connected_once: set[str] = set()
        self._unpooled_since: dict[str, float] = {}
        self._next_pool_start = 0.0

    async def start_kernel(self, **kwargs: Any) -> str:  # type: ignore[override]  # async manager
        """Start a kernel; a pre-heated one waits for its turn first."""
        if (kwargs.get("env") or {}).get("VOILA_PREHEAT") == "True":
            now = time.monotonic()
            turn = max(now, self._next_pool_start)
            self._next_pool_start = turn + POOL_START_SPACING_SECONDS
            await asyncio.sleep(turn - now)
        return await super().start_kernel(**kwargs)

    def notify_connect(self, kernel_id: str) -> None:
        """Count a page's connection, and remember that one came."""
        self._connected_once.add(kernel_id)
        super().notify_connect(kernel_id)

    def remove_kernel(self, kernel_id: str) -> Any:
        """Forget a kernel that has shut down."""
        self._connected_once.discard(kernel_id)
        self._unpooled_since.pop(kernel_id, None)
        return super().remove_kernel(kernel_id)

    async def cull_kernel_if_idle(self, kernel_id: str) -> None:
        """Voila's pooled kernels never reach here; others as the class says."""
        if kernel_id not in self._connected_once:
            first = self._unpooled_since.setdefault(kernel_id, time.monotonic())
            if time.monotonic() - first < UNCONNECTED_GRACE_SECONDS:
                return
        await super().cull_kernel_if_idle(kernel_id)


class DashboardIdentityProvider(VoilaIdentityProvider):
    """Voila's anonymous identity, plus the ``_xsrf`` cookie on every page load.

    The dashboard page reads the cookie to sign the shutdown beacon it sends when the tab
    closes; without it Voila refuses the shutdown (403) and the kernel lives on.
    """

    async def get_user(self, handler: web.RequestHandler) -> Any:
        """The request's user; sets the ``_xsrf`` cookie on plain page loads."""
        user = await ensure_async(super().get_user(handler))
        request = handler.request
        if user is not None and request.method == "GET" and "Upgrade" not in request.headers:
            handler.current_user = user  # the token's cookie options depend on it
            handler.xsrf_token  # noqa: B018 - reading it sets the cookie if missing
        return user


def home_page_config(page_config: dict[str, Any], **_: Any) -> dict[str, Any]:
    """Add the dashboards' titles and questions to a page's configuration, and return it.

    Voila calls it (``VoilaConfiguration.page_config_hook``) for every page it renders:
    the home page changes it in place, a dashboard page uses what it returns. The home
    page's template reads ``page_config["simsrc"]``.
    """
    page_config["simsrc"] = {
        name: {"title": title, "question": question}
        for name, (title, question) in DASHBOARDS.items()
    }
    return page_config
