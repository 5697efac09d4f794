"""Numbers in the README come from the code: the demo block must match the CLI."""

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_demo_block_is_the_real_output():
    text = README.read_text()
    block = re.search(
        r"<!-- demo-output -->\n```text\n(.*?)```\n<!-- /demo-output -->", text, re.S
    )
    assert block, "demo block markers missing"
    out = subprocess.run(
        [sys.executable, "-m", "simsrc", "compare", "b2b-saas", "--what-if", "halve-churn"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert block.group(1) == out


def test_readme_shows_both_setup_commands():
    text = README.read_text()
    assert "make test" in text and "make demo" in text
