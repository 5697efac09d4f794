"""Fuzzing scenario documents, ``--set`` expressions and the CLI (hypothesis).

Every generated input must end in one of two ways: a valid scenario whose simulation is
finite, non-negative and conserves customers, or the project's own error with a
one-line message naming a field. Never another exception, never a hang (each example
runs under an alarm), never a partly written file.

Documents start from the shipped presets (so most mutations land on real fields) and
are changed the ways people and programs get them wrong: wrong types, extreme numbers,
missing and extra keys, deep nesting, unicode, and TOML text cut or garbled.
``pytest --hypothesis-profile nightly`` runs twenty times as many examples.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys

import numpy as np
import pytest
import tomli_w
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import simsrc
from simsrc.model.errors import ScenarioError
from simsrc.ui import cli

PRESETS = simsrc.list_presets()
DOCS = {name: simsrc.preset(name).to_dict(full=True) for name in PRESETS}
SECONDS = 20  # far above any one example's time (≲ 0.3 s); only a hang reaches it


@contextlib.contextmanager
def alarm(seconds: int = SECONDS):
    """Fail instead of hanging: a FIFO read or an endless loop trips this."""

    def hung(signum, frame):
        raise TimeoutError(f"no answer within {seconds} s")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


# -- generated values ------------------------------------------------------------------

toml_scalars = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-1e6, 1e6),
    st.booleans(),
    st.text(max_size=12),
    st.dates(),
)
toml_values = st.recursive(
    toml_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=3),
    ),
    max_leaves=8,
)


def _slots(node, prefix=()):
    """Every (container, key) in a document, and the path to it."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield node, k, (*prefix, k)
            yield from _slots(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield node, i, (*prefix, i)
            yield from _slots(v, (*prefix, i))


def _copy(node):
    if isinstance(node, dict):
        return {k: _copy(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_copy(v) for v in node]
    return node


@st.composite
def documents(draw):
    """A preset's dictionary with one to four mutations."""
    doc = _copy(DOCS[draw(st.sampled_from(PRESETS))])
    for _ in range(draw(st.integers(1, 4))):
        slots = list(_slots(doc))
        if not slots:
            break
        container, key, _ = draw(st.sampled_from(slots))
        old = container[key]
        action = draw(
            st.sampled_from(["number", "number", "value", "delete", "extra", "nest", "rename"])
        )
        if action == "number" and isinstance(old, int | float) and not isinstance(old, bool):
            # near the field's own value, so many results are still valid scenarios
            bound = min(2 * abs(float(old)) + 1, 1e300)  # nan and inf (earlier edits) too
            bound = bound if bound == bound else 1e300
            container[key] = draw(
                st.one_of(
                    st.floats(-bound, bound),
                    st.sampled_from([0, -1, 1, 1e300, -0.0, 2**62]),
                )
            )
        elif action == "delete" and isinstance(container, dict):
            del container[key]
        elif action == "extra" and isinstance(old, dict):
            old[draw(st.text(min_size=1, max_size=10))] = draw(toml_values)
        elif action == "nest":
            for _ in range(draw(st.integers(1, 30))):
                old = [old]
            container[key] = old
        elif action == "rename" and isinstance(old, dict) and "name" in old:
            old["name"] = draw(st.one_of(st.text(max_size=10), st.sampled_from(["standard"])))
        else:
            container[key] = draw(toml_values)
    return doc


def check_scenario(s: simsrc.Scenario) -> None:
    """A valid scenario simulates to finite, non-negative, conserved numbers."""
    res = simsrc.simulate(s)
    m = res.monthly
    numbers = m.select_dtypes("number")
    # rates are undefined (NaN) where their base is zero, e.g. MRR churn in month 0
    rates = {"churn_rate", "gross_mrr_churn", "net_mrr_churn"}
    bad = [
        c
        for c in numbers
        if np.isinf(numbers[c]).any() or (c not in rates and numbers[c].isna().any())
    ]
    assert not bad, (bad, numbers[bad].head(3).to_dict())
    people = max(1.0, float(m["new"].sum() + m["reactivated"].sum()))
    for col in ("new", "active", "billed", "churned", "lapsed_after_offer", "reactivated"):
        assert (m[col] >= -1e-9 * people).all(), col
    # README's identity: everyone who joined or came back is active or has left, through a
    # cause or after an offer (cumulative up to every month)
    came = (m["new_paid"] + m["new_referred"] + m["reactivated"]).cumsum()
    left = m[[f"churned_{c}" for c in s.cause_names]].sum(axis=1) + m["lapsed_after_offer"]
    gap = (came - m["active"] - left.cumsum()).abs().max()
    assert gap <= 1e-9 * max(people, float(came.iloc[-1])), gap


def check_error(exc: ScenarioError) -> None:
    text = str(exc)
    assert "\n" not in text and "\r" not in text, text
    assert exc.path, text  # names a field, an option or the file
    assert len(text) < 1000, text[:200]


def outcome(make) -> None:
    """Run ``make``: a valid scenario is simulated and checked; an error must be ours."""
    with alarm():
        try:
            s = make()
        except ScenarioError as exc:
            check_error(exc)
            return
        check_scenario(s)


# -- documents --------------------------------------------------------------------------


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(documents())
def test_mutated_documents(doc):
    outcome(lambda: simsrc.Scenario.from_dict(doc))


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(documents())
def test_mutated_documents_through_toml_text(doc):
    try:
        text = tomli_w.dumps(doc)
    except (TypeError, ValueError):  # not expressible in TOML (e.g. a list of tables mix)
        assume(False)
    outcome(lambda: simsrc.parse_scenario_text(text, "fuzz.toml"))


@given(
    st.sampled_from(PRESETS),
    st.lists(
        st.tuples(
            st.sampled_from(["insert", "delete", "dup"]),
            st.floats(0, 1),
            st.text(max_size=6),
        ),
        min_size=1,
        max_size=3,
    ),
)
def test_garbled_toml_text(name, edits):
    text = simsrc.scenario_to_toml(simsrc.preset(name))
    for kind, where, snippet in edits:
        i = int(where * len(text))
        if kind == "insert":
            text = text[:i] + snippet + text[i:]
        elif kind == "delete":
            text = text[:i] + text[i + 1 + len(snippet) * 7 :]
        else:
            line_start = text.rfind("\n", 0, i) + 1
            line_end = text.find("\n", i)
            line_end = len(text) if line_end < 0 else line_end
            text = text[:line_end] + "\n" + text[line_start:line_end] + text[line_end:]
    outcome(lambda: simsrc.parse_scenario_text(text, "fuzz.toml"))


@given(st.integers(1, 4000), st.sampled_from(["[", "{x = "]))
def test_deep_nesting_in_text(depth, opener):
    text = 'name = "x"\nv = ' + opener * depth
    with alarm():
        with pytest.raises(ScenarioError) as info:
            simsrc.parse_scenario_text(text, "deep.toml")
    check_error(info.value)


# -- --set expressions ------------------------------------------------------------------


def _dotted(doc):
    """Dotted paths of a document's numbers, lists of named items addressed by name."""
    out = []
    for _, _, parts in _slots(doc):
        node, words = doc, []
        for part in parts:
            child = node[part]
            named = isinstance(node, list) and isinstance(child, dict) and "name" in child
            words.append(str(child["name"]) if named else str(part))
            node = child
        if isinstance(node, int | float) and not isinstance(node, bool):
            out.append(".".join(words))
    return out


KNOWN_PATHS = sorted({p for doc in DOCS.values() for p in _dotted(doc)})
path_text = st.one_of(
    st.sampled_from(KNOWN_PATHS),
    st.builds(
        lambda p, cut, extra: ".".join(p.split(".")[:cut] + ([extra] if extra else [])),
        st.sampled_from(KNOWN_PATHS),
        st.integers(0, 5),
        st.text(alphabet=st.characters(blacklist_characters="=\x00"), max_size=8),
    ),
)
value_text = st.one_of(
    st.text(alphabet='0123456789.-+e"[]{}=,truefalsinf ', max_size=12),
    st.text(max_size=8).filter(lambda t: "\x00" not in t),
    st.sampled_from(["1e400", "nan", "inf", "-1", "[]", "{}", '"', "[[[[", "2024-01-01"]),
)


@given(st.sampled_from(PRESETS), path_text, value_text)
def test_set_expressions(name, path, value):
    base = simsrc.preset(name)

    def apply():
        try:
            return cli._apply_sets(base, [f"{path}={value}"])
        except cli.UsageError as exc:  # reported like a ScenarioError by the CLI
            raise ScenarioError("--set", str(exc)) from None

    outcome(apply)


@given(st.sampled_from(PRESETS), path_text, toml_values)
def test_scenario_set_with_python_values(name, path, value):
    outcome(lambda: simsrc.preset(name).set(path, value))


# -- the real entry point ---------------------------------------------------------------


@settings(max_examples=6, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PRESETS), path_text, value_text)
def test_cli_through_its_entry_point(tmp_path_factory, name, path, value):
    folder = tmp_path_factory.mktemp("cli")
    out = folder / "monthly.csv"
    out.write_text("old\n")
    argv = ["run", name, "--set", f"{path}={value}", "--csv", str(out), "--force"]
    proc = subprocess.run(
        [sys.executable, "-m", "simsrc", *argv],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode in (0, 2), proc.stderr
    assert "Traceback" not in proc.stderr
    if proc.returncode == 2:
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("simsrc: error: "), proc.stderr
        assert out.read_text() == "old\n"  # checked and failed before anything was written
    else:
        assert out.read_text().startswith("month,")
    assert sorted(p.name for p in folder.iterdir()) == ["monthly.csv"]


# -- the dashboards' upload -------------------------------------------------------------


@pytest.fixture(scope="module")
def dashboard():
    from simsrc.ui.dashboard import ExecutiveDashboard

    return ExecutiveDashboard("b2b-saas")


@settings(
    max_examples=40,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(
    st.one_of(
        documents().map(lambda d: tomli_w.dumps(d).encode("utf-8")),
        st.binary(max_size=200),
        st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    )
)
def test_dashboard_uploads_show_a_message_never_a_traceback(dashboard, raw):
    import html

    before = dashboard.baseline
    with alarm():
        dashboard._on_upload({"new": ({"name": "fuzz.toml", "content": raw},)})
    text = html.unescape(dashboard.message.value)
    # our own one-line message, never the catch-all for an unexpected exception
    assert "Something went wrong" not in text, text
    assert ("Loaded fuzz.toml" in text) or ("⚠" in text and dashboard.baseline == before), text
    dashboard.preset.value = "b2b-saas"
