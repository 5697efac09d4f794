"""Checks of calibrate_from_your_data.ipynb (Calibrate a scenario from your own data): the figures its text relies on.

tests/test_notebooks.py runs each block in the notebook's kernel right after the
first code cell containing its ``# after:`` text; names are the notebook's.
"""

# after: report.fit[
fit = report.fit.set_index("segment")
assert fit.loc["month_to_month", "within_tolerance"]
assert fit.loc["month_to_month", "max_gap"] < 0.03

# after: before, flat = calibrate(DATA, contract_terms=None)  # contracts averaged into flat hazards
gaps = report.fit.set_index("segment")["scenario_max_gap"]
assert (gaps <= 0.05).all()
assert round(gaps["two_year"], 3) == 0.024 and round(gaps["one_year"], 3) == 0.030
assert all(x.contract.term_months == 0 for x in before.segments)
# "the largest gap is 3 percentage points (one year) where it was 24 (two years)"
flat_gaps = flat.fit.set_index("segment")["scenario_max_gap"]
assert round(100 * gaps.max()) == 3 and gaps.idxmax() == "one_year"
assert round(100 * flat_gaps.max()) == 24 and flat_gaps.idxmax() == "two_year"

# after: study = published_coverage()
b = bands.round(0)
assert b.loc[["ending_active"], ["p10", "p90"]].to_numpy().tolist() == [[1350, 1621]]
assert round(b.loc["total_revenue", "p10"] / 1e6, 2) == 4.35
assert round(b.loc["total_revenue", "p90"] / 1e6, 2) == 4.90
s = study.set_index(["customers", "kpi"])
assert s["coverage"].min() == 0.745 and s["coverage"].max() == 0.80

# after: economics = simsrc.unit_economics(scenario)
assert simsrc.simulate(scenario).kpis["npv"] < 0  # the text explains a loss
net = economics.set_index("segment")["net_margin_per_customer"]
assert net["month_to_month"] < 0 < net["one_year"] and net["two_year"] > 0
assert economics.set_index("segment")["new_customers"].idxmax() == "month_to_month"
