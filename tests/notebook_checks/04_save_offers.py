"""Checks of 04_save_offers.ipynb (Lesson 4 · Save offers: discount, fix, pause, contract): the figures its text relies on.

tests/test_notebooks.py runs each block in the notebook's kernel right after the
first code cell containing its ``# after:`` text; names are the notebook's.
"""

# after: wide = curves.pivot(index="tenure", columns="offer", values="survival")
# "the discount's gain peaks within the first year and then fades"
assert gain["discount"].idxmax() <= 12 and gain.loc[60, "discount"] < gain["discount"].max()
# "expert help's gain grows for two years, to several times any other offer's"
assert 18 <= gain["expert_help"].idxmax() <= 36
assert gain.loc[24, "expert_help"] > 3 * gain.loc[24].drop("expert_help").max()
# "pauses and contracts build slowly"
assert gain["pause"].is_monotonic_increasing and gain["contract"].is_monotonic_increasing

# after: consumer = simsrc.preset("consumer-app")
t = targeting(consumer)
# "fewer, cheaper saves and NPV falls at every step"
assert t["npv"].is_monotonic_decreasing and t["npv"].iloc[-1] < t["npv"].iloc[0]
assert t["save_rate"].is_monotonic_decreasing and t["cost_per_save"].is_monotonic_decreasing
