"""A download button that fetches its file from the kernel when it is clicked."""

from __future__ import annotations

from collections.abc import Callable

import anywidget
import traitlets

from simsrc.ui.dashboard.markup import DOWNLOAD_ESM

__all__ = ["DownloadButton"]


class DownloadButton(anywidget.AnyWidget):
    """A button that downloads a file the kernel makes when it is clicked.

    The file is built on demand (nothing is sent while controls move) and handed to the
    browser as a Blob; no server route or network access is needed.

    Parameters
    ----------
    label : str
        Button text.
    make : callable
        ``make()`` returning ``(filename, mime type, text)``.
    hint : str
        Hover text.

    Examples
    --------
    >>> button = DownloadButton("Get it", lambda: ("a.txt", "text/plain", "hello"))
    >>> button.file()
    ('a.txt', 'text/plain', 'hello')
    """

    _esm = DOWNLOAD_ESM
    label = traitlets.Unicode("Download").tag(sync=True)
    hint = traitlets.Unicode("").tag(sync=True)  # not "tooltip": DOMWidget's breaks AnyView

    def __init__(self, label: str, make: Callable[[], tuple[str, str, str]], hint: str = ""):
        super().__init__(label=label, hint=hint)
        self._make = make
        self.on_msg(self._on_message)

    def _on_message(self, _: object, content: object, buffers: object) -> None:
        if not (isinstance(content, dict) and content.get("event") == "download"):
            return  # a crafted message: ignore
        filename, mime, text = self._make()
        self.send({"event": "file", "filename": filename, "mime": mime, "content": text})

    def file(self) -> tuple[str, str, str]:
        """The file a click would download: ``(filename, mime type, text)``."""
        return self._make()
