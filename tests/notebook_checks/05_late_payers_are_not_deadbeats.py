"""Checks of 05_late_payers_are_not_deadbeats.ipynb (Lesson 5 · Late payers are not deadbeats): the figures its text relies on.

tests/test_notebooks.py runs each block in the notebook's kernel right after the
first code cell containing its ``# after:`` text; names are the notebook's.
"""

# after: fmt.table(matrix)
m = matrix.set_index(["style", "channel"])["recovery_rate"]
assert m[("pay_up", "email")] < 1 / 3 and 0.75 < m[("help_first", "sms")] < 0.9

# after: def by_stuck_share(shares=(0.0, 0.2, 0.4, 0.6)):
assert stuck["pay-up email"].is_monotonic_decreasing
gap = stuck["help-first email"] - stuck["pay-up email"]
assert gap.is_monotonic_increasing
