"""One formatting layer: table cells as a finance team writes them, exports without noise."""

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import simsrc
from simsrc.model.units import cell_text, column_unit, export_frame
from simsrc.ui import format as fmt

UNITS = ("currency", "customers", "rate", "share", "multiple", "months", "index", "number",
         "percent", "currency/month")  # fmt: skip
SCIENTIFIC = re.compile(r"\d\.?\d*e[+-]?\d+", re.IGNORECASE)


@given(x=st.floats(allow_nan=True, allow_infinity=True, width=64), unit=st.sampled_from(UNITS))
def test_no_cell_is_ever_in_scientific_notation(x, unit):
    text = cell_text(x, unit, "EUR")
    assert not SCIENTIFIC.search(text), text
    assert text  # never empty: NaN is a dash


@pytest.mark.parametrize(
    ("x", "unit", "text"),
    [(255_272_700.0, "currency", "$255M"), (1234.4, "currency", "$1,234"),
     (-76_300.0, "currency", "-$76.3K"), (0.149, "currency", "$0.15"),
     (1491.63, "customers", "1,492"), (3.42, "customers", "3.4"), (0.0153, "rate", "1.53%"),
     (1.344, "multiple", "×1.34"), (10.63, "percent", "+10.6%"), (math.nan, "rate", "—"),
     (1.797693134862316e306, "rate", "∞%")],  # 100 × x overflows (found by hypothesis)
)  # fmt: skip
def test_cells_read_as_a_finance_team_writes_them(x, unit, text):
    assert cell_text(x, unit) == text


def test_a_columns_unit_is_read_from_its_words():
    assert [column_unit(n) for n in ("revenue", "churned", "churned_mrr", "net_mrr_churn",
                                     "save_rate", "p_value", "cac_payback_months", "tenure",
                                     "hazard")] == [
        "currency", "customers", "currency", "rate", "rate", "rate", "months", "index",
        "number"]  # fmt: skip


def test_an_export_keeps_numbers_and_drops_the_float_noise():
    m = simsrc.simulate(simsrc.preset("b2b-saas")).monthly
    out = export_frame(m)
    assert list(out.columns) == list(m.columns) and len(out) == len(m)
    assert out["active"].to_numpy() == pytest.approx(m["active"].to_numpy(), abs=0.005)
    text = out.to_csv(index=False)
    assert not re.search(r"\d\.\d{7,}", text)  # no 235.32979237402134
    assert out["churn_rate"].to_numpy() == pytest.approx(m["churn_rate"].to_numpy(), abs=1e-6)


@given(
    values=st.lists(st.floats(min_value=-1e15, max_value=1e15) | st.just(math.nan),
                    min_size=1, max_size=6),
    name=st.sampled_from(["npv", "ending_active", "save_rate", "revenue", "hazard", "z"]),
)  # fmt: skip
def test_a_table_of_any_numbers_shows_no_index_and_no_e_notation(values, name):
    html = fmt.table(pd.DataFrame({"case": [f"c{i}" for i in range(len(values))],
                                   name: values})).to_html()  # fmt: skip
    cells = re.findall(r">([^<]*)<", re.sub(r"<style.*?</style>", "", html, flags=re.S))
    assert not any(SCIENTIFIC.search(c) for c in cells), cells
    assert not re.search(r"<th[^>]*>\s*0\s*</th>", html)


def test_labels_come_from_the_kpis_and_the_scenario():
    s = simsrc.preset("b2b-saas")
    shown = fmt.readable(
        pd.DataFrame({"cause": ["price_competitor"], "npv": [1.5e6], "clv_per_customer": [200.0]}),
        s,
    )
    assert list(shown.columns) == ["Cause", "NPV", "CLV per new customer"]
    assert shown.iloc[0].tolist() == ["Price or competitor", "$1.5M", "$200"]


def test_a_comparison_reads_as_kpis_by_row():
    b = simsrc.preset("b2b-saas")
    shown = fmt.readable(
        simsrc.compare(b, b.halve_churn()).loc[["npv", "ending_active", "save_rate"]]
        .drop(columns=["label", "unit"]).rename_axis("kpi"),
        units={"Δ %": "percent"},
    )  # fmt: skip
    assert shown["KPI"].tolist() == ["NPV", "Customers at the end", "Save rate"]
    assert shown.iloc[0, 1].startswith("$") and shown.iloc[1, 1].replace(",", "").isdigit()
    assert shown.iloc[2, 1].endswith("%") and shown["Δ %"].str.endswith("%").all()


def test_a_long_table_of_kpis_takes_headings_and_units_it_is_given():
    # Lesson 07's coverage study: one row per KPI and data size. Without units, the KPI
    # names of the first column would give "customers" the money unit of the NPV row.
    study = pd.DataFrame({"kpi": ["ending_active", "npv"], "customers": [2000, 2000],
                          "coverage": [0.76, 0.795]})  # fmt: skip
    shown = fmt.readable(
        study,
        units={"customers": "customers", "coverage": "share"},
        labels={"customers": "Customers per data set", "coverage": "Bands that held the truth"},
    )
    assert list(shown.columns) == ["KPI", "Customers per data set", "Bands that held the truth"]
    assert shown.iloc[:, 1].tolist() == ["2,000", "2,000"]
    assert shown.iloc[:, 2].tolist() == ["76.0%", "79.5%"]  # decimals lined up


def test_the_cli_csv_is_rounded(tmp_path):
    from simsrc.ui.cli import main

    out = tmp_path / "m.csv"
    assert main(["run", "b2b-saas", "--csv", str(out)]) == 0
    frame = pd.read_csv(out)
    assert not re.search(r"\d\.\d{7,}", out.read_text())
    exact = simsrc.simulate(simsrc.preset("b2b-saas")).monthly["active"]
    assert np.allclose(frame["active"], exact, atol=0.005)


def test_words_read_from_the_left_and_numbers_from_the_right():
    # JupyterLab and Voila right-align every table cell unless told otherwise.
    html = fmt.table(pd.DataFrame({"case": ["Flat value"], "revenue_ratio": [1.344]})).to_html()
    styles = dict(re.findall(r"#T_\w+_row0_col(\d) \{\s*text-align: (\w+);", html))
    assert styles == {"0": "left", "1": "right"}


def test_row_numbers_left_by_a_filter_are_not_shown():
    frame = pd.DataFrame({"tenure": [1, 3, 6], "observed": [0.9, 0.8, 0.7]})
    shown = fmt.readable(frame[frame["tenure"] > 1])  # index 1, 2: row numbers
    assert list(shown.columns) == ["Tenure", "Observed"]
    named = fmt.readable(frame.set_index("tenure"))
    assert list(named.columns) == ["Tenure", "Observed"]
    kpis = fmt.readable(pd.DataFrame({"value": [1.0]}, index=["npv"]))
    assert kpis.iloc[0, 0] == "NPV"  # an index of words is shown


@given(
    values=st.lists(st.floats(min_value=0.0, max_value=9_999.0), min_size=2, max_size=6),
    unit=st.sampled_from(["currency", "share", "number", "multiple"]),
)
def test_lined_up_decimals_never_claim_digits_the_value_lacks(values, unit):
    # Padding "$18" to "$18.00" beside "$9.54" would show $18.00 for $18.13.
    scale = 100.0 if unit == "share" else 1.0
    values = [v / 10_000 if unit == "share" else v for v in values]
    shown = fmt.readable(pd.DataFrame({"x": values}), units={"x": unit})["X"]
    for text, v in zip(shown, values, strict=True):
        number = re.search(r"[\d,]+(?:\.(\d+))?", text)
        assert number is not None, text
        if re.search(r"\d[KMB]", text):
            continue  # a compact amount is rounded by its suffix
        places = len(number.group(1) or "")
        written = float(number.group(0).replace(",", ""))
        assert abs(written - v * scale) <= 0.5 * 10**-places + 1e-9 * max(1.0, v * scale), text


def test_a_parameter_is_labelled_by_what_each_place_in_its_path_names():
    # A segment named like a cause must not relabel the cause (or the other way round).
    b = simsrc.preset("b2b-saas")
    seg = b.segments[0].__class__(**{**b.segments[0].__dict__, "name": "onboarding"})
    s = b.replace(segments=(seg, *b.segments[1:]), uncertainty=())
    label = simsrc.PARAMETERS.label("causes.onboarding.levels.onboarding", s)
    assert label == f"Monthly churn (Ineffective onboarding, {seg.label})"
    assert s.halve_churn(cause="onboarding").name.endswith("halve ineffective onboarding churn")
