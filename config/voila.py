"""Voila's settings for ``make dashboard``.

``scripts/dashboard.py`` points Voila here (``--Voila.config_file_paths``); the file
cannot sit in the repository root, where Voila would also find it, because a ``voila.py``
there would shadow the ``voila`` package for anything run from the root. The serving
behaviour itself (home page, kernels freed on close, pool sizes, culling) lives in
:mod:`simsrc.ui.serving`; this file hands it to Voila.
"""

import os

from simsrc.ui.serving import (
    CULL_IDLE_SECONDS,
    TEMPLATES_ROOT,
    TOKEN_VARIABLE,
    DashboardIdentityProvider,
    DashboardKernelManager,
    home_page_config,
    pool_sizes,
)

# Voila looks for templates on JUPYTER_PATH, read after this file runs.
os.environ["JUPYTER_PATH"] = os.pathsep.join(
    p for p in (str(TEMPLATES_ROOT), os.environ.get("JUPYTER_PATH", "")) if p
)

c = get_config()  # type: ignore[name-defined]  # noqa: F821 - provided by traitlets

c.Voila.ip = "127.0.0.1"  # this computer only; scripts/dashboard.py --host serves a team
c.Voila.port = 8866
c.Voila.port_retries = 0  # a busy port is an error, not a silent move
c.Voila.open_browser = False
c.Voila.identity_provider_class = DashboardIdentityProvider
if os.environ.get(TOKEN_VARIABLE, "").strip():  # required beyond 127.0.0.1 (scripts/dashboard.py)
    c.Voila.token = os.environ[TOKEN_VARIABLE].strip()

c.VoilaConfiguration.strip_sources = True
c.VoilaConfiguration.show_tracebacks = False
c.VoilaConfiguration.theme = "light"
c.VoilaConfiguration.template = "simsrc"  # simsrc/ui/share/voila/templates/simsrc
c.VoilaConfiguration.classic_tree = True  # the server-rendered home page
c.VoilaConfiguration.page_config_hook = home_page_config
c.VoilaConfiguration.preheat_kernel = True
c.VoilaConfiguration.default_pool_size = 0

c.VoilaKernelManager.kernel_pools_config = {
    "default": {"pool_size": 0},
    **{name: {"pool_size": size} for name, size in pool_sizes(os.environ).items()},
}
c.VoilaKernelManager.fill_delay = 10  # seconds before a used pool kernel is replaced

c.VoilaConfiguration.multi_kernel_manager_class = DashboardKernelManager  # no cull mid-handover
c.MappingKernelManager.cull_idle_timeout = CULL_IDLE_SECONDS
c.MappingKernelManager.cull_interval = 10
c.MappingKernelManager.cull_connected = False  # an open tab keeps its kernel
c.MappingKernelManager.cull_busy = False
