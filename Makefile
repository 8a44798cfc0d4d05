# Two commands do all set-up on a fresh machine:
#   make demo   create .venv if needed, install archgym, run a short DSE study (table + plot)
#   make test   same install, then the whole test suite
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.install-stamp
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export OPENBLAS_NUM_THREADS := 1

.PHONY: demo test install bench studies clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml setup.py | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev,ray,docs]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/archgym run --env archgym/Systolic-v0 --agent ga --budget 300 --seed 0 --out runs/demo

test: $(STAMP)
	$(BIN)/python -m pytest tests

bench: $(STAMP)
	$(BIN)/python experiments/bench/run_all.py

# every lottery figure and table (resumable sweeps; ~25 min on 2 cores, most of it the DRAM study)
studies: $(STAMP)
	$(BIN)/python experiments/lottery/reproduce.py

clean:
	rm -rf $(VENV) runs build *.egg-info
