# Two jobs for a fresh machine, each doing its own set-up:
#   make lab    set up .venv and open the course in JupyterLab
#   make test   set up .venv and run the test suite (what CI runs)
PYTHON ?= python3
VENV   ?= .venv
TORCH  ?= torch==2.13.0
BIN     = $(VENV)/bin

.PHONY: lab test test-colab setup demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# torch first, pinned, so that no later requirement pulls a different build.
setup: $(BIN)/python
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q -e ".[dev,lab]"
	# what some lessons need beyond lorakit (the offline chat model, bitsandbytes): as on Colab
	$(BIN)/python -m lorakit.extras llm quant

# JupyterLab refuses to run as root unless told; containers and classroom machines often are root.
LAB_FLAGS ?= $(if $(filter 0,$(shell id -u)),--allow-root)

lab: setup
	cd notebooks && ../$(BIN)/jupyter lab $(LAB_FLAGS)

# PYTEST_ARGS adds pytest options, e.g. make test PYTEST_ARGS="--durations=20 -k notebooks"
test: setup
	HF_HUB_OFFLINE=1 LORAKIT_FAST=1 $(BIN)/python -m pytest -q $(PYTEST_ARGS) lorakit tests

# Every lesson as on a fresh Colab runtime (make test runs the six that differ in what they install).
test-colab: setup
	HF_HUB_OFFLINE=1 LORAKIT_FAST=1 LORAKIT_COLAB_LESSONS=all $(BIN)/python -m pytest -q $(PYTEST_ARGS) tests/test_colab.py

# The classroom demo without Jupyter: a small rank sweep and its plot.
demo: setup
	HF_HUB_OFFLINE=1 $(BIN)/lorakit sweep --task sentiment --ranks 1,4,16 --seeds 0 --baselines head \
		--max-train-examples 1500 --epochs 2 --max-minutes 10 --out runs/demo

clean:
	rm -rf $(VENV) build *.egg-info
