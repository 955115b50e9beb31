PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean

# The package alone (make run), and the package with test and lint tools (make test).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/mlpsel train configs/quickstart.yaml

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check mlpsel tests benchmarks scripts

# Needs full MNIST (MLPSEL_DATA_DIR or ../shared/data); PyTorch and scikit-learn are optional peers.
bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/bench_executor.py
	$(BIN)/python benchmarks/bench_train.py
	$(BIN)/python benchmarks/bench_gridsearch.py
	$(BIN)/python benchmarks/bench_halving.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
