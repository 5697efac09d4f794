"""Checks of scenario_playbook.ipynb (Scenario playbook): the figures its text relies on.

tests/test_notebooks.py runs each block in the notebook's kernel right after the
first code cell containing its ``# after:`` text; names are the notebook's.
"""

# after: tidy = simsrc.compare(base, *what_ifs, tidy=True)
npv = tidy[tidy.kpi == "npv"].set_index("scenario")["value"]
assert npv[base.halve_churn().name] > npv[base.name]
assert npv["b2b-saas · help-first dunning"] > npv[base.name]

# after: fmt.table(sweep[["coverage", "save_rate", "cost_per_save", "total_retention_cost", "npv"]])
assert sweep["npv"].iloc[-1] > sweep["npv"].iloc[0]

# after: simsrc.save_scenario(chosen, out / "chosen.toml")
assert simsrc.load_scenario(out / "chosen.toml") == chosen
