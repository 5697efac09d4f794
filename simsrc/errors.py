"""Errors raised for bad input, each naming the field (or file position) at fault."""

from __future__ import annotations


class ScenarioError(ValueError):
    """A scenario, scenario file or parameter value is invalid.

    Parameters
    ----------
    path : str
        Dotted path of the offending field (``"acquisition.new_per_month"``), or the
        file name for file-level problems. Empty when the whole input is at fault.
    message : str
        What is wrong and what is allowed, in plain words.

    Examples
    --------
    >>> err = ScenarioError("horizon_months", "must be between 1 and 240 (got 0)")
    >>> str(err)
    'horizon_months: must be between 1 and 240 (got 0)'
    """

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)
