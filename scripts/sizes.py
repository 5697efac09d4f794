"""Report the longest functions and modules of ``simsrc/`` and check the house limits.

A function counts its lines of code from its signature to its end, without its
docstring (numpydoc examples are documentation, not length); a module counts all its
lines. The limits are those of ``docs/architecture.md``: functions at most 80 lines,
modules at most 800. ``FLAT_TABLES`` lists the functions allowed to be longer because
they are one flat table (a literal listing rows), not logic.

Usage::

    python scripts/sizes.py            # the ten longest of each
    python scripts/sizes.py --check    # exit 1 naming everything over a limit
"""

from __future__ import annotations

import argparse
import ast
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "simsrc"
MAX_FUNCTION = 80
MAX_MODULE = 800
FLAT_TABLES: frozenset[str] = frozenset()
"""``module:function`` names allowed past ``MAX_FUNCTION`` (one flat table each)."""


@dataclass(frozen=True)
class Size:
    """Lines of one function or module."""

    name: str
    lines: int


def _docstring_lines(node: ast.AST) -> int:
    body = getattr(node, "body", [])
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        first = body[0]
        return (first.end_lineno or first.lineno) - first.lineno + 1
    return 0


def function_sizes(root: Path = ROOT) -> list[Size]:
    """Every function and method under ``root``, longest first."""
    out = []
    for path in sorted(root.rglob("*.py")):
        module = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                total = (node.end_lineno or node.lineno) - node.lineno + 1
                out.append(Size(f"{module}:{node.name}", total - _docstring_lines(node)))
    return sorted(out, key=lambda s: -s.lines)


def module_sizes(root: Path = ROOT) -> list[Size]:
    """Every module under ``root``, longest first."""
    out = [
        Size(str(p.relative_to(root.parent)), len(p.read_text(encoding="utf-8").splitlines()))
        for p in sorted(root.rglob("*.py"))
    ]
    return sorted(out, key=lambda s: -s.lines)


def over_limits(root: Path = ROOT) -> list[str]:
    """Functions and modules over the limits, as readable lines (empty when all hold)."""
    too_long = [
        f"function {s.name}: {s.lines} lines (limit {MAX_FUNCTION})"
        for s in function_sizes(root)
        if s.lines > MAX_FUNCTION and s.name not in FLAT_TABLES
    ]
    too_long += [
        f"module {s.name}: {s.lines} lines (limit {MAX_MODULE})"
        for s in module_sizes(root)
        if s.lines > MAX_MODULE
    ]
    return too_long


def main(argv: list[str] | None = None) -> int:
    """Print the report; with ``--check`` exit 1 if a limit is broken."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a limit is broken")
    parser.add_argument("--top", type=int, default=10, help="how many of each to list")
    args = parser.parse_args(argv)
    print(f"Longest functions (code lines, limit {MAX_FUNCTION}):")
    for s in function_sizes()[: args.top]:
        print(f"  {s.lines:5d}  {s.name}")
    print(f"Longest modules (lines, limit {MAX_MODULE}):")
    for s in module_sizes()[: args.top]:
        print(f"  {s.lines:5d}  {s.name}")
    broken = over_limits()
    if args.check and broken:
        print("\n".join(["Over the limits:", *broken]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
