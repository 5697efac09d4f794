"""Hypothesis profiles (quick for ``make test``, long for nightly runs); what not to collect.

``pytest --hypothesis-profile nightly`` runs every fuzz and property test that does not
fix its own example count with twenty times the examples (minutes instead of seconds).
"""

from hypothesis import HealthCheck, settings

# Shared machines are noisy: time limits per example would fail at random. Hangs are
# caught by each fuzz test's own alarm instead (see test_fuzz_scenarios.py).
settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=100
)
settings.register_profile(
    "nightly", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=2000
)
settings.load_profile("default")

# A notebook's checks run inside its kernel (tests/test_notebooks.py), with its names:
# not modules to import, even for doctests (`make test` collects with --doctest-modules).
collect_ignore_glob = ["notebook_checks/*"]
