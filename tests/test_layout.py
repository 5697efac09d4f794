"""The package's house rules (docs/architecture.md), checked on the source tree."""

import ast
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SIMSRC = ROOT / "simsrc"
_spec = importlib.util.spec_from_file_location("sizes", ROOT / "scripts" / "sizes.py")
assert _spec is not None and _spec.loader is not None
sizes = importlib.util.module_from_spec(_spec)
sys.modules["sizes"] = sizes  # its dataclasses look their module up there
_spec.loader.exec_module(sizes)


def _modules() -> list[tuple[str, ast.Module]]:
    out = []
    for path in sorted(SIMSRC.rglob("*.py")):
        name = ".".join(path.relative_to(SIMSRC.parent).with_suffix("").parts)
        out.append((name.removesuffix(".__init__"), ast.parse(path.read_text(encoding="utf-8"))))
    return out


def test_no_function_or_module_over_the_size_limits():
    assert sizes.over_limits() == []


def test_the_size_report_counts_code_not_docstrings(tmp_path):
    pkg = tmp_path / "simsrc"
    pkg.mkdir()
    body = "\n".join(f"    x{i} = {i}" for i in range(81))
    (pkg / "m.py").write_text(f'def long():\n    """Doc.\n\n    More.\n    """\n{body}\n')
    (found,) = sizes.function_sizes(pkg)
    assert (found.name, found.lines) == ("simsrc.m:long", 82)
    assert sizes.over_limits(pkg) == ["function simsrc.m:long: 82 lines (limit 80)"]


def test_no_module_imports_another_modules_private_name():
    found = []
    for name, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("simsrc"):
                found += [
                    f"{name} imports {node.module}.{a.name}"
                    for a in node.names
                    if a.name.startswith("_") and node.module != name
                ]
    assert found == []


def test_no_import_of_the_package_inside_a_function():
    """Cycles are broken by structure, not by deferring an import to call time."""
    found = []
    for name, tree in _modules():
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("simsrc"):
                    found.append(f"{name}.{fn.name} imports {node.module}")
                if isinstance(node, ast.Import) and any(
                    a.name.startswith("simsrc") for a in node.names
                ):
                    found.append(f"{name}.{fn.name} imports simsrc")
    assert found == []


@pytest.mark.parametrize(
    "name",
    ["sweep", "monte_carlo", "tornado", "optimize_retention", "optimize_offer_mix", "calibrate"],
)
def test_the_public_api_has_every_analysis(name):
    import simsrc

    assert callable(getattr(simsrc, name)) and name in simsrc.__all__


def test_the_architecture_picture_names_every_module():
    """docs/architecture.md draws the tree as it is: each floor's box names its modules."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    picture = text.split("```text", 1)[1].split("```", 1)[0]
    words = set(picture.replace("·", " ").replace("│", " ").split())
    missing = []
    for floor in ("model", "engine", "results", "analysis", "calibration"):
        for path in (SIMSRC / floor).glob("*.py"):
            if path.stem != "__init__" and path.stem not in words:
                missing.append(f"{floor}/{path.name}")
    for path in (SIMSRC / "ui").iterdir():
        name = path.stem if path.suffix == ".py" else f"{path.name}/"
        if path.name not in ("__init__.py", "__pycache__") and name not in words:
            missing.append(f"ui/{path.name}")
    assert not missing, f"docs/architecture.md does not draw: {missing}"
