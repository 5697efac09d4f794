"""The dashboard objects, driven from Python as a browser would (no kernel, no browser).

Widget values are set directly or through the same ``_handle_msg`` path a front-end
message takes, and the tests read what a person would read: KPI card text, the message
bar, the controls' values, the downloaded files.
"""

import html
import json
import math
import re
from pathlib import Path

import pytest

import simsrc
from simsrc.model.units import format_value
from simsrc.ui import charts
from simsrc.ui import dashboard as dsh

ROOT = Path(__file__).resolve().parents[1]


def fmt(kpis, key):
    return format_value(kpis[key], simsrc.KPI_INFO[key][1])


def card_values(scenario):
    """What each executive card should show: the API's KPIs."""
    return simsrc.simulate(scenario).kpis


def shown(dash):
    """The message bar's text as a person reads it."""
    return html.unescape(dash.message.value)


def browser_sends(widget, **state):
    """What ipywidgets does with an 'update' message from the browser (crafted or not)."""
    widget._handle_msg(
        {"content": {"data": {"method": "update", "state": state, "buffer_paths": []}},
         "buffers": []}
    )  # fmt: skip


@pytest.fixture(scope="module")
def b2b():
    return simsrc.preset("b2b-saas")


@pytest.fixture
def dash():
    return dsh.ExecutiveDashboard("b2b-saas")


@pytest.fixture
def offers():
    return dsh.OfferMixDashboard("b2b-saas")


# -- controls come from the parameter table -------------------------------------------------
def test_sliders_come_from_the_parameter_table(dash):
    for key in ("save_team.coverage", "acquisition.new_per_month", "dunning.messages"):
        w = dash.controls[key]
        row = simsrc.PARAMETERS[key]
        assert row.label in w.description
        assert (w.tooltip, w.step) == (row.help, row.step)
        assert (w.min, w.max) == dsh.slider_range(row, dsh.scenario_value(dash.baseline, key))
        assert w.min >= row.lo and w.max <= max(row.hi, w.value)
    assert dash.controls["dunning.messages"].__class__.__name__ == "IntSlider"
    assert "(%)" in dash.controls["save_team.coverage"].description
    churn = [k for k in dash.controls if k.startswith("churn.")]
    assert churn == [f"churn.{c}" for c in dash.baseline.cause_names]
    assert dash.controls["churn.onboarding"].description.startswith("Ineffective onboarding")


def test_first_view_shows_the_baseline_twice(dash, b2b):
    kpis = card_values(b2b)
    for key in dsh.EXECUTIVE_KPIS:
        assert dash.kpi_text(key) == fmt(kpis, key), key
    assert dash.kpi_text("total_revenue") == "$255M"
    assert dash.cards.value.count("no change") == len(dsh.EXECUTIVE_KPIS)
    assert dash.message.layout.display == "none"


# -- what-ifs --------------------------------------------------------------------------------
def test_churn_slider_changes_kpis_to_what_the_api_computes(dash, b2b):
    dash.controls["churn.onboarding"].value = 0.6
    expected = card_values(b2b.scale_churn(0.6, cause="onboarding"))
    for key in dsh.EXECUTIVE_KPIS:
        assert dash.kpi_text(key) == fmt(expected, key), key
    assert dash.what_if.cause("onboarding").levels == tuple(
        0.6 * x for x in b2b.cause("onboarding").levels
    )
    assert dash.baseline == b2b  # the baseline is never touched


def test_halve_churn_is_the_api_halve_churn(dash, b2b):
    dash.halve_button.click()
    expected = card_values(b2b.halve_churn())
    for key in dsh.EXECUTIVE_KPIS:
        assert dash.kpi_text(key) == fmt(expected, key), key
    assert dash.kpi_text("total_revenue") == "$282M"
    assert dash.kpi_text("avg_monthly_churn") == "0.604%"  # churn falls: 1.15% → 0.604%
    assert "-0.54 pt" in dash.cards.value  # a rate's change in points
    why = html.unescape(dash.cards.value.split('class="sx-why">')[1])
    assert why.startswith("Customers build up slowly: after 5 years the what-if's base is at 21%")
    assert "+10.6%" in dash.cards.value  # the README's halve-churn figure
    assert all(dash.controls[f"churn.{c}"].value == 0.5 for c in b2b.cause_names)
    dash.churn_reset.click()
    assert dash.kpi_text("total_revenue") == "$255M"


def test_lever_controls_reach_the_scenario(dash, b2b):
    dash.controls["dunning.style"].value = "help_first"
    dash.controls["dunning.channel"].value = "sms"
    dash.controls["programs.success.enabled"].value = True
    s = dash.what_if
    assert (s.dunning.style, s.dunning.channel, s.programs.success.enabled) == (
        "help_first", "sms", True,
    )  # fmt: skip
    expected = b2b.set("dunning.style", "help_first").set("dunning.channel", "sms")
    expected = expected.set("programs.success.enabled", True)
    assert dash.kpi_text("npv") == fmt(simsrc.simulate(expected).kpis, "npv")


def test_offer_mix_editor_edits_the_chosen_reason(dash, b2b):
    dash.mix_reason.value = "price_competitor"
    assert dash.mix_sliders["discount"].value == 0.5
    assert "accepted by 45%" in dash.mix_sliders["discount"].description
    dash.mix_sliders["discount"].value = 0.2
    assert dash.what_if.save_team.mix[4][0] == 0.2
    dash.mix_reason.value = "onboarding"
    assert dash.mix_sliders["expert_help"].value == 0.8
    assert dash.mix_sliders["discount"].value == 0.0
    dash.mix_reason.value = "price_competitor"
    assert dash.mix_sliders["discount"].value == 0.2  # remembered per reason
    assert "70%" in dash.mix_summary.value


def test_reset_goes_back_to_the_baseline(dash, b2b):
    dash.controls["save_team.coverage"].value = 0.3
    dash.halve_churn()
    dash.reset_button.click()
    assert dash.what_if.replace(name=b2b.name) == b2b
    assert dash.controls["save_team.coverage"].value == 0.8
    assert dash.cards.value.count("no change") == len(dsh.EXECUTIVE_KPIS)


def test_a_control_change_recomputes_the_what_if_only(monkeypatch):
    calls = []
    original = dsh.ExecutiveDashboard._compute

    def counting(self, s):
        calls.append(s.name)
        return original(self, s)

    monkeypatch.setattr(dsh.ExecutiveDashboard, "_compute", counting)
    dash = dsh.ExecutiveDashboard("b2b-saas")
    assert calls == ["b2b-saas", "b2b-saas · what-if"]
    dash.controls["churn.poor_service"].value = 0.9
    assert calls[2:] == ["b2b-saas · what-if"]
    dash.controls["churn.poor_service"].value = 1.0  # back: cached
    assert len(calls) == 3


def test_charts_update_in_place(dash):
    before = dash.chart.widget
    dash.halve_churn()
    assert dash.chart.widget is before and dash.chart.redraws == 0
    names = {u["name"] for u in before._py_to_js_updates}
    assert names == {"monthly", "churn", "survival", "per_customer", "waterfall"}
    active = [r for r in dash.chart.spec["datasets"]["monthly"] if r["scenario"] == "What-if"]
    assert active[-1]["active"] == pytest.approx(
        simsrc.simulate(dash.what_if).kpis["ending_active"]
    )


def test_the_waterfall_shows_what_the_kept_customers_are_worth(dash, b2b):
    dash.halve_churn()
    rows = dash.chart.spec["datasets"]["waterfall"]
    kept = {r["scenario"]: r["value"] for r in rows if r["kind"] == "base"}
    for name, s in (("Baseline", b2b), ("What-if", b2b.halve_churn())):
        expected = charts.base_kept(simsrc.simulate(s).kpis,
                                    simsrc.simulate(s.without_levers()).kpis)  # fmt: skip
        assert kept[name] == pytest.approx(expected, rel=1e-9)


def test_numbers_behind_a_chart(dash, b2b):
    dash.numbers_choice.value = "churn"
    assert "Ineffective onboarding" in dash.numbers.value and "<table" in dash.numbers.value
    dash.halve_churn()  # the open table follows the what-if
    lost = simsrc.simulate(b2b.halve_churn()).monthly["churned_onboarding"].sum()
    assert format_value(lost, "customers") in dash.numbers.value
    dash.numbers_choice.value = ""
    assert dash.numbers.value == ""


# -- bad input: a message, never a traceback ------------------------------------------------
def test_a_crafted_out_of_range_value_is_refused(dash):
    w = dash.controls["acquisition.new_per_month"]
    browser_sends(w, max=1e9, value=5e7)  # passes the widget's own bounds
    assert "New customers per month: must be a number between 0 and 1e+07 (got 5e+07)" in (
        dash.message.value
    )
    assert 'role="alert"' in shown(dash) and "Traceback" not in shown(dash)
    assert w.value == 120.0  # back to the value in use
    assert dash.what_if.acquisition.new_per_month == 120.0
    dash.controls["churn.onboarding"].value = 0.5  # the next good value clears it
    assert dash.message.layout.display == "none"


def test_a_crafted_churn_factor_is_refused(dash):
    w = dash.controls["churn.onboarding"]
    browser_sends(w, value=3.0)  # the slider's top
    assert dash.message.layout.display == "none"
    browser_sends(w, max=100.0, value=60.0)  # 60 × 2 % churn a month: crafted
    assert "Ineffective onboarding churn: must be a number between 0 and 3 (got 60)" in shown(dash)
    assert w.value == 3.0


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("save_team.coverage", math.nan, "save_team.coverage: must be a number between 0 and 1"),
        ("dunning.messages", 2.5, "must be a whole number between 0 and 20"),
        ("dunning.style", "shout", "must be one of pay_up, help_first (got 'shout')"),
        ("dunning.enabled", "yes", "must be one of true, false (got 'yes')"),
        ("win_back.channel", ["sms"], "must be one of email, sms"),
        ("churn.onboarding", True, "churn.onboarding: must be a number"),
    ],
)
def test_values_are_checked_again_in_the_kernel(key, value, message):
    with pytest.raises(
        simsrc.ScenarioError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        dsh.check_control(key, value)


def test_an_offer_mix_over_100_percent_is_refused(dash):
    dash.set_control("save_team.mix.price_competitor.discount", 0.9)
    assert "offer shares for one cause must sum to at most 100% (got 140%)" in shown(dash)
    assert "Offer mix for price or competitor:" in shown(dash) and "save_team" not in shown(dash)
    assert dash.mix_sliders["discount"].value == 0.5
    assert dash.what_if.save_team.mix[4][0] == 0.5


def test_a_crafted_reason_is_refused(dash):
    before = dash.mix_reason.value
    browser_sends(dash.mix_reason, index=99)  # ipywidgets refuses it (and logs) ...
    assert dash.mix_reason.value == before  # ... before our code sees it
    dash._on_reason({"new": "no_such_cause"})
    assert "unknown reason 'no_such_cause'" in shown(dash)


# -- files -----------------------------------------------------------------------------------
BAD_FILES = [
    (b"this is [not toml", "bad.toml: not valid TOML"),
    (b"\xff\xfe\x00 binary", "bad.toml: not a UTF-8 text file"),
    (b'schema_version = 2\nname = "x"\nsegmants = []\n', "did you mean 'segments'"),
    (b"x" * 1_000_001, "larger than 1,000,000 bytes"),
]


@pytest.mark.parametrize(("content", "message"), BAD_FILES)
def test_a_bad_upload_shows_a_message_and_keeps_the_baseline(dash, b2b, content, message):
    browser_sends(
        dash.upload,
        value=[
            {
                "name": "bad.toml",
                "type": "",
                "size": len(content),
                "content": memoryview(content),
                "last_modified": 0,
            }
        ],
    )
    assert message in shown(dash)
    assert dash.baseline == b2b and dash.upload.value == ()
    assert dash.kpi_text("total_revenue") == "$255M"


def test_a_crafted_upload_message_is_refused(dash, b2b):
    dash._on_upload({"new": ({"name": "x.toml", "content": 10**12},)})
    assert "x.toml: could not read the uploaded file" in shown(dash)
    dash._on_upload({"new": "not a list of files"})
    assert "choose one scenario file" in shown(dash)
    assert dash.baseline == b2b


def test_a_good_upload_becomes_the_baseline(dash):
    telecom = simsrc.preset("telecom").replace(name="my telecom")
    dash.load_text(simsrc.scenario_to_toml(telecom), "mine.toml")
    assert dash.baseline == telecom
    assert "Loaded mine.toml" in shown(dash)
    assert dash.preset.value == "upload:mine.toml"
    assert dash.kpi_text("total_revenue") == fmt(simsrc.simulate(telecom).kpis, "total_revenue")
    assert set(dash.controls) >= {f"churn.{c}" for c in telecom.cause_names}
    dash.preset.value = "b2b-saas"
    assert dash.kpi_text("total_revenue") == "$255M"


def test_downloads_round_trip(dash, b2b):
    dash.halve_churn()
    name, mime, text = dash.download_scenario.file()
    assert (name, mime) == ("b2b-saas-what-if.toml", "application/toml")
    back = simsrc.parse_scenario_text(text, name)
    assert back == dash.what_if
    name, mime, text = dash.download_results.file()
    assert (name, mime) == ("b2b-saas-results.csv", "text/csv")
    lines = text.splitlines()
    assert lines[0].startswith("scenario,scenario_name,month,")
    assert len(lines) == 1 + 2 * b2b.horizon_months
    assert lines[1].startswith("Baseline,b2b-saas,0,") and lines[-1].startswith("What-if,")


def test_a_crafted_download_message_is_ignored(dash):
    sent = []
    dash.download_scenario.send = sent.append
    dash.download_scenario._on_message(None, {"event": "rm -rf"}, [])
    dash.download_scenario._on_message(None, ["download"], [])
    assert sent == []
    dash.download_scenario._on_message(None, {"event": "download"}, [])
    assert sent[0]["event"] == "file" and sent[0]["filename"].endswith(".toml")


# -- the save team's dashboard ----------------------------------------------------------------
def test_offer_mix_dashboard_kpis(offers, b2b):
    offers.set_control("save_team.mix.price_competitor.discount", 0.2)
    expected = b2b.set("save_team.mix.price_competitor.discount", 0.2)
    kpis = simsrc.simulate(expected).kpis
    assert offers.kpi_text("save_rate") == fmt(kpis, "save_rate")
    assert offers.kpi_text("cost_per_save") == fmt(kpis, "cost_per_save")
    no_team = simsrc.simulate(expected.set("save_team.coverage", 0.0)).kpis
    kept = kpis["total_gross_margin"] - no_team["total_gross_margin"]
    assert offers.kpi_text("margin_kept") == format_value(kept, "currency")
    assert "-" in offers.cards.value  # a lower save rate shows as a (red) fall
    assert "sx-bad" in offers.cards.value


def test_offer_mix_dashboard_threshold_and_coverage(offers, b2b):
    offers.controls["save_team.value_threshold"].value = 5.0
    offers.controls["save_team.coverage"].value = 1.0
    s = b2b.set("save_team.value_threshold", 5.0).set("save_team.coverage", 1.0)
    assert offers.kpi_text("npv") == fmt(simsrc.simulate(s).kpis, "npv")
    delay = offers.chart.spec["datasets"]["delay"]
    assert {r["offer"] for r in delay} == set(dsh.OFFER_LABELS.values())


def test_npv_best_mix_search(offers):
    what_if = offers.what_if
    found = offers.search()
    assert found.npv >= found.npv_start
    assert (found.mix.sum(axis=1) <= 1 + 1e-9).all()
    assert "NPV with the best mix" in offers.search_result.value
    # "how long to test it" is the plan of the mix as applied against the what-if's
    best = dsh.build_what_if(offers.baseline, {**offers.values, **offers.best_values})
    plan = simsrc.plan_experiment(what_if, best, max_months=math.inf)
    said = re.search(r'sx-test-plan">(.*?)<', offers.search_result.value).group(1)
    assert f"{plan.per_arm:,} requests on each mix" in html.unescape(said)
    assert f"about {math.ceil(plan.months)} months" in said
    assert simsrc.simulate(found.scenario).kpis["npv"] == pytest.approx(found.npv, rel=1e-12)
    if found.npv > found.npv_start:
        offers.apply_button.click()
        applied = offers.what_if.save_team.mix
        assert all(sum(row) <= 1 + 1e-9 for row in applied)
        assert simsrc.simulate(offers.what_if).kpis["npv"] > found.npv_start
        # what the table promised is what was applied: the same whole percents, same NPV
        shown_npv = re.search(r'sx-best-npv">(.*?)<', offers.search_result.value).group(1)
        assert offers.kpi_text("npv") == html.unescape(shown_npv)
        for key, value in offers.best_values.items():
            assert offers.values[key] == value and round(100 * value, 9) % 1 == 0, key


def test_best_mix_only_uses_offers_a_reason_accepts(b2b):
    from simsrc.analysis.optimize import optimize_offer_mix

    found = optimize_offer_mix(b2b, maxiter=3)
    s = found.scenario
    for k in range(len(s.causes)):
        for o, share in enumerate(s.save_team.mix[k]):
            if share > 0 and s.save_team.mix[k] != b2b.save_team.mix[k]:
                assert s.save_team.offer(simsrc.model.levers.OFFER_NAMES[o]).acceptance[k] > 0


# -- notebooks stay thin ----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["executive_dashboard", "offer_mix_dashboard"])
def test_dashboard_notebooks_are_thin(name):
    nb = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert len(code) == 1
    lines = [ln for ln in "".join(code[0]["source"]).splitlines() if ln and ln[0] != "#"]
    assert len(lines) <= 3 and lines[0].startswith("from simsrc.ui.dashboard import")


def test_uncertainty_band_is_the_api_monte_carlo_of_the_what_if():
    from simsrc.analysis.sensitivity import follow_ranges, monte_carlo

    dash = dsh.ExecutiveDashboard("b2b-saas")
    assert not dash.band_toggle.disabled and dash.band_note.value == ""
    assert dash.datasets["monthly"]["revenue_p10"].isna().all()  # off: no band
    dash.set_control("churn.onboarding", 0.6)
    browser_sends(dash.band_toggle, index=1)  # the person clicks "On"
    expected = monte_carlo(follow_ranges(dash.what_if, dash.baseline), n=dash.band_draws, seed=0)
    q = expected.kpi_bands.loc["total_revenue"]
    note = html.unescape(dash.band_note.value)
    assert f"{format_value(q['p10'], 'currency')} – {format_value(q['p90'], 'currency')}" in note
    rows = dash.datasets["monthly"]
    what_if = rows[rows.scenario == "What-if"]
    assert what_if["revenue_p10"].tolist() == expected.monthly["revenue"]["p10"].tolist()
    assert (what_if["revenue_p10"] <= what_if["revenue_p90"]).all()
    assert "Revenue, what-if P90" in dash.table("revenue").columns
    browser_sends(dash.band_toggle, index=0)
    assert dash.band_note.value == "" and dash.datasets["monthly"]["revenue_p90"].isna().all()


def test_uncertainty_band_needs_ranges():
    dash = dsh.ExecutiveDashboard(simsrc.preset("telecom").replace(uncertainty=()))
    assert dash.band_toggle.disabled and dash.band_toggle.value is False


# -- contracts -------------------------------------------------------------------------


def contract_scenario():
    """Telecom with its contract segments' terms, early exits and renewal waves."""
    s = simsrc.preset("telecom")
    for seg, term, early, wave in (("one_year", 12, [0.3, 0.6], [0.12, 0.06]),
                                   ("two_year", 24, [0.1], [0.05])):  # fmt: skip
        s = s.set(f"segments.{seg}.contract.term_months", term)
        s = s.set(f"segments.{seg}.contract.early_exit", early)
        s = s.set(f"segments.{seg}.contract.renewal", wave)
    return s


def test_contract_controls_move_the_contract_as_the_api_does():
    base = contract_scenario()
    d = dsh.ExecutiveDashboard(base)
    # one group, three controls for each contract segment; none for month-to-month
    assert {k for k in d.controls if k.startswith(("renewal.", "early_exit."))} == {
        "renewal.one_year",
        "early_exit.one_year",
        "renewal.two_year",
        "early_exit.two_year",
    }
    assert "segments.month_to_month.contract.term_months" not in d.controls
    d.controls["renewal.one_year"].value = 0.5
    d.controls["early_exit.two_year"].value = 2.0
    d.controls["segments.two_year.contract.term_months"].value = 12
    expected = (base.scale_contract("one_year", renewal=0.5)
                .scale_contract("two_year", early_exit=2.0)
                .set("segments.two_year.contract.term_months", 12))  # fmt: skip
    assert d.what_if.segments == expected.segments
    for key in dsh.EXECUTIVE_KPIS:
        assert d.kpi_text(key) == fmt(card_values(expected), key), key
    assert d.baseline == base
    assert d.message.layout.display == "none"  # no complaint


def test_a_renewal_wave_over_100_percent_is_a_message_naming_the_segment():
    base = contract_scenario().set("segments.one_year.contract.renewal", [0.6, 0.1])
    d = dsh.ExecutiveDashboard(base)
    d.controls["renewal.one_year"].value = 2.0  # 1.2 at the first renewal
    assert "One-year contract: churn at renewal: must be a number between 0 and 1 (got 1.2)" in (
        shown(d)
    )
    assert "Traceback" not in shown(d) and d.controls["renewal.one_year"].value == 1.0
    assert d.what_if.segments[1].contract.renewal == (0.6, 0.1)


def test_month_to_month_only_scenarios_have_no_contract_group():
    d = dsh.ExecutiveDashboard("b2b-saas")
    assert not any(k.startswith(("renewal.", "early_exit.")) for k in d.controls)


def test_contract_multipliers_are_checked_and_labelled():
    from simsrc.ui.dashboard.values import change_lines, field_label

    s = contract_scenario()
    assert dsh.check_control("renewal.one_year", 0.30000000000000004) == 0.3
    with pytest.raises(simsrc.ScenarioError, match=r"^renewal\.one_year: must be a number"):
        dsh.check_control("renewal.one_year", 3.5)
    assert field_label("renewal.one_year", s) == "One-year contract: churn at renewal"
    assert change_lines({"early_exit.two_year": (1.0, 0.5)}, s) == [
        "Two-year contract: churn inside a term ×0.5"
    ]
