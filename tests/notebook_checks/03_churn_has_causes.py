"""Checks of 03_churn_has_causes.ipynb (Lesson 3 · Churn has causes): the figures its text relies on.

tests/test_notebooks.py runs each block in the notebook's kernel right after the
first code cell containing its ``# after:`` text; names are the notebook's.
"""

# after: survey = lessons.EXIT_SURVEY
by = from_survey.monthly_churn_by_cause()
assert abs(by["price_competitor"] - 0.02 * 0.35 / 0.95) < 1e-12
# "the peaks add up to more than the 2 % that leave in an average month"
assert sum(v for cause, v in by.items() if cause != "involuntary") > 0.02

# after: def value_of_halving(s):
assert worth["NPV gained"].min() > 0
ranked = list(worth["cause"])
assert ranked[0] == "Natural events"
assert ranked.index("Failed payment") < ranked.index("Ineffective onboarding")
