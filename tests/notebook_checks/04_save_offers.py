"""Checks of 04_save_offers.ipynb (Lesson 4 · Save offers: discount, fix, pause, contract): the figures its text relies on.

tests/test_notebooks.py runs each block in the notebook's kernel right after the
first code cell containing its ``# after:`` text; names are the notebook's.
"""

# after: wide = curves.pivot(index="tenure", columns="offer", values="survival")
assert gain.loc[60, "discount"] < gain.loc[3, "discount"]
assert gain.loc[60, "expert_help"] > gain.loc[3, "expert_help"]
