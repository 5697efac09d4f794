"""Checks of cohort_deep_dive.ipynb (Cohort deep dive): the figures its text relies on.

tests/test_notebooks.py runs each block in the notebook's kernel right after the
first code cell containing its ``# after:`` text; names are the notebook's.
"""

# after: rpc = res.revenue_per_customer()
v = rpc["standard"].to_numpy()
assert abs(v[24:36].mean() / v[0:6].mean() - 1.67) < 1e-9

# after: value = lessons.cohort_value(scenario)
assert (
    abs(value["margin"].sum() - res.kpis["clv_per_customer"]) < 1e-6 * res.kpis["clv_per_customer"]
)
