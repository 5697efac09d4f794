"""Checks of scenario_playbook.ipynb (Scenario playbook): the figures its text relies on.

tests/test_notebooks.py runs each block in the notebook's kernel right after the
first code cell containing its ``# after:`` text; names are the notebook's.
"""

# after: tidy = simsrc.compare(base, *what_ifs.values(), tidy=True)
npv = tidy[tidy.kpi == "npv"].set_index("scenario")["value"]
assert npv["b2b-saas · halve churn"] > npv[base.name]
assert npv["b2b-saas · help-first dunning"] > npv[base.name]
# what-ifs by name: the chosen one is the one named, wherever it sits
assert what_ifs[CHOSEN].dunning.style == "help_first"
assert base.get("save_team.coverage") == base.save_team.coverage

# after: fmt.table(sweep[["coverage", "save_rate", "cost_per_save", "total_retention_cost", "npv"]])
assert sweep["npv"].iloc[-1] > sweep["npv"].iloc[0]

# after: simsrc.save_scenario(chosen, out / "chosen.toml")
assert simsrc.load_scenario(out / "chosen.toml") == chosen
import re

assert not re.search(r"\d\.\d{7,}", (out / "chosen_monthly.csv").read_text())
