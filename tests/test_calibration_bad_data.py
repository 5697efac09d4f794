"""Bad data: a clear error (or warning) naming the column and the first offending rows.

Nothing is dropped silently: with ``drop_invalid`` rows are dropped and counted in the
report; without it the calibration stops with one readable line.
"""

import numpy as np
import pandas as pd
import pytest

import simsrc
from simsrc import ScenarioError
from simsrc.calibration import calibrate, calibrate_frame, prepare_customers

CAUSES = simsrc.preset("telecom").cause_names


def good(n: int = 60) -> pd.DataFrame:
    """A small valid snapshot: tenure 1..n, every third customer churned for price."""
    rows = []
    for i in range(n):
        churned = i % 3 == 0
        rows.append(
            {
                "customer_id": f"id{i:03d}",
                "tenure": 1 + i % 24,
                "status": "Churned" if churned else "Stayed",
                "reason": "Price too high" if churned else None,
                "monthly_charge": 20.0 + i % 7,
                "contract": "Month-to-Month" if i % 2 else "One Year",
            }
        )
    return pd.DataFrame(rows)


def test_good_data_pass():
    prep = prepare_customers(good(), causes=CAUSES)
    assert len(prep.customers) == 60
    assert prep.issues == ()


@pytest.mark.parametrize(
    ("drop", "match"),
    [
        ("tenure", r"need a tenure column .*Tenure_in_Months.* or a start-date"),
        ("status", r"need a status column .*or an end-date column"),
    ],
)
def test_missing_required_columns_are_named(drop, match):
    with pytest.raises(ScenarioError, match=match):
        calibrate_frame(good().drop(columns=drop))


def test_explicit_column_that_does_not_exist():
    with pytest.raises(ScenarioError, match=r"columns.tenure: no column 'Tenure'"):
        prepare_customers(good(), causes=CAUSES, columns={"tenure": "Tenure"})


def test_empty_table_and_empty_file(tmp_path):
    with pytest.raises(ScenarioError, match=r"no rows"):
        calibrate_frame(good().iloc[:0])
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ScenarioError, match=r"empty.csv: the file is empty"):
        calibrate(empty)
    header_only = tmp_path / "header.csv"
    header_only.write_text("customer_id,tenure,status\n")
    with pytest.raises(ScenarioError, match=r"no rows"):
        calibrate(header_only)


def test_negative_tenure_names_column_and_first_rows():
    df = good()
    df.loc[[4, 9], "tenure"] = -2
    with pytest.raises(ScenarioError) as err:
        calibrate_frame(df)
    msg = str(err.value)
    assert msg.startswith("tenure: negative tenure — 2 row(s)")
    # Data rows counted from 1 (header excluded), with the customer id.
    assert "5 (id id004), 10 (id id009)" in msg
    assert "drop_invalid=True" in msg


def test_tenure_that_is_not_a_whole_number_or_not_a_number():
    df = good().astype({"tenure": object})
    df.loc[2, "tenure"] = "abc"
    df.loc[3, "tenure"] = 2.5
    with pytest.raises(
        ScenarioError, match=r"tenure: tenure not a number — 1 row\(s\) \(first rows: 3"
    ):
        prepare_customers(df, causes=CAUSES)
    with pytest.raises(ScenarioError, match=r"and 1 more problem"):
        prepare_customers(df, causes=CAUSES)


def test_duplicate_ids_keep_the_first_or_stop():
    df = pd.concat([good(), good().iloc[[5, 7]]], ignore_index=True)
    with pytest.raises(ScenarioError, match=r"customer_id: duplicate customer id .* 2 row\(s\) "
                       r"\(first rows: 61 \(id id005\), 62 \(id id007\)\)"):  # fmt: skip
        prepare_customers(df, causes=CAUSES)
    prep = prepare_customers(df, causes=CAUSES, drop_invalid=True)
    assert len(prep.customers) == 60
    assert sum(prep.dropped.values()) == 2


def test_drop_invalid_counts_every_dropped_row_in_the_report():
    df = good()
    df.loc[[1, 2, 3], "tenure"] = -1
    df.loc[10, "status"] = "Maybe"
    _, report = calibrate_frame(df, drop_invalid=True)
    rows = report.rows.set_index("item")["rows"]
    assert rows["rows read"] == 60
    assert rows["customers used"] == 56
    dropped = {k: v for k, v in rows.items() if k.startswith("dropped")}
    assert sum(dropped.values()) == 4
    assert any("status not recognised ('Maybe')" in k for k in dropped)
    issues = report.issues.set_index("problem")
    assert issues.loc["negative tenure", "action"] == "dropped"


def test_churner_with_tenure_zero():
    df = good()
    df.loc[0, "tenure"] = 0
    with pytest.raises(ScenarioError, match=r"tenure: churned with tenure 0"):
        prepare_customers(df, causes=CAUSES)


def test_negative_charges_warn_and_are_excluded_from_revenue_only():
    df = good()
    df.loc[[6, 8], "monthly_charge"] = -10.0
    _scenario, report = calibrate_frame(df)
    issue = report.issues.set_index("problem").loc["negative monthly charge"]
    assert issue["level"] == "warning"
    assert issue["rows"] == 2
    assert issue["first_rows"] == "7 (id id006), 9 (id id008)"
    assert report.rows.set_index("item")["rows"]["customers used"] == 60
    assert report.revenue["customers"].sum() == 58
    assert any(w.startswith("monthly_charge: negative monthly charge") for w in report.warnings)


def test_unknown_reason_codes_warn_and_count_as_unknown_cause():
    df = good()
    df.loc[[0, 3], "reason"] = "Gremlins in the router"
    prep = prepare_customers(df, causes=CAUSES)
    issue = next(i for i in prep.issues if "not in the mapping" in i.problem)
    assert issue.level == "warning" and issue.column == "reason"
    assert issue.rows == 2 and issue.first_rows == "1 (id id000), 4 (id id003)"
    assert "'Gremlins in the router'" in issue.problem
    assert prep.customers.loc[[0, 3], "cause"].tolist() == ["unknown", "unknown"]


def test_user_reason_map_naming_an_unknown_cause_is_an_error():
    with pytest.raises(ScenarioError, match=r"reason_map.Too slow: unknown cause 'speed'"):
        calibrate_frame(good(), reason_map={"Too slow": "speed"})


def test_unparseable_dates_and_end_before_start():
    df = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "start_date": ["2022-01-05", "2022-13-40", "2022-03-01", "2021-06-01"],
            "end_date": [None, None, "2022-02-01", "2022-05-01"],
        }
    )
    with pytest.raises(
        ScenarioError, match=r"start_date: date not understood .*first rows: 2 \(id b\)"
    ):
        prepare_customers(df, causes=CAUSES)
    df.loc[1, "start_date"] = "2022-02-01"
    with pytest.raises(ScenarioError, match=r"end_date: end date before start date .* 3 \(id c\)"):
        prepare_customers(df, causes=CAUSES)


def test_dates_give_tenure_status_and_acquisition():
    df = pd.DataFrame(
        {
            "customer_id": list("abcd"),
            "start_date": ["2022-01-01", "2022-01-15", "2022-03-01", "2022-04-01"],
            "end_date": [None, "2022-03-20", None, "2022-04-10"],
        }
    )
    prep = prepare_customers(df, causes=CAUSES, as_of="2022-07-01")
    c = prep.customers.set_index("id")
    # a: active 6 whole months; b: left during month 3; d: left within month 1.
    assert c["tenure"].to_dict() == {"a": 6, "b": 3, "c": 4, "d": 1}
    assert c["churned"].to_dict() == {"a": False, "b": True, "c": False, "d": True}


def test_unknown_status_values_are_named():
    df = good()
    df.loc[[2, 5], "status"] = "Paused"
    with pytest.raises(ScenarioError, match=r"status: status not recognised \('Paused'\)"):
        prepare_customers(df, causes=CAUSES)


def test_too_many_segments_and_missing_segment():
    df = good()
    df["contract"] = [f"plan {i}" for i in range(60)]
    with pytest.raises(ScenarioError, match=r"contract: 60 distinct values: too many segments"):
        prepare_customers(df, causes=CAUSES)
    df = good()
    df.loc[4, "contract"] = None
    with pytest.raises(ScenarioError, match=r"contract: segment \(contract / plan\) missing"):
        prepare_customers(df, causes=CAUSES)


def test_bad_options():
    with pytest.raises(ScenarioError, match=r"window_months: must be a whole number"):
        calibrate_frame(good(), window_months="quarter")  # type: ignore[arg-type]
    with pytest.raises(ScenarioError, match=r"spread: must be between 0 and 0.95"):
        calibrate_frame(good(), spread=1.5)
    with pytest.raises(ScenarioError, match=r"base: 'nonsense' is neither"):
        calibrate(good(), base="nonsense")


def test_no_churners_is_an_error_not_a_scenario_of_zeros():
    df = good()
    df["status"] = "Stayed"
    df["churn_reason"] = None
    with pytest.raises(ScenarioError, match=r"status: none of the 60 customers has left"):
        calibrate_frame(df)


def test_acquisition_from_start_dates_counts_months_without_sign_ups():
    from simsrc.calibration.acquisition import acquisition

    df = pd.DataFrame(
        {
            "customer_id": list("abcd"),
            "start_date": ["2022-01-01", "2022-01-15", "2022-03-01", "2022-04-01"],
            "end_date": [None, "2022-03-20", None, "2022-04-10"],
        }
    )
    prep = prepare_customers(df, causes=CAUSES, as_of="2022-07-01")
    base = simsrc.simple_scenario()
    found = acquisition(prep, sorted(prep.segments), base)
    per_month, how = found.per_month, found.how
    # January to June: 2, 0, 1, 1, 0, 0 new customers
    assert per_month == pytest.approx(4 / 6) and "6 complete month" in how


def test_window_of_zero_months_is_refused_not_full_history():
    with pytest.raises(ScenarioError, match=r"^window_months: must be .*between 1 and 600"):
        calibrate_frame(good(), window_months=0)
    with pytest.raises(ScenarioError, match=r"^window_months: must be .*\(got True\)"):
        calibrate_frame(good(), window_months=True)  # type: ignore[arg-type]
    with pytest.raises(ScenarioError, match=r"^window_months: must be .*\(got -3\)"):
        prepare_customers(good(), causes=CAUSES, window_months=-3)
    assert prepare_customers(good(), causes=CAUSES, window_months=None).window is None


DATED = pd.DataFrame(
    {
        "customer_id": list("abcd"),
        "signup_date": ["2022-01-01", "2022-01-15", "2022-03-01", "2022-04-01"],
        "cancel_date": [None, "2022-03-20", None, "2022-04-10"],
    }
)


@pytest.mark.parametrize(
    ("as_of", "match"),
    [
        ("not-a-date", r"^as_of: expected a date written YYYY-MM-DD \(got 'not-a-date'\)"),
        ("2022-02-30", r"^as_of: '2022-02-30' is not a calendar date \(day is out of range"),
        ("07/01/2022", r"^as_of: expected a date written YYYY-MM-DD"),
        ("1066-10-14", r"^as_of: must be a date in the years 1900–2199"),
        (20220701, r"^as_of: expected a date written YYYY-MM-DD \(got 20220701\)"),
        (pd.NaT, r"^as_of: expected a date written YYYY-MM-DD"),
    ],
)
def test_bad_as_of_is_one_line_naming_as_of(as_of, match):
    for call in (
        lambda: calibrate_frame(DATED, as_of=as_of),
        lambda: calibrate(DATED, as_of=as_of),
        lambda: prepare_customers(DATED, causes=CAUSES, as_of=as_of),
    ):
        with pytest.raises(ScenarioError, match=match) as info:
            call()
        assert "\n" not in str(info.value)


def test_as_of_accepts_dates_and_aware_timestamps():
    import datetime

    for as_of in ("2022-07-01", datetime.date(2022, 7, 1), pd.Timestamp("2022-07-01", tz="UTC")):
        prep = prepare_customers(DATED, causes=CAUSES, as_of=as_of)
        assert prep.as_of == pd.Timestamp("2022-07-01")
        assert prep.customers.set_index("id")["tenure"].to_dict() == {
            "a": 6,
            "b": 3,
            "c": 4,
            "d": 1,
        }


def test_aware_date_columns_compare_with_naive_as_of():
    df = DATED.copy()
    df["signup_date"] = pd.to_datetime(df["signup_date"]).dt.tz_localize("Europe/Berlin")
    prep = prepare_customers(df, causes=CAUSES, as_of="2022-07-01")
    assert prep.customers.set_index("id")["tenure"].to_dict() == {"a": 6, "b": 3, "c": 4, "d": 1}


def test_dates_out_of_range_and_numbers_are_not_dates():
    df = DATED.copy().astype(object)
    df.loc[1, "signup_date"] = "0202-01-15"  # a typing error, not the year 202
    df.loc[2, "signup_date"] = 20220301  # a number is not a date
    with pytest.raises(
        ScenarioError,
        match=r"^signup_date: date not understood .* 2 row\(s\) \(first rows: 2 \(id b\), 3",
    ):
        prepare_customers(df, causes=CAUSES)


def test_as_of_without_dates_is_refused_not_ignored():
    with pytest.raises(ScenarioError, match=r"^as_of: applies only to date-based data .*tenure"):
        calibrate_frame(good(), as_of="2022-01-01")


def test_period_months_and_name_are_checked_for_every_kind_of_data():
    for bad in (0, -1, 25, 1.5, True):
        with pytest.raises(ScenarioError, match=r"^period_months: must be a whole number"):
            calibrate_frame(good(), period_months=bad)  # type: ignore[arg-type]
    with pytest.raises(ScenarioError, match=r"^period_months: applies only to cohort tables"):
        calibrate_frame(good(), period_months=12)
    for bad, match in (
        ("", r"must not be empty"),
        ("  ", r"must not be empty"),
        ("a\nb", r"must be one line"),
        ("x" * 201, r"must be at most 200 characters"),
        (5, r"must be text"),
    ):
        with pytest.raises(ScenarioError, match=rf"^name: {match}"):
            calibrate(good(), name=bad)  # type: ignore[arg-type]


def test_other_api_arguments_are_checked():
    with pytest.raises(ScenarioError, match=r"^frame: expected a pandas DataFrame \(got list\)"):
        calibrate_frame([1, 2])  # type: ignore[arg-type]
    with pytest.raises(ScenarioError, match=r"^reason_map: expected a mapping"):
        calibrate_frame(good(), reason_map=["Moved"])  # type: ignore[arg-type]
    with pytest.raises(ScenarioError, match=r"^spread: must be between 0 and 0.95 \(got nan\)"):
        calibrate_frame(good(), spread=float("nan"))
    with pytest.raises(ScenarioError, match=r"^min_at_risk: must be a number >= 0"):
        calibrate_frame(good(), min_at_risk=-1)
    with pytest.raises(ScenarioError, match=r"^kind: must be 'auto', 'snapshot' or 'cohorts'"):
        calibrate(good(), kind="weekly")  # type: ignore[arg-type]


def test_reason_map_file_errors_name_the_file_before_the_data_are_read(tmp_path):
    f = tmp_path / "map.csv"
    f.write_text("reason,cause\nMoved,gremlins\n")
    with pytest.raises(ScenarioError, match=r"map.csv: line 2: unknown cause 'gremlins'"):
        calibrate(tmp_path / "never-read.csv", reason_map=f)


def test_tiny_spread_is_identical_customers_not_an_overflow():
    # Found by the fuzzer: spread = the smallest normal float overflowed the quadrature.
    scenario, _ = calibrate_frame(good(), spread=2.2250738585072014e-308, segment=False)
    assert scenario.heterogeneity.spread == 0.0


def test_no_churners_names_the_status_column_actually_used():
    # Found by the fuzzer: the message named the role "status", not the column.
    df = good().rename(columns={"status": "Customer_Status"})
    df["Customer_Status"] = "Stayed"
    with pytest.raises(ScenarioError, match=r"^Customer_Status: none of the 60 customers"):
        calibrate_frame(df)


def test_column_names_with_line_breaks_still_give_one_line():
    df = good().rename(columns={"tenure": "ten\nure"})
    df.loc[3, "ten\nure"] = -1
    with pytest.raises(ScenarioError, match=r"^ten\\nure: negative tenure") as info:
        calibrate_frame(df, columns={"tenure": "ten\nure"})
    assert "\n" not in str(info.value)


def test_argument_types_are_named_not_type_errors():
    with pytest.raises(ScenarioError, match=r"^segment: expected a column name, False or None"):
        calibrate_frame(good(), segment=["contract"])  # type: ignore[arg-type]
    with pytest.raises(ScenarioError, match=r"^columns: expected a mapping of role"):
        calibrate_frame(good(), columns=["tenure"])  # type: ignore[arg-type]
    with pytest.raises(ScenarioError, match=r"^latent_causes: expected 'auto', None or a list"):
        calibrate_frame(good(), latent_causes=5)  # type: ignore[arg-type]
    with pytest.raises(ScenarioError, match=r"^latent_causes: expected 'auto', None or a list"):
        calibrate_frame(good(), latent_causes="onboarding")  # type: ignore[arg-type]


def test_tenure_beyond_the_engines_240_months_calibrates():
    # Found by the fuzzer (a customer since 2000): the engine simulates at most 240
    # months, and arrays of 241+ and 240 months were combined.
    df = good()
    df.loc[1, "tenure"] = 300  # row 1 is a stayer
    _, report = calibrate_frame(df, segment=False)
    survival = report.survival.set_index("tenure")
    assert np.isfinite(survival.loc[:240, "scenario"]).all()
    assert survival.loc[241:, "scenario"].isna().all()  # not simulated, not invented
    assert np.isfinite(survival["fitted"]).all()
    assert np.isfinite(report.fit[["max_gap", "scenario_max_gap"]].to_numpy()).all()
    assert np.isfinite(report.cause_shares["scenario_share"].dropna()).all()


def test_infinite_charges_are_excluded_from_revenue_like_text():
    # Found by the fuzzer: an inf charge made its cell's mean inf and no curve fitted.
    df = good()
    df["monthly_charge"] = df["monthly_charge"].astype(float)
    df.loc[[3, 4], "monthly_charge"] = [np.inf, -np.inf]
    _, report = calibrate_frame(df, segment=False, spread=0.3)
    assert any(
        "monthly_charge: monthly charge not a (finite) number — 2 row(s)" in w
        for w in report.warnings
    )
    assert np.isfinite(report.revenue["mean_charge"]).all()


def test_a_revenue_curve_that_cannot_be_fitted_keeps_the_bases(monkeypatch):
    def refuse(*args, **kwargs):
        raise ScenarioError("charge", "revenue by tenure could not be fitted")

    monkeypatch.setattr("simsrc.calibration.snapshot.fit_value_curve", refuse)
    base = simsrc.preset("telecom")
    scenario, report = calibrate_frame(good(), base=base, segment=False, spread=0.3)
    assert scenario.value == base.value
    assert any(
        w.startswith("monthly_charge: revenue by tenure could not") for w in report.warnings
    )
    kept = report.parameters.set_index("path").loc["value.year3_uplift"]
    assert kept["source"] == "kept from base" and "no value curve fits" in kept["note"]
