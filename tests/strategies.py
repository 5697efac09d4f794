"""Hypothesis strategies shared by the dashboard tests."""

from __future__ import annotations

import math

from hypothesis import strategies as st

from simsrc.ui.dashboard.values import CHOICES, choice_words, control_param


def control_values(keys):
    """Valid values for some of ``keys``, as a person could set them."""

    def value(key):
        if key in CHOICES:
            return st.sampled_from(choice_words(key))
        row = control_param(key)
        assert row is not None
        if row.integer:
            return st.integers(math.ceil(row.lo), math.floor(min(row.hi, 1e6)))
        return st.floats(row.lo, min(row.hi, 1e6), allow_nan=False)

    return st.lists(st.sampled_from(sorted(keys)), unique=True, max_size=8).flatmap(
        lambda chosen: st.fixed_dictionaries({k: value(k) for k in chosen})
    )
