"""Keyword arguments of the public simulation API: checked once, refused by name.

Every keyword of ``simulate``, ``simulate_batch`` and ``simulate_stochastic`` (and their
scenario arguments) either works or raises TypeError (wrong type) / ValueError (wrong
value) whose message names the argument — never a numpy error from deep inside the
engine. numpy integers and bools count as Python ones; bool is not an integer.
"""

import numbers

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simsrc
from simsrc.results.expected import MAX_NODES_ARG
from simsrc.results.stochastic import MAX_RUNS, simulate_stochastic

# Short horizon and no levers: a valid call costs a few milliseconds.
SCENARIO = simsrc.preset("telecom").without_levers().replace(horizon_months=4)


class FakeClient:
    """Looks like a dask client (``submit``, ``scatter``) without starting one."""

    def submit(self, *args, **kwargs):  # pragma: no cover - never called
        raise AssertionError

    def scatter(self, *args, **kwargs):  # pragma: no cover - never called
        raise AssertionError


def _integral(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool | np.bool_)


def _whole(lo, hi, optional=False):
    """Oracle for a whole-number argument: None (if optional) or an integer lo … hi."""

    def oracle(v):
        if v is None and optional:
            return None
        if not _integral(v):
            return TypeError
        return None if lo <= int(v) <= hi else ValueError

    return oracle


def _flag(v):
    return None if isinstance(v, bool | np.bool_) else TypeError


def _seed(v):
    if v is None:
        return None
    if not _integral(v):
        return TypeError
    return None if int(v) >= 0 else ValueError


def _engine(v):
    if not isinstance(v, str):
        return TypeError
    return None if v == "local" else ValueError


def _client(v):
    if v is None:
        return None
    return ValueError if isinstance(v, FakeClient) else TypeError


# Bad (and a few good) values of every kind: wrong types, negative, zero, huge, floats,
# NaN, strings, None, numpy scalars, containers.
anything = st.one_of(
    st.none(),
    st.booleans(),
    st.just(np.bool_(True)),
    st.integers(-10, 10),
    st.sampled_from([-(2**63), 2**63, 2**64, 10**30, -(10**30)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 1.0, 1.5, 2.0, -3.0, float("nan"), float("inf"), np.float64(3.0)]),
    st.text(max_size=6),
    st.sampled_from(["3", "local", "dask ", "", b"3"]),
    st.integers(-(2**31), 2**31 - 1).map(np.int32),
    st.integers(-(2**63), 2**63 - 1).map(np.int64),
    st.integers(0, 2**64 - 1).map(np.uint64),
    st.floats(allow_nan=True).map(np.float64),
    st.lists(st.integers(0, 3), max_size=2),
    st.just(np.array([2])),
    st.just(np.random.default_rng(0)),
    st.just(np.random.SeedSequence(1)),
    st.just(FakeClient()),
    st.just(object()),
)


def _around(hi):
    """Integers just inside and outside 1 … hi (hi itself only when it is cheap)."""
    return st.sampled_from([hi, hi + 1, hi * 10, 2**62])


# function, keyword, oracle (None: valid; else the exception class), extra strategy,
# fixed keywords of the call.
CASES = {
    "simulate.nodes": (
        simsrc.simulate,
        "nodes",
        _whole(1, MAX_NODES_ARG, optional=True),
        _around(MAX_NODES_ARG),
        {},
    ),
    "simulate.stochastic": (simsrc.simulate, "stochastic", _flag, st.nothing(), {"runs": 2}),
    "simulate.runs": (
        simsrc.simulate,
        "runs",
        _whole(1, MAX_RUNS),
        st.sampled_from([MAX_RUNS + 1, 2**62]),  # MAX_RUNS itself would take seconds
        {"stochastic": True, "seed": 1},
    ),
    "simulate.seed": (
        simsrc.simulate,
        "seed",
        _seed,
        st.integers(0, 2**128),
        {"stochastic": True, "runs": 2},
    ),
    "simulate_batch.monthly": (simsrc.simulate_batch, "monthly", _flag, st.nothing(), {}),
    "simulate_batch.nodes": (
        simsrc.simulate_batch,
        "nodes",
        _whole(1, MAX_NODES_ARG, optional=True),
        _around(MAX_NODES_ARG),
        {},
    ),
    "simulate_batch.roi": (simsrc.simulate_batch, "roi", _flag, st.nothing(), {}),
    "simulate_stochastic.runs": (
        simulate_stochastic,
        "runs",
        _whole(1, MAX_RUNS),
        st.sampled_from([MAX_RUNS + 1, 2**62]),
        {"seed": 2},
    ),
    "simulate_stochastic.seed": (simulate_stochastic, "seed", _seed, st.nothing(), {"runs": 2}),
    "simulate_stochastic.engine": (
        simulate_stochastic,
        "engine",
        _engine,
        st.sampled_from(["local", "spark", "DASK"]),  # "dask" would start a cluster
        {"runs": 2},
    ),
    "simulate_stochastic.client": (
        simulate_stochastic,
        "client",
        _client,
        st.nothing(),
        {"runs": 2},
    ),
    "simulate_stochastic.progress": (
        simulate_stochastic,
        "progress",
        _flag,
        st.nothing(),
        {"runs": 2},
    ),
    "simulate_stochastic.threads": (
        simulate_stochastic,
        "threads",
        _whole(1, 1024, optional=True),
        _around(1024),
        {"runs": 2},
    ),
}


def _first_arg(fn):
    return [SCENARIO] if fn is simsrc.simulate_batch else SCENARIO


def _assert_refused_by_name(call, expected, name):
    """``call()`` raises exactly ``expected`` naming ``name``, or succeeds if expected is None."""
    try:
        out = call()
    except (TypeError, ValueError) as err:
        assert expected is not None, f"valid value refused: {err}"
        assert type(err) is expected, (type(err), err)
        assert str(err).startswith(name), err
        return None
    assert expected is None, f"{name}: bad value accepted"
    return out


@pytest.mark.parametrize("case", sorted(CASES))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_keyword_is_checked_by_name(case, data):
    fn, name, oracle, extra, fixed = CASES[case]
    value = data.draw(anything | extra, label=name)
    expected = oracle(value)
    out = _assert_refused_by_name(
        lambda: fn(_first_arg(fn), **fixed, **{name: value}), expected, name
    )
    if out is not None:  # a valid call gives a real result
        acquired = np.atleast_1d(np.asarray(out.kpis["total_acquired"], dtype=float))
        assert (acquired > 0).all()


@settings(max_examples=60, deadline=None)
@given(value=anything)
def test_scenario_must_be_a_scenario(value):
    for fn in (simsrc.simulate, simulate_stochastic):
        with pytest.raises(TypeError, match=r"^scenario must be a Scenario \(got "):
            fn(value)


@settings(max_examples=60, deadline=None)
@given(value=anything | st.lists(anything, min_size=1, max_size=3))
def test_batch_scenarios_must_be_scenarios(value):
    with pytest.raises((TypeError, ValueError), match=r"^scenarios"):
        simsrc.simulate_batch(value)
    # one bad entry among good ones is named by its position
    with pytest.raises(TypeError, match=r"^scenarios\[1\] must be a Scenario"):
        simsrc.simulate_batch([SCENARIO, value])


# --------------------------------------------------------------------------------------
# The messages of the reported cases, word for word
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"nodes": 0}, ValueError, "nodes must be a whole number from 1 to 121 (got 0)"),
        ({"nodes": -3}, ValueError, "nodes must be a whole number from 1 to 121 (got -3)"),
        (
            {"nodes": 10**6},
            ValueError,
            "nodes must be a whole number from 1 to 121 (got 1,000,000)",
        ),
        ({"nodes": 1.5}, TypeError, "nodes must be a whole number from 1 to 121 (got float 1.5)"),
        ({"nodes": True}, TypeError, "nodes must be a whole number from 1 to 121 (got bool True)"),
        ({"seed": -1, "stochastic": True}, ValueError, "seed must be None or a whole number >= 0"),
        ({"seed": "a", "stochastic": True}, TypeError, "seed must be None or a whole number >= 0"),
        ({"runs": 0, "stochastic": True}, ValueError, "runs must be a whole number from 1 to"),
        ({"stochastic": "yes"}, TypeError, "stochastic must be True or False (got str 'yes')"),
    ],
)
def test_reported_cases_are_refused_with_a_clear_message(kwargs, error, message):
    with pytest.raises(error) as info:
        simsrc.simulate(SCENARIO, **kwargs)
    assert str(info.value).startswith(message), str(info.value)


def test_simulate_none_names_the_scenario_argument():
    with pytest.raises(TypeError, match=r"^scenario must be a Scenario \(got NoneType None\)$"):
        simsrc.simulate(None)  # type: ignore[call-overload]


def test_generators_and_seed_sequences_are_not_seeds():
    # The recorded seed must reproduce the runs; a Generator or SeedSequence could not.
    for seed in (np.random.default_rng(1), np.random.SeedSequence(1), [1, 2], 1.0):
        with pytest.raises(TypeError, match="seed must be None or a whole number >= 0"):
            simulate_stochastic(SCENARIO, runs=2, seed=seed)  # type: ignore[arg-type]


def test_a_single_scenario_is_not_a_batch():
    with pytest.raises(TypeError, match=r"^scenarios must be a sequence .*got one Scenario"):
        simsrc.simulate_batch(SCENARIO)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="need at least one scenario"):
        simsrc.simulate_batch([])


def test_client_needs_the_dask_engine():
    with pytest.raises(ValueError, match=r"^client is used only with engine='dask'"):
        simulate_stochastic(SCENARIO, runs=2, client=FakeClient())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^client must be None or a distributed.Client"):
        simulate_stochastic(SCENARIO, runs=2, engine="dask", client="tcp://x:8786")  # type: ignore[arg-type]


def test_band_column_must_be_text():
    res = simulate_stochastic(SCENARIO, runs=2, seed=1)
    with pytest.raises(TypeError, match=r"^column must be a monthly column name"):
        res.band(3)  # type: ignore[arg-type]
    with pytest.raises(KeyError, match="no monthly column"):
        res.band("revenu")


# --------------------------------------------------------------------------------------
# numpy scalars are accepted wherever a Python int or bool is, with identical results
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("as_numpy", [np.int64, np.int32, np.uint16, np.int8])
def test_numpy_integers_as_nodes_give_the_same_result(as_numpy):
    a = simsrc.simulate(SCENARIO, nodes=as_numpy(7))
    b = simsrc.simulate(SCENARIO, nodes=7)
    np.testing.assert_equal(dict(a.kpis), dict(b.kpis))  # NaN KPIs compare equal here
    batch = simsrc.simulate_batch([SCENARIO], nodes=as_numpy(7), monthly=np.bool_(True))
    assert batch.kpis["npv"].iloc[0] == b.kpis["npv"]
    np.testing.assert_array_equal(batch.arrays["active"][0], b.arrays["active"])


@pytest.mark.parametrize("as_numpy", [np.int64, np.int32, np.uint32])
def test_numpy_integers_as_runs_seed_and_threads_give_the_same_runs(as_numpy):
    plain = simulate_stochastic(SCENARIO, runs=5, seed=11, threads=1)
    numpy = simulate_stochastic(
        SCENARIO,
        runs=as_numpy(5),
        seed=as_numpy(11),
        threads=as_numpy(1),
        progress=np.bool_(False),
    )
    assert numpy.seed == 11 and type(numpy.seed) is int  # reproducible from the record
    np.testing.assert_array_equal(numpy.runs_monthly["active"], plain.runs_monthly["active"])
    assert numpy.kpis.equals(plain.kpis)
    via_simulate = simsrc.simulate(
        SCENARIO, stochastic=np.bool_(True), runs=as_numpy(5), seed=as_numpy(11)
    )
    assert via_simulate.kpis.equals(plain.kpis)


def test_numpy_bools_are_flags_and_python_bools_are_not_numbers():
    on = simsrc.simulate_batch([SCENARIO], roi=np.bool_(True), monthly=np.bool_(False))
    assert on.arrays is None
    for kwargs in ({"runs": True}, {"seed": False}, {"threads": True}):
        with pytest.raises(TypeError, match="must be"):
            simulate_stochastic(SCENARIO, **{"runs": 2, **kwargs})  # type: ignore[arg-type]


def test_a_what_ifs_name_follows_later_changes():
    # Issue 18: a what-if changed again must not keep a name that no longer describes it.
    base = simsrc.preset("b2b-saas")
    assert base.set("save_team.coverage", 0.8).name == "b2b-saas"  # a base keeps its name
    halved = base.halve_churn()
    edited = halved.set("save_team.coverage", 0.8).set("dunning.style", "help_first")
    assert edited.name == ("b2b-saas · halve churn · save_team.coverage = 0.8"
                           " · dunning.style = help_first")  # fmt: skip
    assert halved.set("save_team.coverage", 0.8, name="mine").name == "mine"
