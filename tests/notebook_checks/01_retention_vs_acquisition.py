"""Checks of 01_retention_vs_acquisition.ipynb (Lesson 1 · Retention vs. acquisition: the leaky bucket): the figures its text relies on.

tests/test_notebooks.py runs each block in the notebook's kernel right after the
first code cell containing its ``# after:`` text; names are the notebook's.
"""

# after: charts.halving_chart(table)
assert abs(table.set_index("months").loc[60, "revenue_ratio"] - 1.344) < 0.001
assert 2.0 < table.set_index("months").loc[240, "customers_ratio"] < 2.05
import math

assert round(math.log(0.5) / math.log(0.98)) == 34 and round(math.log(0.1) / math.log(0.98)) == 114

# after: flat = lessons.halving_churn_table(0.04, (60,))
assert rising["revenue_ratio"].iloc[0] > flat["revenue_ratio"].iloc[0]
assert growing["revenue_ratio"].iloc[0] < flat["revenue_ratio"].iloc[0]

# after: teaching.exercise(1, 2)
from simsrc.analysis.answers import acquisition_vs_churn

more36, less36 = acquisition_vs_churn(36)
more120, less120 = acquisition_vs_churn(120)
assert more36 > less36 and less120 > more120
