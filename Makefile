# werktop-eval — the front door. `make` lists the targets.
#
# Stage targets have real file dependencies: a stage reruns only when its inputs, its code,
# the codebook or the study config changed. `make report CONFIG=path/to/study.toml` runs the
# study described by another config; switching configs reruns everything.

SHELL := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CONFIG ?= studies/example.toml

INSTRUMENTS := employers candidates control register interviews
COMMON := pipeline/__init__.py pipeline/cli.py pipeline/config.py pipeline/codebook.py \
          pipeline/io.py pipeline/errors.py
ANALYSIS := $(wildcard analysis/*.py)
TEMPLATES := $(wildcard report_templates/*.j2 report_templates/chapters/*.j2 report_templates/*.css report_templates/strings/*.toml)

# Remember which config the outputs were built from; a different one invalidates them.
CONFIG_STAMP := .make/config
$(shell mkdir -p .make; echo '$(abspath $(CONFIG))' | cmp -s - $(CONFIG_STAMP) || echo '$(abspath $(CONFIG))' > $(CONFIG_STAMP))
# The raw exports and codebook files the config names (empty before the venv exists,
# which is fine: then nothing has been built yet either).
INPUTS := $(shell test -x $(PY) && $(PY) -m pipeline inputs --config $(CONFIG) 2>/dev/null)

INGESTED := $(foreach i,$(INSTRUMENTS),data/interim/ingested/$(i).csv data/interim/ingested/$(i).meta.json)
VALIDATED := data/interim/validation_report.csv
CLEANED := $(foreach i,$(INSTRUMENTS),data/interim/$(i).csv) data/interim/exclusions.csv data/interim/sample_flow.csv data/interim/datapackage.json
PROCESSED := $(foreach f,jobseekers employers units interviews,data/processed/$(f).csv) data/processed/datapackage.json
RESULTS := results/stats.json $(foreach t,unit_attainment employment_comparison scale_comparison sample_flow validation_summary,results/tables/$(t).csv)
FIGURES := $(foreach f,unit_attainment employment_comparison,figures/$(f).png figures/$(f).svg)
REPORT := reports/werktop_report.html reports/werktop_report.pdf

.PHONY: help setup report test lint bench example-data codebook-doc lock ingest validate clean-data derive analyze plot render clean distclean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | awk -F '\t' '{printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

setup: $(STAMP) ## create the virtual environment (.venv) and install the project

report: $(REPORT) ## build the evaluation report (reports/werktop_report.html and .pdf)

test: $(STAMP) ## run the test suite
	$(PY) -m pytest -q

lint: $(STAMP) ## check the code with ruff
	$(VENV)/bin/ruff check pipeline analysis synthetic tests

bench: $(STAMP) ## time the whole pipeline on the example study scaled up (benchmarks/)
	$(PY) benchmarks/run_bench.py

lock: $(STAMP) ## re-pin constraints.txt to the versions in .venv (after upgrading on purpose)
	@{ head -n 2 constraints.txt; $(PY) -m pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

codebook-doc: $(STAMP) ## regenerate docs/codebook.md from data/codebook/*.toml
	$(PY) -m pipeline codebook-doc --out docs/codebook.md

example-data: $(STAMP) ## regenerate the synthetic example study (byte-identical)
	$(PY) -m pipeline simulate --out data/raw/example --config studies/example.toml

# ---------------------------------------------------------------- stages
$(INGESTED) &: $(STAMP) $(CONFIG_STAMP) $(CONFIG) $(INPUTS) $(COMMON) pipeline/ingest.py pipeline/readers.py pipeline/privacy.py
	$(PY) -m pipeline ingest --config $(CONFIG)
ingest: $(INGESTED) ## stage: read raw exports (redacted, pseudonymised)

$(VALIDATED) &: $(INGESTED) pipeline/validate.py pipeline/values.py
	$(PY) -m pipeline validate --config $(CONFIG)
validate: $(VALIDATED) ## stage: validate against the codebook

$(CLEANED) &: $(VALIDATED) pipeline/clean.py pipeline/datapackage.py
	$(PY) -m pipeline clean --config $(CONFIG)
clean-data: $(CLEANED) ## stage: clean, de-duplicate, exclude (with exclusions log)

$(PROCESSED) &: $(CLEANED) pipeline/derive.py pipeline/datapackage.py $(ANALYSIS)
	$(PY) -m pipeline derive --config $(CONFIG)
derive: $(PROCESSED) ## stage: analysis-ready data with scale scores

$(RESULTS) &: $(PROCESSED) $(VALIDATED) pipeline/analyze.py $(ANALYSIS)
	$(PY) -m pipeline analyze --config $(CONFIG)
analyze: $(RESULTS) ## stage: statistics into results/

$(FIGURES) &: $(RESULTS) pipeline/plot.py pipeline/formatting.py $(TEMPLATES)
	$(PY) -m pipeline plot --config $(CONFIG)
plot: $(FIGURES) ## stage: figures

$(REPORT) &: $(RESULTS) $(FIGURES) pipeline/render.py pipeline/formatting.py $(TEMPLATES)
	$(PY) -m pipeline render --config $(CONFIG)
render: $(REPORT) ## stage: render the report

clean: ## remove every generated file (keeps .venv)
	rm -rf data/interim data/processed results figures reports .make

distclean: clean ## remove generated files and the virtual environment
	rm -rf $(VENV)
