"""Numbers in the README come from the code: generated blocks must match it.

Refresh them with ``python tests/readme_figures.py`` after a model change.
"""

import pytest

from tests.readme_figures import BLOCKS, README, block


@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_readme_generated_blocks_match_the_code(name):
    assert block(README.read_text(), name) == BLOCKS[name]()


def test_readme_shows_both_setup_commands():
    text = README.read_text()
    assert "make test" in text and "make dashboard" in text
