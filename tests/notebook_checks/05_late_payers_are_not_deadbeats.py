"""Checks of 05_late_payers_are_not_deadbeats.ipynb (Lesson 5 · Late payers are not deadbeats): the figures its text relies on.

tests/test_notebooks.py runs each block in the notebook's kernel right after the
first code cell containing its ``# after:`` text; names are the notebook's.
"""

# after: fmt.table(matrix, caption=
m = matrix.set_index(["style", "channel"])["recovery_rate"]
assert m[("pay_up", "email")] < 1 / 3 and 0.75 < m[("help_first", "sms")] < 0.9

# after: def by_stuck_share(shares=(0.0, 0.2, 0.4, 0.6)):
assert stuck["pay_up_email"].is_monotonic_decreasing
gap = stuck["help_first_email"] - stuck["pay_up_email"]
assert gap.is_monotonic_increasing
# "with nobody stuck it recovers a little less; every stuck customer widens its lead"
assert -0.05 < gap.iloc[0] < 0 < gap.iloc[-1]
