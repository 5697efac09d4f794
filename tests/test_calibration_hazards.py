"""Discrete-time life tables and cause-specific hazards from a customer snapshot."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simsrc.calibration.survival import cause_specific_hazards, life_table

# Six customers, worked by hand below.
#   tenure : 1  2  2  3  3  4
#   churned: y  n  y  y  n  n
#   cause  : price  -  service  price  -  -
TENURE = [1, 2, 2, 3, 3, 4]
CHURNED = [True, False, True, True, False, False]
CAUSE = ["price", None, "service", "price", None, None]


def test_hand_worked_life_table():
    # at risk n_t = #(tenure >= t):        6, 5, 3, 1
    # churned d_t = churners with tenure t: 1, 1, 1, 0
    # censored    = actives with tenure t:  0, 1, 1, 1
    # hazard      = d/n:                    1/6, 1/5, 1/3, 0
    # survival    = Π(1 − h):               5/6, 5/6·4/5 = 2/3, 2/3·2/3 = 4/9, 4/9
    # Greenwood Σ d/(n(n−d)): 1/30, 1/30 + 1/20 = 1/12, 1/12 + 1/6 = 1/4, 1/4
    # survival_se = S·sqrt(Σ): 5/6·sqrt(1/30), 2/3·sqrt(1/12), 4/9·1/2, 4/9·1/2
    table = life_table(TENURE, CHURNED)
    assert table.index.tolist() == [1, 2, 3, 4]
    assert table.index.name == "tenure"
    assert table["at_risk"].tolist() == [6, 5, 3, 1]
    assert table["churned"].tolist() == [1, 1, 1, 0]
    assert table["censored"].tolist() == [0, 1, 1, 1]
    np.testing.assert_allclose(table["hazard"], [1 / 6, 1 / 5, 1 / 3, 0], rtol=1e-15)
    np.testing.assert_allclose(table["survival"], [5 / 6, 2 / 3, 4 / 9, 4 / 9], rtol=1e-15)
    se = [5 / 6 * np.sqrt(1 / 30), 2 / 3 * np.sqrt(1 / 12), 4 / 9 / 2, 4 / 9 / 2]
    np.testing.assert_allclose(table["survival_se"], se, rtol=1e-14)


def test_hand_worked_cause_specific_hazards_and_cumulative_incidence():
    # h_price   = 1/6, 0, 1/3, 0        h_service = 0, 1/5, 0, 0
    # S(t − 1)  = 1, 5/6, 2/3, 4/9
    # CIF_price   = 1/6, 1/6, 1/6 + 2/3·1/3 = 7/18, 7/18
    # CIF_service = 0, 5/6·1/5 = 1/6, 1/6, 1/6
    # check t = 3: 7/18 + 3/18 + S(3) = 8/18 → 1.
    out = cause_specific_hazards(TENURE, CHURNED, CAUSE)
    assert out["hazard"].columns.tolist() == ["price", "service"]
    np.testing.assert_allclose(out["hazard", "price"], [1 / 6, 0, 1 / 3, 0], rtol=1e-15)
    np.testing.assert_allclose(out["hazard", "service"], [0, 1 / 5, 0, 0], rtol=1e-15)
    np.testing.assert_allclose(out["cif", "price"], [1 / 6, 1 / 6, 7 / 18, 7 / 18], rtol=1e-15)
    np.testing.assert_allclose(out["cif", "service"], [0, 1 / 6, 1 / 6, 1 / 6], rtol=1e-15)
    assert out["churned"].sum().tolist() == [2, 1]
    np.testing.assert_allclose(
        out["survival", "all"], life_table(TENURE, CHURNED)["survival"], rtol=1e-15
    )
    np.testing.assert_array_equal(out["at_risk", "all"], [6, 5, 3, 1])


def test_causes_argument_and_categorical_labels_fix_the_reported_causes():
    wanted = ["service", "price", "payment"]
    out = cause_specific_hazards(TENURE, CHURNED, CAUSE, causes=wanted)
    assert out["cif"].columns.tolist() == wanted
    assert (out["hazard", "payment"] == 0).all()
    assert (out["cif", "payment"] == 0).all()
    categorical = pd.Series(pd.Categorical(CAUSE, categories=wanted))
    pd.testing.assert_frame_equal(cause_specific_hazards(TENURE, CHURNED, categorical), out)


def test_cause_specific_hazards_respect_max_tenure_like_life_table():
    out = cause_specific_hazards(TENURE, CHURNED, CAUSE, max_tenure=2)
    table = life_table(TENURE, CHURNED, max_tenure=2)
    np.testing.assert_allclose(out["survival", "all"], table["survival"], rtol=1e-15)
    np.testing.assert_allclose(out["hazard"].sum(axis=1), table["hazard"], rtol=1e-15)
    assert out["churned"].sum().tolist() == [1, 1]  # the month-3 price churner is censored


def _snapshot(rng, n, hazard, window):
    """Customers joining uniformly over ``window`` months; constant monthly hazard."""
    lifetime = rng.geometric(hazard, size=n)  # month of churn, >= 1
    observed = rng.integers(0, window + 1, size=n)  # months since joining
    churned = lifetime <= observed
    tenure = np.where(churned, lifetime, observed)
    return tenure, churned


def test_constant_hazard_is_recovered_within_four_standard_errors():
    rng = np.random.default_rng(12345)
    h = 0.04
    tenure, churned = _snapshot(rng, 20_000, h, window=36)
    table = life_table(tenure, churned)
    n, est = table["at_risk"].to_numpy(), table["hazard"].to_numpy()
    se = np.sqrt(h * (1 - h) / n)  # binomial SE of each month's hazard
    assert np.all(np.abs(est - h) < 4 * se)
    pooled = table["churned"].sum() / n.sum()
    assert abs(pooled - h) < 4 * np.sqrt(h * (1 - h) / n.sum())
    for t in (6, 12, 24, 36):
        s, s_se = table.loc[t, ["survival", "survival_se"]]
        assert abs(s - (1 - h) ** t) < 4 * s_se


def test_censored_customers_must_not_be_dropped_or_counted_as_churners():
    rng = np.random.default_rng(7)
    h = 0.05
    tenure, churned = _snapshot(rng, 10_000, h, window=24)
    truth = (1 - h) ** np.arange(1, 25)
    correct = life_table(tenure, churned)["survival"].to_numpy()
    # Dropping the censored (still active) customers removes survivors from the risk sets,
    # so hazards rise and survival falls everywhere; counting them as churners is worse.
    dropped = life_table(tenure[churned], churned[churned], max_tenure=24)["survival"]
    as_churned = life_table(np.maximum(tenure, 1), np.ones_like(churned))["survival"]
    assert np.all(dropped.to_numpy() <= correct + 1e-15)
    assert np.all(as_churned.to_numpy()[:24] <= correct + 1e-15)
    assert dropped.iloc[-1] < correct[-1] - 0.1
    assert np.abs(correct - truth).max() < np.abs(dropped.to_numpy() - truth).max() / 10


def test_max_tenure_censors_longer_tenures_and_keeps_earlier_rows():
    full = life_table(TENURE, CHURNED)
    short = life_table(TENURE, CHURNED, max_tenure=2)
    pd.testing.assert_frame_equal(
        short[["at_risk", "churned", "hazard", "survival", "survival_se"]],
        full.loc[:2, ["at_risk", "churned", "hazard", "survival", "survival_se"]],
    )
    # customers with tenure 3 and 4 are at risk through month 2 and censored there
    assert short["censored"].tolist() == [0, 1 + 3]
    longer = life_table(TENURE, CHURNED, max_tenure=6)
    assert longer["at_risk"].tolist() == [6, 5, 3, 1, 0, 0]
    assert longer["hazard"].iloc[4:].isna().all()
    np.testing.assert_allclose(longer["survival"].iloc[3:], 4 / 9, rtol=1e-15)


def test_accepts_pandas_series_and_zero_one_flags_and_ignores_new_actives():
    frame = pd.DataFrame({"tenure": [*TENURE, 0, 0], "churned": [1, 0, 1, 1, 0, 0, 0, 0]})
    table = life_table(frame["tenure"], frame["churned"])
    pd.testing.assert_frame_equal(table, life_table(TENURE, CHURNED))


def test_survival_reaching_zero_gives_nan_greenwood_se():
    table = life_table([1, 2], [True, True])
    assert table["survival"].tolist() == [0.5, 0.0]
    assert np.isnan(table["survival_se"].iloc[1])


@st.composite
def _snapshots(draw):
    n = draw(st.integers(min_value=1, max_value=60))
    tenure = draw(st.lists(st.integers(1, 24), min_size=n, max_size=n))
    churned = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    cause = draw(st.lists(st.sampled_from(["price", "service", "moved"]), min_size=n, max_size=n))
    return np.array(tenure), np.array(churned), np.array(cause, dtype=object)


@settings(max_examples=200, deadline=None)
@given(_snapshots())
def test_cumulative_incidences_and_survival_sum_to_one(data):
    tenure, churned, cause = data
    out = cause_specific_hazards(tenure, churned, cause, causes=["moved", "price", "service"])
    total = out["cif"].sum(axis=1).to_numpy() + out["survival", "all"].to_numpy()
    # Exact in real arithmetic; floating-point rounding only.
    np.testing.assert_allclose(total, 1.0, rtol=0, atol=1e-12)


@settings(max_examples=200, deadline=None)
@given(_snapshots())
def test_life_table_bookkeeping(data):
    tenure, churned, _ = data
    table = life_table(tenure, churned)
    n = table["at_risk"].to_numpy()
    leaving = (table["churned"] + table["censored"]).to_numpy()
    np.testing.assert_array_equal(n[1:], n[:-1] - leaving[:-1])
    assert n[0] == len(tenure)
    assert table["churned"].sum() == churned.sum()
    assert table["censored"].sum() == (~churned).sum()
    assert np.all(np.diff(table["survival"].to_numpy()) <= 0)


# --------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tenure", "churned", "kwargs", "match"),
    [
        ([1, -2, 3], [1, 0, 1], {}, r"tenure: must be whole months >= 0 \(row 1"),
        ([1, 2.5, 3], [1, 0, 1], {}, r"tenure: must be whole months >= 0"),
        ([1, np.nan, 3], [1, 0, 1], {}, r"tenure: must be whole months >= 0"),
        (["a", "b"], [1, 0], {}, r"tenure: must be numbers"),
        ([], [], {}, r"tenure: expected a non-empty 1-D array"),
        ([0, 2, 3], [1, 0, 1], {}, r"tenure: churned customers need tenure >= 1"),
        ([0, 0], [0, 0], {}, r"tenure: every customer has tenure 0"),
        ([1, 2, 3], ["yes", "no", "yes"], {}, r"churned: must be boolean-like"),
        ([1, 2, 3], [1, 2, 0], {}, r"churned: must be boolean-like.*row 1"),
        ([1, 2, 3], [1.0, np.nan, 0.0], {}, r"churned: must be boolean-like"),
        ([1, 2, 3], pd.array([True, None, False], dtype="boolean"), {}, r"churned: must be"),
        ([1, 2, 3], [1, 0], {}, r"churned: length 2 does not match tenure \(3\)"),
        ([1, 2, 3], [1, 0, 1], {"max_tenure": 0}, r"max_tenure: must be a whole number >= 1"),
        ([1, 2, 3], [1, 0, 1], {"max_tenure": 2.5}, r"max_tenure: must be a whole number"),
    ],
)
def test_life_table_rejects_bad_input(tenure, churned, kwargs, match):
    with pytest.raises(ValueError, match=match):
        life_table(tenure, churned, **kwargs)


@pytest.mark.parametrize(
    ("cause", "match"),
    [
        (["price", None, None, "price", None, None], r"cause: missing for 1 churned customer"),
        (["price", None], r"cause: length 2 does not match tenure \(6\)"),
    ],
)
def test_cause_specific_hazards_rejects_bad_causes(cause, match):
    with pytest.raises(ValueError, match=match):
        cause_specific_hazards(TENURE, CHURNED, cause)


def test_cause_specific_hazards_rejects_causes_outside_the_allowed_list():
    with pytest.raises(ValueError, match=r"cause: \['service'\] not among the allowed causes"):
        cause_specific_hazards(TENURE, CHURNED, CAUSE, causes=["price"])
    with pytest.raises(ValueError, match=r"causes: labels must be unique"):
        cause_specific_hazards(TENURE, CHURNED, CAUSE, causes=["price", "price", "service"])


def test_cause_specific_hazards_checks_tenure_and_churned_too():
    with pytest.raises(ValueError, match=r"tenure: must be whole months"):
        cause_specific_hazards([-1, 2], [0, 1], ["a", "b"])
    with pytest.raises(ValueError, match=r"churned: length"):
        cause_specific_hazards([1, 2], [0], ["a", "b"])


# --------------------------------------------------------------------------------------
# Delayed entry (left truncation) and case weights
# --------------------------------------------------------------------------------------


def test_hand_worked_delayed_entry():
    # The same six customers; the last two were first seen after 2 months (entry 2):
    #   at risk n_t = #(entry < t <= tenure): 4, 3, 3, 1
    #   churned d_t: 1, 1, 1, 0  → hazards 1/4, 1/3, 1/3, 0
    #   survival 3/4, 1/2, 1/3, 1/3; entered: 4 at month 1, 2 at month 3.
    table = life_table(TENURE, CHURNED, entry=[0, 0, 0, 0, 2, 2])
    assert table["at_risk"].tolist() == [4, 3, 3, 1]
    assert table["entered"].tolist() == [4, 0, 2, 0]
    np.testing.assert_allclose(table["survival"], [3 / 4, 1 / 2, 1 / 3, 1 / 3], rtol=1e-15)
    cs = cause_specific_hazards(TENURE, CHURNED, CAUSE, entry=[0, 0, 0, 0, 2, 2])
    np.testing.assert_allclose(cs["hazard", "price"], [1 / 4, 0, 1 / 3, 0], rtol=1e-15)
    total = cs["cif"].sum(axis=1).to_numpy() + cs["survival", "all"].to_numpy()
    np.testing.assert_allclose(total, 1.0, atol=1e-15)


def test_weights_equal_duplicated_rows_and_zero_entry_equals_none():
    w = np.array([1, 2, 1, 3, 1, 2])
    weighted = life_table(TENURE, CHURNED, weight=w)
    dup = life_table(np.repeat(TENURE, w), np.repeat(CHURNED, w))
    # Same sums: rounding only.
    np.testing.assert_allclose(weighted["survival"], dup["survival"], rtol=1e-14)
    np.testing.assert_allclose(weighted["at_risk"], dup["at_risk"], rtol=1e-14)
    plain = life_table(TENURE, CHURNED)
    zero = life_table(TENURE, CHURNED, entry=np.zeros(6, int))
    np.testing.assert_array_equal(zero["survival"], plain["survival"])


@st.composite
def _truncated(draw):
    tenure, churned, _cause = draw(_snapshots())
    entry = np.array(
        [
            draw(st.integers(0, max(int(t) - (1 if c else 0), 0)))
            for t, c in zip(tenure, churned, strict=False)
        ]
    )
    return tenure, churned, entry


@settings(max_examples=200, deadline=None)
@given(_truncated())
def test_delayed_entry_bookkeeping(data):
    tenure, churned, entry = data
    table = life_table(tenure, churned, entry=entry)
    n = table["at_risk"].to_numpy()
    leaving = (table["churned"] + table["censored"]).to_numpy()
    entered = table["entered"].to_numpy()
    # Risk sets move by arrivals and departures only.
    np.testing.assert_array_equal(n[1:], n[:-1] - leaving[:-1] + entered[1:])
    assert n[0] == entered[0]
    assert entered.sum() == np.sum(entry < tenure.max())
    assert np.all(np.diff(table["survival"].to_numpy()) <= 0)


@pytest.mark.parametrize(
    ("entry", "match"),
    [
        ([0, 3, 0, 0, 0, 0], r"entry: must be whole months with 0 <= entry <= tenure"),
        ([1, 0, 0, 0, 0, 0], r"entry < tenure for churners \(row 0"),
        ([0, -1, 0, 0, 0, 0], r"entry: must be whole months"),
        ([0, 0], r"entry: length 2 does not match tenure \(6\)"),
    ],
)
def test_delayed_entry_rejects_bad_entries(entry, match):
    with pytest.raises(ValueError, match=match):
        life_table(TENURE, CHURNED, entry=entry)
    with pytest.raises(ValueError, match=r"weight: must be finite and >= 0"):
        life_table(TENURE, CHURNED, weight=[1, 1, -1, 1, 1, 1])
