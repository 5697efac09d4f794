"""Checks of 02_why_churn_falls_with_tenure.ipynb (Lesson 2 · Why churn falls with tenure): the figures its text relies on.

tests/test_notebooks.py runs each block in the notebook's kernel right after the
first code cell containing its ``# after:`` text; names are the notebook's.
"""

# after: from simsrc.calibration.sbg import fit_sbg
assert (round(fits["regular"].alpha, 3), round(fits["regular"].beta, 3)) == (0.704, 1.182)
assert (round(fits["high_end"].alpha, 3), round(fits["high_end"].beta, 3)) == (0.668, 3.806)

# after: proj = lessons.naive_vs_sbg("high_end").set_index("year")
assert abs(proj.loc[12, "naive"] - 29.5) < 0.1 and abs(proj.loc[12, "sbg"] - 37.8) < 0.1
