"""Every notebook runs cleanly, checks the figures its text relies on, and is committed
without outputs.

Notebooks are executed with nbclient in the project's own kernel, from the notebooks
folder (so relative paths work as in JupyterLab and Voila). The checks of a notebook
live in ``tests/notebook_checks/<notebook>.py``, out of a reader's sight: each block
after a ``# after: <text>`` line is inserted after the first code cell containing that
text before the notebook runs.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CHECKS = ROOT / "tests" / "notebook_checks"
SCIENTIFIC = re.compile(r"\d\.?\d*e[+-]\d+")


def check_blocks(stem: str) -> list[tuple[str, str]]:
    """The notebook's checks: (text of the cell they follow, code), in file order."""
    path = CHECKS / f"{stem}.py"
    if not path.exists():
        return []
    parts = re.split(r"^# after: (.+)$", path.read_text(), flags=re.MULTILINE)
    return [(parts[i].strip(), parts[i + 1].strip()) for i in range(1, len(parts), 2)]


def with_checks(nb, stem: str):
    """``nb`` with its check blocks inserted after the cells they name."""
    import nbformat

    for anchor, code in reversed(check_blocks(stem)):
        at = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and anchor in c.source]
        assert at, f"{stem}: no code cell contains {anchor!r} (tests/notebook_checks)"
        nb.cells.insert(at[0] + 1, nbformat.v4.new_code_cell(code))
    return nb


def test_every_check_file_names_a_notebook_and_its_cells():
    import nbformat

    stems = {p.stem for p in NOTEBOOKS}
    for path in CHECKS.glob("*.py"):
        assert path.stem in stems, f"{path.name}: no notebook of that name"
        nb = nbformat.read(ROOT / "notebooks" / f"{path.stem}.ipynb", as_version=4)
        blocks = check_blocks(path.stem)
        assert blocks, path.name
        added = len(with_checks(nb, path.stem).cells) - len(
            nbformat.read(ROOT / "notebooks" / f"{path.stem}.ipynb", as_version=4).cells
        )
        assert added == len(blocks)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_a_reader_sees_no_checks(path):
    # Issue 18: no "assert … •••" rows in JupyterLab; the checks run from the tests.
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        source = "".join(cell["source"])
        assert "test" not in cell.get("metadata", {}).get("tags", []), f"{path.name} cell {i}"
        assert not re.search(r"^\s*assert\b", source, flags=re.MULTILINE), f"{path.name} cell {i}"


def money_signs_read_as_math(markdown: str) -> list[str]:
    """Dollar signs of a markdown cell that JupyterLab and Voila would take for math.

    Both typeset ``$…$`` as TeX, and both drop a plain ``\\$`` escape before MathJax sees
    it ("loses \\$375K … worth \\$7.3M" came out as italic math, seen in screenshots of
    each); written ``\\\\$`` a dollar shows as a dollar in both. Code is left alone.
    """
    prose = re.sub(r"```.*?```|`[^`]*`", "", markdown, flags=re.DOTALL)
    return [m.group(0) for m in re.finditer(r".{0,20}(?<!\\\\)\$.{0,20}", prose)]


def test_the_money_sign_check_can_fail():
    assert money_signs_read_as_math(r"loses \\$375K, worth \\$7.3M") == []
    assert money_signs_read_as_math("`$HOME` and ```\n$ make\n```") == []
    assert len(money_signs_read_as_math(r"loses \$375K")) == 1
    assert len(money_signs_read_as_math("loses $375K")) == 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_money_in_the_prose_is_not_typeset_as_math(path):
    nb = json.loads(path.read_text())
    found = {i: money_signs_read_as_math("".join(cell["source"]))
             for i, cell in enumerate(nb["cells"]) if cell["cell_type"] == "markdown"}  # fmt: skip
    assert {i: hits for i, hits in found.items() if hits} == {}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_notebook_has_no_outputs(path):
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert not cell.get("outputs"), f"{path.name} cell {i} has outputs (strip them)"
            assert cell.get("execution_count") is None, f"{path.name} cell {i} was executed"


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes_without_errors(path, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = with_checks(nbformat.read(path, as_version=4), path.stem)
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )  # fmt: skip
    client.execute()
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", (
                f"{path.name} cell {i}: {out.get('ename')}: {out.get('evalue')}"
            )
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                assert "Traceback" not in out.get("text", ""), f"{path.name} cell {i}"
            html = out.get("data", {}).get("text/html", "")
            if "<table" in html:  # issue 18: tables as a finance team writes them
                assert not SCIENTIFIC.search(html), (path.name, i, SCIENTIFIC.search(html)[0])
                assert not re.search(r"<th[^>]*>\s*0\s*</th>", html), (
                    f"{path.name} cell {i}: 0…n index"
                )


def test_git_strips_notebook_outputs_by_itself():
    # Issue 18: outputs stay out of git without relying on memory (make install sets it).
    import subprocess

    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    assert "*.ipynb filter=nbstripout" in (ROOT / ".gitattributes").read_text()
    clean = subprocess.run(["git", "config", "--get", "filter.nbstripout.clean"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()  # fmt: skip
    assert "nbstripout" in clean, "run make install: it sets git's notebook filter"
    nb = json.loads(NOTEBOOKS[0].read_text())
    code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["42\n"]}]
    code["execution_count"] = 7
    out = subprocess.run(clean, shell=True, input=json.dumps(nb), capture_output=True,
                         text=True, cwd=ROOT, check=True).stdout  # fmt: skip
    stripped = json.loads(out)
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in stripped["cells"] if c["cell_type"] == "code")  # fmt: skip
