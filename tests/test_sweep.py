"""Parameter sweeps: grid layout, agreement with single runs, chunking, dask, validation."""

import numpy as np
import pandas as pd
import pytest

import simsrc
from simsrc.analysis.sweep import sweep

GRID = {
    "acquisition.new_per_month": [50, 120],
    "segments.standard.monthly_price": [30.0, 45.0, 60.0],
    "causes.onboarding.levels.standard": [0.01, 0.03],
}


@pytest.fixture(scope="module")
def base() -> simsrc.Scenario:
    return simsrc.preset("b2b-saas").replace(horizon_months=24)


@pytest.fixture(scope="module")
def grid_result(base: simsrc.Scenario) -> pd.DataFrame:
    return sweep(base, GRID, progress=False)


def test_grid_shape_order_and_values_match_single_runs(base, grid_result):
    out = grid_result
    assert list(out.columns) == [*GRID, "npv", "total_revenue"]
    assert len(out) == 2 * 3 * 2
    # itertools.product order: the first path varies slowest
    assert out["acquisition.new_per_month"].tolist() == [50] * 6 + [120] * 6
    assert out["causes.onboarding.levels.standard"].tolist() == [0.01, 0.03] * 6
    for i in (0, 5, 7, 11):
        row = out.iloc[i]
        s = base
        for path in GRID:
            s = s.set(path, row[path].item())
        k = simsrc.simulate(s).kpis
        assert row["npv"] == pytest.approx(k["npv"], rel=1e-12)
        assert row["total_revenue"] == pytest.approx(k["total_revenue"], rel=1e-12)


def test_dataframe_of_samples(base):
    pts = pd.DataFrame({"acquisition.new_per_month": [80.0, 10.0, 40.0]}, index=["x", "y", "z"])
    out = sweep(base, pts, kpis=("ending_active",), progress=False)
    assert out.index.tolist() == [0, 1, 2]
    assert out["acquisition.new_per_month"].tolist() == [80.0, 10.0, 40.0]
    ends = [
        simsrc.simulate(base.set("acquisition.new_per_month", v)).kpis["ending_active"]
        for v in (80.0, 10.0, 40.0)
    ]
    np.testing.assert_allclose(out["ending_active"], ends, rtol=1e-12)


@pytest.mark.parametrize("size", [1, 7, None])
def test_chunking_invariance(base, grid_result, size):
    # Same values whatever the chunking; the engine's batched BLAS calls may round the
    # last bit differently for different batch sizes, hence rtol and not bitwise.
    out = sweep(base, GRID, chunk_size=size, progress=False)
    pd.testing.assert_frame_equal(out, grid_result, check_exact=False, rtol=1e-12)


def test_dask_equals_local(base, grid_result):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(n_workers=2, processes=False, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        out = sweep(base, GRID, engine="dask", client=client, chunk_size=5, progress=False)
    local = sweep(base, GRID, chunk_size=5, progress=False)
    pd.testing.assert_frame_equal(out, local, check_exact=True)  # same chunks: bitwise


@pytest.mark.parametrize(
    "path", ["acquisition.new_per_mnth", "segments.gold.monthly_price", "horizon_months"]
)
def test_bad_path_names_the_path(base, path):
    with pytest.raises(simsrc.ScenarioError) as info:
        sweep(base, {path: [1, 2]}, progress=False)
    assert info.value.path == path


def test_bad_value_names_the_path_and_range_before_running(base, monkeypatch):
    calls = []
    monkeypatch.setattr("simsrc.analysis.sweep.simulate_batch", lambda *a, **k: calls.append(1))
    with pytest.raises(simsrc.ScenarioError, match="between 0 and") as info:
        sweep(
            base,
            {"acquisition.new_per_month": [10], "causes.onboarding.levels.standard": [0.1, 7.0]},
            progress=False,
        )
    assert info.value.path == "causes.onboarding.levels.standard"
    assert calls == []


def test_bad_kpi_and_chunk_size(base):
    with pytest.raises(ValueError, match="unknown KPI"):
        sweep(base, {"acquisition.new_per_month": [10]}, kpis=("nvp",), progress=False)
    with pytest.raises(ValueError, match="chunk_size"):
        sweep(base, {"acquisition.new_per_month": [10]}, chunk_size=0, progress=False)


def test_values_that_must_change_together_can_be_swept_jointly(base):
    pts = pd.DataFrame(
        {"segments.standard.share": [0.6, 0.9], "segments.premium.share": [0.4, 0.1]}
    )
    out = sweep(base, pts, kpis=("total_acquired",), progress=False)
    s = simsrc.Scenario.from_dict(
        {**base.to_dict(), "segments": [
            {**g, "share": v} for g, v in zip(base.to_dict()["segments"], (0.9, 0.1), strict=True)
        ]}
    )  # fmt: skip
    assert out["total_acquired"].iloc[1] == pytest.approx(
        simsrc.simulate(s).kpis["total_acquired"], rel=1e-12
    )


GRIDS = {
    "separable": {
        "acquisition.new_per_month": list(np.linspace(50, 200, 10)),
        "segments.standard.monthly_price": list(np.linspace(300, 500, 10)),
    },
    # both change paid acquisition: not separable
    "shared array": {
        "acquisition.new_per_month": list(np.linspace(50, 200, 10)),
        "acquisition.monthly_growth": list(np.linspace(0.0, 0.02, 10)),
    },
    # push sensitivity acts only through contacts, which the base has none of: varying
    # it alone changes nothing, so only the corners reveal the product
    "masked product": {
        "contact.contacts_per_month": list(np.linspace(0.0, 4.0, 10)),
        "contact.push_sensitivity": list(np.linspace(0.1, 1.0, 10)),
    },
}


@pytest.mark.parametrize("name", sorted(GRIDS))
def test_packing_axis_by_axis_gives_the_per_point_results(name):
    from simsrc.analysis.sweep import build_scenarios, pack_points, points_frame
    from simsrc.results.expected import simulate_batch

    base = simsrc.preset("b2b-saas").without_levers().replace(horizon_months=24)
    points = points_frame(GRIDS[name])
    packed = pack_points(base, points)
    assert (packed is not None) == (name == "separable")
    per_point = simulate_batch(build_scenarios(base, points)).kpis.reset_index(drop=True)
    swept = sweep(base, GRIDS[name], kpis=tuple(per_point.columns), progress=False)
    pd.testing.assert_frame_equal(swept[list(per_point.columns)], per_point)
    if packed is not None:
        direct = simulate_batch(packed).kpis.reset_index(drop=True)
        pd.testing.assert_frame_equal(direct, per_point)
