# Two commands do all set-up on a fresh machine:
#   make demo   create .venv if needed, install archgym, run a short DSE study (table + plot)
#   make test   same install, then the whole test suite
# Extra arguments pass through variables (later options win), e.g.
#   make demo DEMO_ARGS="--budget 50"   make test TESTS=tests/test_spaces.py
#   make studies STUDIES_ARGS="systolic soc"   make bench BENCH_ARGS=--dry-run
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.install-stamp
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export OPENBLAS_NUM_THREADS := 1

.PHONY: demo test install bench studies docs clean

DEMO_ARGS ?=
TESTS ?= tests
BENCH_ARGS ?=
STUDIES_ARGS ?=

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml setup.py | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev,ray,docs]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/archgym run --env archgym/Systolic-v0 --agent ga --budget 300 --seed 0 --out runs/demo $(DEMO_ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest $(TESTS)

bench: $(STAMP)
	$(BIN)/python experiments/bench/run_all.py $(BENCH_ARGS)

# every lottery figure and table (resumable sweeps; ~25 min on 2 cores, most of it the DRAM study)
studies: $(STAMP)
	$(BIN)/python experiments/lottery/reproduce.py $(STUDIES_ARGS)

# the documentation site (mkdocs.yml) into site/; `$(BIN)/mkdocs serve` previews it
docs: $(STAMP)
	$(BIN)/mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV) runs build site *.egg-info
