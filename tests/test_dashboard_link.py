"""Share a what-if: the link carries the preset and the changed controls, and opening it
restores them exactly; a damaged link restores what it can and says what it could not."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simsrc
from simsrc.model.units import format_value
from simsrc.ui.dashboard import ExecutiveDashboard, OfferMixDashboard
from simsrc.ui.dashboard.link import MAX_LINK, link_query, parse_link
from simsrc.ui.dashboard.values import check_control, control_param
from tests.strategies import control_values


@pytest.fixture(scope="module")
def executive():
    return ExecutiveDashboard("b2b-saas")


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_link_round_trips_every_control_exactly(executive, data):
    base = executive.baseline_values
    values = {k: check_control(k, v) for k, v in data.draw(control_values(base)).items()}
    query = link_query("b2b-saas", {**base, **values}, base)
    assert len(query) < MAX_LINK
    name, parsed, problems = parse_link(query)
    assert name == "b2b-saas" and problems == []
    assert parsed == {k: v for k, v in values.items() if base[k] != v}


@given(st.text(max_size=300) | st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
def test_any_text_as_a_link_never_raises(query):
    name, values, problems = parse_link(query)
    assert name is None or isinstance(name, str)
    assert isinstance(values, dict) and all(str(p) for p in problems)


def test_an_overlong_link_is_ignored_with_a_reason():
    name, values, problems = parse_link("a=" + "1" * MAX_LINK)
    assert (name, values) == (None, {}) and "longer than" in str(problems[0])


def test_an_uploaded_baseline_has_no_link():
    assert link_query(None, {"churn.onboarding": 0.5}, {"churn.onboarding": 1.0}) == ""


def test_opening_a_link_restores_the_what_if_and_its_cards():
    source = ExecutiveDashboard("b2b-saas")
    source.set_controls({"churn.onboarding": 0.5, "save_team.coverage": 0.9})
    source.set_control("dunning.enabled", False)
    opened = ExecutiveDashboard("telecom")
    opened._open_link(source.share.query)
    assert opened.preset_name == "b2b-saas"
    assert opened.values == source.values
    assert opened.share.query == source.share.query
    expected = simsrc.simulate(source.what_if).kpis["npv"]
    assert opened.kpi_text("npv") == format_value(expected, simsrc.KPI_INFO["npv"][1])
    assert opened.message.layout.display == "none"  # nothing to report


def test_a_damaged_link_restores_what_it_can_and_says_what_not():
    d = ExecutiveDashboard("b2b-saas")
    d._open_link("preset=b2b-saas&churn.onboarding=0.5&churn.poor_service=lots&bogus=1")
    assert d.values["churn.onboarding"] == 0.5
    assert d.values["churn.poor_service"] == d.baseline_values["churn.poor_service"]
    note = d.message.value
    assert "Poor service churn: expected a number" in note and "bogus" in note
    assert "Traceback" not in note


def test_an_unknown_preset_in_a_link_is_refused_with_a_message():
    d = ExecutiveDashboard("b2b-saas")
    d._open_link("preset=no-such-business&churn.onboarding=0.5")
    assert d.preset_name == "b2b-saas" and "unknown preset" in d.message.value


def test_a_link_from_the_executive_dashboard_opens_the_save_team_view_with_what_applies():
    source = ExecutiveDashboard("b2b-saas")
    source.set_controls({"churn.onboarding": 0.5, "save_team.coverage": 0.9})
    mix = OfferMixDashboard("b2b-saas")
    mix._open_link(source.share.query)
    assert mix.values["save_team.coverage"] == 0.9
    assert "Ineffective onboarding churn: not on this dashboard" in mix.message.value


@pytest.mark.parametrize("content", [None, "open", {"event": "open", "query": 5}, {"x": 1}])
def test_crafted_messages_to_the_link_widget_are_ignored(content):
    d = ExecutiveDashboard("b2b-saas")
    before = dict(d.values)
    d.share._on_message(None, content, [])
    assert d.values == before and d.message.layout.display == "none"


def test_switching_preset_carries_the_what_if_over_as_relative_changes():
    d = ExecutiveDashboard("b2b-saas")
    old = dict(d.baseline_values)
    d.set_controls({"churn.onboarding": 0.5, "save_team.coverage": 0.9})
    d.set_control("dunning.enabled", False)
    d.preset.value = "telecom"  # as a person picks it
    new = d.baseline_values
    assert d.preset_name == "telecom"
    assert d.values["churn.onboarding"] == 0.5  # a multiplier already
    assert d.values["save_team.coverage"] == pytest.approx(
        new["save_team.coverage"] * 0.9 / old["save_team.coverage"]
    )
    assert d.values["dunning.enabled"] is False
    assert "carried over to telecom as relative changes" in d.message.value
    d.reset()
    assert d.values == new


def test_switching_preset_without_a_what_if_says_nothing():
    d = ExecutiveDashboard("b2b-saas")
    d.preset.value = "telecom"
    assert d.values == d.baseline_values and d.message.layout.display == "none"


def test_what_cannot_be_carried_over_is_named():
    d = ExecutiveDashboard("b2b-saas")
    row = control_param("save_team.coverage")
    assert row is not None and row.hi == 1.0
    d.set_controls({"save_team.coverage": 1.0})  # 0.8 → 1.0; telecom's 0.5 → 0.625 is fine
    d.set_controls({"acquisition.new_per_month": 9_000_000})  # ×75,000 of 120: too many
    d.preset.value = "telecom"
    note = d.message.value
    assert "not carried: New customers per month" in note
    assert d.values["acquisition.new_per_month"] == d.baseline_values["acquisition.new_per_month"]


def test_the_kpi_download_is_labelled_with_units_and_matches_the_api():
    import io

    import pandas as pd

    d = ExecutiveDashboard("b2b-saas")
    d.halve_churn()
    name, mime, text = d.download_kpis.file()
    assert (name, mime) == ("b2b-saas-kpis.csv", "text/csv")
    table = pd.read_csv(io.StringIO(text)).set_index("KPI")
    assert list(table.columns) == ["unit", "baseline", "what-if", "change", "change %"]
    base = simsrc.simulate(simsrc.preset("b2b-saas")).kpis
    halved = simsrc.simulate(simsrc.preset("b2b-saas").halve_churn()).kpis
    revenue = table.loc["Total revenue"]
    assert revenue["unit"] == "USD"
    assert revenue["baseline"] == round(base["total_revenue"], 2)
    assert revenue["change %"] == round(
        100 * (halved["total_revenue"] / base["total_revenue"] - 1), 2
    )
    churn = table.loc["Average monthly churn"]  # a rate: per cent, its change in points
    assert churn["unit"] == "%" and churn["what-if"] == round(100 * halved["avg_monthly_churn"], 4)
    assert pd.isna(churn["change %"])
    assert table.loc["Customers at the end", "unit"] == "customers"
    assert table.loc["Customers at the end", "what-if"] == round(halved["ending_active"], 1)
    assert len(table) == len(simsrc.KPI_INFO)
