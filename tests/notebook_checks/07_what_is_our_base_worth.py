"""Checks of 07_what_is_our_base_worth.ipynb (Lesson 7 · What is our customer base worth?): the figures its text relies on.

tests/test_notebooks.py runs each block in the notebook's kernel right after the
first code cell containing its ``# after:`` text; names are the notebook's.
"""

# after: labels={"sbg": "Customers differ (sBG)", "alike": "One retention rate for all"},
d = derl.set_index("renewals")
assert round(d.loc[0, "sbg"], 2) == 5.41 and round(d.loc[7, "sbg"], 2) == 7.53
assert round(d.loc[0, "alike"], 2) == 5.05 and d["alike"].nunique() == 1
assert round(d.loc[7, "ratio"], 2) == 1.49 and d["sbg"].is_monotonic_increasing

# after: curves = pd.concat(
v = totals.set_index("model")["value"]
assert totals["customers"].tolist() == [5174, 5174]
assert round(v["Customers differ"] / 1e6, 2) == 3.45
assert round(v["Customers alike"] / 1e6, 2) == 2.63
assert round(1 - v["Customers alike"] / v["Customers differ"], 2) == 0.24
per = curves.set_index(["label", "tenure"])["value_per_customer"]
assert per[("Customers differ", 72)] > per[("Customers alike", 72)]
assert per[("Customers differ", 1)] > per[("Customers alike", 1)]

# after: plan_3y = simsrc.preset("b2b-saas").replace(horizon_months=36)
d = verdict["Δ"]
assert round(d["npv"] / 1e3) == -375
assert round(d["ending_base_value"] / 1e6, 1) == 7.3
assert round(d["npv_with_base"] / 1e6, 2) == 3.2

# after: study[["kpi", "customers", "coverage", "mc_error", "width"]],
s = study.set_index(["customers", "kpi"])
assert s["coverage"].min() == 0.745 and s["coverage"].max() == 0.80
assert round(s.loc[(2000, "npv"), "coverage"], 3) == 0.795
assert round(s.loc[(2000, "npv"), "width"], 3) == 0.061
assert round(s.loc[(8000, "npv"), "width"], 3) == 0.030
assert coverage.CoverageStudy(pd.DataFrame(), study).consistent().all()

# after: check = simsrc.simulate_power(plan, runs=200, seed=11)
assert plan.per_arm == 4129 and round(plan.months, 1) == 18.3
assert round(plan.rate_control, 2) == 0.37 and round(plan.rate_test, 2) == 0.40
assert round(plan.npv_per_month_of_delay) == 142
assert abs(check.achieved - check.expected) < 3 * check.standard_error + 0.01

# after: teaching.exercise(7, 4)
from simsrc.calibration import fit_sbg

fit = fit_sbg(lessons.FADER_HARDIE_2007["high_end"].to_numpy()[:8] * 10)
assert 1600 < float(fit.derv(0.10, 3, 250.0)) < 1700
change = "save_team.discount.acceptance.price_competitor=+0.05"
quick = simsrc.plan_experiment(app, change, power=0.6)
assert quick.months < plan.months
assert 30_000 < 8_000 * (0.0303658 / (0.0612801 / 4)) ** 2 < 33_000
