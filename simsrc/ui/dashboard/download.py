"""A download button that fetches its file from the kernel when it is clicked."""

from __future__ import annotations

import logging
from collections.abc import Callable

import anywidget
import traitlets

from simsrc.ui.dashboard.markup import DOWNLOAD_ESM

__all__ = ["DownloadButton", "FileContent"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

FileContent = tuple[str, str, str | bytes]
"""A file to download: ``(filename, mime type, text or bytes)``."""


class DownloadButton(anywidget.AnyWidget):
    """A button that downloads a file the kernel makes when it is clicked.

    The file is built on demand (nothing is sent while controls move) and handed to the
    browser as a Blob; no server route or network access is needed.

    Parameters
    ----------
    label : str
        Button text.
    make : callable
        ``make()`` returning ``(filename, mime type, content)``; the content is text,
        or bytes (a PDF, a PNG), which travel as a binary buffer of the message.
    hint : str
        Hover text.
    on_error : callable, optional
        ``on_error(exc)`` when ``make`` raises (the button is released either way);
        by default the problem is logged.

    Examples
    --------
    >>> button = DownloadButton("Get it", lambda: ("a.txt", "text/plain", "hello"))
    >>> button.file()
    ('a.txt', 'text/plain', 'hello')
    """

    _esm = DOWNLOAD_ESM
    label = traitlets.Unicode("Download").tag(sync=True)
    hint = traitlets.Unicode("").tag(sync=True)  # not "tooltip": DOMWidget's breaks AnyView

    def __init__(
        self,
        label: str,
        make: Callable[[], FileContent],
        hint: str = "",
        on_error: Callable[[Exception], None] | None = None,
    ):
        super().__init__(label=label, hint=hint)
        self._make = make
        self._on_error = on_error
        self.on_msg(self._on_message)

    def _on_message(self, _: object, content: object, buffers: object) -> None:
        if not (isinstance(content, dict) and content.get("event") == "download"):
            return  # a crafted message: ignore
        try:
            filename, mime, content = self._make()
        except Exception as exc:  # the kernel must survive; the page gets its button back
            self.send({"event": "failed"})
            if self._on_error is None:
                logger.info("download failed", exc_info=True)
            else:
                self._on_error(exc)
            return
        message = {"event": "file", "filename": filename, "mime": mime}
        if isinstance(content, bytes):
            self.send(message, buffers=[content])
        else:
            self.send({**message, "content": content})

    def file(self) -> FileContent:
        """The file a click would download: ``(filename, mime type, content)``."""
        return self._make()
