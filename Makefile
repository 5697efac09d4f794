# Two commands on a fresh machine (Python >= 3.11 on PATH):
#   make dashboard — create .venv, install the project (runtime only), serve the dashboards on 127.0.0.1:8866
#   make test      — create .venv, install the project with its test extras, lint, type-check, test
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
RUNTIME := $(VENV)/.runtime
STAMP  := $(VENV)/.installed

.PHONY: install runtime test lint format demo dashboard bench bench-dashboard bench-scale coverage telecom-preset clean strip

# What the dashboards and the CLI need: the package and its runtime dependencies only.
$(RUNTIME): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is required") if sys.version_info < (3, 11) else None'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	@echo "compiling the engine's kernels once (about a minute; numba caches them)"
	$(PY) -c 'import simsrc; s = simsrc.preset("b2b-saas"); [simsrc.simulate(x, stochastic=True, runs=1, seed=0) for x in (s, s.without_levers())]'
	touch $(RUNTIME)

# Everything else: the test, lint and benchmark tools, dask, SQLAlchemy.
$(STAMP): $(RUNTIME) pyproject.toml
	$(PY) -m pip install --quiet -e '.[test]'
	# notebooks are committed without outputs: git strips them (filter in .gitattributes)
	if git rev-parse --git-dir >/dev/null 2>&1; then $(VENV)/bin/nbstripout --install; fi
	touch $(STAMP)

runtime: $(RUNTIME)

install: $(STAMP)

lint: install
	$(VENV)/bin/ruff check simsrc tests benchmarks notebooks scripts config
	$(VENV)/bin/ruff format --check simsrc tests benchmarks notebooks scripts config
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache  # the floors of docs/architecture.md
	$(PY) scripts/sizes.py --check --top 3  # functions ≤ 80 lines, modules ≤ 800

format: install
	$(VENV)/bin/ruff format simsrc tests benchmarks notebooks scripts config
	$(VENV)/bin/ruff check --fix simsrc tests benchmarks notebooks scripts config

test: lint
	$(PY) -m pytest --doctest-modules simsrc tests

demo: runtime
	$(VENV)/bin/simsrc compare b2b-saas --what-if halve-churn

PORT ?= 8866
dashboard: runtime  # serve the dashboards with Voila (settings in config/voila.py; POOL=n pre-heated); Ctrl-C stops it
	$(PY) scripts/dashboard.py --port $(PORT) $(if $(POOL),--pool $(POOL)) $(if $(ADDRESS),--host $(ADDRESS))

bench: install
	$(PY) benchmarks/engine.py

bench-dashboard: install  # needs Chromium (apt-get install chromium)
	$(PY) benchmarks/dashboard.py

bench-scale: install
	$(PY) benchmarks/scale.py

coverage: install  # the calibrated bands' coverage study (about 5 minutes)
	$(PY) benchmarks/coverage.py

telecom-preset: install  # re-derive the telecom preset from data/ (a few seconds)
	$(PY) scripts/derive_telecom.py

strip: install  # remove outputs from the notebooks' files (git strips them anyway)
	$(VENV)/bin/jupyter nbconvert --clear-output --inplace notebooks/*.ipynb

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
