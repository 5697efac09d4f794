"""Checks of uncertainty_and_scale.ipynb (How sure are we? Random runs, uncertain assumptions, what matters most, the best plan): the figures its text relies on.

tests/test_notebooks.py runs each block in the notebook's kernel right after the
first code cell containing its ``# after:`` text; names are the notebook's.
"""

# after: fmt.table(runs.kpi_bands.loc[["total_revenue", "npv", "ending_active", "save_rate"]])
b = runs.kpi_bands
for k in ("total_revenue", "ending_active"):
    assert b.loc[k, "p10"] < b.loc[k, "expected"] < b.loc[k, "p90"], k
    assert abs(b.loc[k, "mean"] - b.loc[k, "expected"]) < 4 * b.loc[k, "std_error"], k

# after: fmt.table(mc.kpi_bands.loc[["total_revenue", "npv", "ending_active"]])
expected = simsrc.simulate(base).kpis["npv"]
assert mc.kpi_bands.loc["npv", "p10"] < expected < mc.kpi_bands.loc["npv", "p90"]

# after: top = table.head(8).assign(unit=lambda t: [simsrc.PARAMETERS[p].unit for p in t["path"]])
assert table["swing"].is_monotonic_decreasing
assert table.iloc[0]["path"] == "acquisition.new_per_month"

# after: "save_team.coverage": [0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
npv = points.set_index(["save_team.coverage", "save_team.mix.price_competitor.discount"])["npv"]
assert npv[(1.0, 0.5)] > npv[(0.0, 0.5)]

# after: three_years = base.replace(horizon_months=36)
assert plan.npv >= plan.npv_start
assert plan.spend <= budget * (1 + 1e-6) and plan.peak_contacts <= 60 * (1 + 1e-6)
