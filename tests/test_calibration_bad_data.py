"""Bad data: a clear error (or warning) naming the column and the first offending rows.

Nothing is dropped silently: with ``drop_invalid`` rows are dropped and counted in the
report; without it the calibration stops with one readable line.
"""

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
    from simsrc.calibration.snapshot import _acquisition

    df = pd.DataFrame(
        {
            "customer_id": list("abcd"),
            "start_date": ["2022-01-01", "2022-01-15", "2022-03-01", "2022-04-01"],
            "end_date": [None, "2022-03-20", None, "2022-04-10"],
        }
    )
    prep = prepare_customers(df, causes=CAUSES, as_of="2022-07-01")
    base = simsrc.simple_scenario()
    _, per_month, _, _, how = _acquisition(prep, sorted(prep.segments), base)
    # January to June: 2, 0, 1, 1, 0, 0 new customers
    assert per_month == pytest.approx(4 / 6) and "6 complete month" in how
