"""A what-if in the page's address, so that a link opens the same what-if.

The dashboard's state as a query string: the preset and every control that differs from
it (``?preset=b2b-saas&churn.onboarding=0.5``). :class:`ShareLink` keeps the browser's
address bar on it (``history.replaceState``, no reload) and copies it on a click; when a
page opens, it sends the kernel the address it was opened with, and the dashboard
restores that what-if. The browser tells the kernel, rather than the kernel reading
Voila's request, because pre-heated kernels run before any visitor arrives.

Examples
--------
>>> link_query("b2b-saas", {"churn.onboarding": 0.5, "save_team.coverage": 0.8},
...            {"churn.onboarding": 1.0, "save_team.coverage": 0.8})
'preset=b2b-saas&churn.onboarding=0.5'
>>> name, values, problems = parse_link("preset=b2b-saas&churn.onboarding=0.5&nonsense=1")
>>> name, values, [str(p) for p in problems]
('b2b-saas', {'churn.onboarding': 0.5}, ['nonsense: is not a control of this dashboard'])
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

import anywidget
import traitlets

from simsrc.model.errors import ScenarioError
from simsrc.ui.dashboard.markup import LINK_ESM
from simsrc.ui.dashboard.values import CHOICES, check_control, choice_words, control_param

__all__ = ["MAX_LINK", "ShareLink", "link_query", "parse_link"]

MAX_LINK = 4096
"""Longest query string read (a what-if with every control changed is under 2 KB)."""


def _text(value: Any) -> str:
    """A control value as a link writes it: words, exact numbers, ``true``/``false``.

    Numbers use Python's shortest form that reads back to the same float.
    """
    return str(value).lower() if isinstance(value, bool) else str(value)


def link_query(preset: str | None, values: Mapping[str, Any], baseline: Mapping[str, Any]) -> str:
    """The query string of a what-if: the preset and the controls that differ from it.

    An uploaded baseline (``preset`` ``None``) cannot travel in a link: the result is
    empty.
    """
    if preset is None:
        return ""
    changed = [(k, _text(v)) for k, v in values.items() if baseline.get(k) != v]
    return urllib.parse.urlencode([("preset", preset), *changed], safe=".")


def _from_text(key: str, text: str) -> Any:
    """A control's value from its text in a link, checked (ScenarioError if not allowed)."""
    if key in CHOICES:
        for word in choice_words(key):
            if str(word).lower() == text.strip().lower():
                return check_control(key, word)
        return check_control(key, text)  # refused, naming the allowed words
    if control_param(key) is None:
        raise ScenarioError(key, "is not a control of this dashboard")
    try:
        number = float(text)
    except ValueError:
        raise ScenarioError(key, f"expected a number (got {text[:40]!r})") from None
    return check_control(key, number)


def parse_link(query: str) -> tuple[str | None, dict[str, Any], list[ScenarioError]]:
    """The preset, checked control values and problems of a link's query string.

    Never raises: what cannot be read is left out and described in the problems (each
    naming its field), so a damaged link restores what it can.
    """
    if len(query) > MAX_LINK:
        return None, {}, [ScenarioError("link", f"longer than {MAX_LINK:,} characters; ignored")]
    fields = urllib.parse.parse_qsl(query.lstrip("?"), keep_blank_values=True)
    preset: str | None = None
    values: dict[str, Any] = {}
    problems: list[ScenarioError] = []
    for key, text in fields:
        if key == "preset":
            preset = text
            continue
        if key == "token":  # Voila's own parameter, not a what-if
            continue
        try:
            values[key] = _from_text(key, text)
        except ScenarioError as exc:
            problems.append(exc)
    return preset, values, problems


class ShareLink(anywidget.AnyWidget):
    """Keeps the page's address on the what-if, copies it, and reports how a page opened.

    Parameters
    ----------
    on_open : callable
        ``on_open(query)`` with the query string the page was opened with (once per
        page; messages of any other shape are ignored).
    """

    _esm = LINK_ESM
    query = traitlets.Unicode("").tag(sync=True)
    label = traitlets.Unicode("Copy link").tag(sync=True)
    hint = traitlets.Unicode("A link to this what-if: whoever opens it sees these settings").tag(
        sync=True
    )

    def __init__(self, on_open: Callable[[str], None]) -> None:
        super().__init__()
        self._on_open = on_open
        self.on_msg(self._on_message)

    def _on_message(self, _: object, content: object, buffers: object) -> None:
        if not isinstance(content, dict) or content.get("event") != "open":
            return  # a crafted message: ignore
        query = content.get("query")
        if isinstance(query, str):
            self._on_open(query[: MAX_LINK + 1])
