# werktop-eval — the front door. `make` lists the targets.
#
# Stage targets have real file dependencies: a stage reruns only when its inputs, its code,
# the codebook or the study config changed. `make report CONFIG=path/to/study.toml` runs the
# study described by another config. Each study builds into a folder of its own named after
# its config file, build/<name>/ (the pipeline's default output root, pipeline/study/config.py),
# with make's bookkeeping in build/<name>/.make/: switching configs rebuilds nothing.
#
# A failed or interrupted run leaves every previous output as it was (the pipeline rolls
# back, pipeline/outputs/transaction.py), so make must not delete targets either: no
# .DELETE_ON_ERROR, and the generated files are .PRECIOUS (kept when make is interrupted).
# Their times stay those of the last good run, so a failed run is retried the next time.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CONFIG ?= studies/example.toml

STUDY := $(basename $(notdir $(CONFIG)))
BUILD := build/$(STUDY)
# Which config the study's folder belongs to; the key's fingerprint; the file lists.
CONFIG_STAMP := $(BUILD)/.make/config
KEY_STAMP := $(BUILD)/.make/key
TARGETS_MK := $(BUILD)/.make/targets.mk

# The lists of generated files (INGESTED … REPORT_<lang>), the raw inputs (INPUTS) and each
# stage's code (CODE_<stage>) come from the catalog: `python -m pipeline targets`. They are
# only needed (and the venv only built for them) when a pipeline target is asked for.
PIPELINE_GOALS := report report-en ingest validate clean-data derive analyze plot render
ifneq ($(filter $(PIPELINE_GOALS),$(MAKECMDGOALS)),)
ifeq ($(wildcard $(CONFIG)),)
$(error study config not found: $(CONFIG))
endif
# build/<name>/ belongs to one config: another config file with the same name is refused
# rather than mixed in (the pipeline checks the same: pipeline/study/config.py, claim_output_root).
CONFIG_ID := $(patsubst $(CURDIR)/%,%,$(abspath $(CONFIG)))
CONFIG_OWNER := $(shell cat $(CONFIG_STAMP) 2>/dev/null)
ifeq ($(CONFIG_OWNER),)
$(shell mkdir -p $(dir $(CONFIG_STAMP)) && echo '$(CONFIG_ID)' > $(CONFIG_STAMP))
else ifneq ($(CONFIG_OWNER),$(CONFIG_ID))
$(error $(BUILD)/ holds the outputs of $(CONFIG_OWNER), not of $(CONFIG_ID): a study builds into build/<config file name>/. Rename one of the two configs, or remove $(BUILD)/ if the outputs of $(CONFIG_OWNER) are no longer needed)
endif
-include $(TARGETS_MK)
# The pseudonym key is an input too (by fingerprint, never the key): changing it rebuilds.
KEY_FINGERPRINT := $(shell test -x $(PY) && $(PY) -m pipeline fingerprint --config $(CONFIG) 2>/dev/null)
$(shell echo '$(KEY_FINGERPRINT)' | cmp -s - $(KEY_STAMP) || echo '$(KEY_FINGERPRINT)' > $(KEY_STAMP))
.PRECIOUS: $(INGESTED) $(VALIDATED) $(CLEANED) $(PROCESSED) $(RESULTS) $(FIGURES_nl) $(FIGURES_en) $(REPORT_nl) $(REPORT_en)
endif

$(TARGETS_MK): $(STAMP) $(CONFIG_STAMP) $(CONFIG) pipeline/outputs/catalog.py pipeline/runner/make_targets.py pipeline/report/chapter.py pipeline/chapters/registry.toml $(wildcard pipeline/chapters/*/*.py)
	@mkdir -p $(@D)
	$(PY) -m pipeline targets --config $(CONFIG) > $@.tmp && mv $@.tmp $@

.PHONY: help setup report report-en test lint bench validate-methods example-data codebook-doc lock ingest validate clean-data derive analyze plot render clean distclean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | awk -F '\t' '{printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

setup: $(STAMP) ## create the virtual environment (.venv) and install the project

report: $(REPORT_$(LANGUAGE)) ## build the evaluation report (build/<study>/reports/werktop_report.html, .pdf)

report-en: $(REPORT_en) ## build the English report (build/<study>/reports/werktop_report_en.html, .pdf)

test: $(STAMP) ## run the test suite
	$(PY) -m pytest -q

lint: $(STAMP) ## check the code with ruff
	$(VENV)/bin/ruff check pipeline analysis synthetic methods_validation tests benchmarks

bench: $(STAMP) ## time the whole pipeline on the example study scaled up (benchmarks/)
	$(PY) benchmarks/run_bench.py

lock: $(STAMP) ## re-pin constraints.txt to the versions in .venv (after upgrading on purpose)
	@{ head -n 2 constraints.txt; $(PY) -m pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

validate-methods: $(STAMP) ## simulation study of the estimators (2 x 500 studies at the example size + 2 x 500 at 4x, large samples; ~45 min on 2 free cores) -> docs/method_validation.md
	$(PY) -m methods_validation.run --studies 500 --studies-large 500 --replicates 200 --out docs/method_validation.md

codebook-doc: $(STAMP) ## regenerate docs/codebook.md from data/codebook/*.toml
	$(PY) -m pipeline codebook-doc --out docs/codebook.md

example-data: $(STAMP) ## regenerate the synthetic example study (byte-identical)
	$(PY) -m pipeline simulate --out data/raw/example --config studies/example.toml

# ---------------------------------------------------------------- stages
$(INGESTED) &: $(STAMP) $(CONFIG_STAMP) $(KEY_STAMP) $(INPUTS) $(CODE_ingest)
	$(PY) -m pipeline ingest --config $(CONFIG)
ingest: $(INGESTED) ## stage: read raw exports (redacted, pseudonymised)

$(VALIDATED) &: $(INGESTED) $(CODE_validate)
	$(PY) -m pipeline validate --config $(CONFIG)
validate: $(VALIDATED) ## stage: validate against the codebook

$(CLEANED) &: $(VALIDATED) $(CODE_clean)
	$(PY) -m pipeline clean --config $(CONFIG)
clean-data: $(CLEANED) ## stage: clean, de-duplicate, exclude (with exclusions log)

$(PROCESSED) &: $(CLEANED) $(CODE_derive)
	$(PY) -m pipeline derive --config $(CONFIG)
derive: $(PROCESSED) ## stage: analysis-ready data with scale scores

$(RESULTS) &: $(PROCESSED) $(VALIDATED) $(CODE_analyze)
	$(PY) -m pipeline analyze --config $(CONFIG)
analyze: $(RESULTS) ## stage: statistics into results/

$(FIGURES_nl) &: $(RESULTS) $(CODE_plot)
	$(PY) -m pipeline plot --config $(CONFIG) --lang nl
$(FIGURES_en) &: $(RESULTS) $(CODE_plot)
	$(PY) -m pipeline plot --config $(CONFIG) --lang en
plot: $(FIGURES_$(LANGUAGE)) ## stage: figures

# The report depends on every input and all the code. Its recipe is one process that runs
# the stages that are out of date (judged by file times as make does, pipeline/runner/freshness.py)
# instead of one process per stage; the stage targets above still run one stage alone.
ALL_CODE = $(sort $(foreach s,ingest validate clean derive analyze plot render,$(CODE_$(s))))
# A journal left by a killed run (pipeline/outputs/transaction.py) makes the report out of date: the
# run then recovers the previous outputs (or finishes the commit) before judging the stages.
JOURNALS = $(wildcard $(BUILD)/.werktop-rollback-*)
$(REPORT_nl) &: $(STAMP) $(CONFIG_STAMP) $(KEY_STAMP) $(INPUTS) $(ALL_CODE) $(JOURNALS)
	$(PY) -m pipeline run --config $(CONFIG) --lang nl --stale-only
$(REPORT_en) &: $(STAMP) $(CONFIG_STAMP) $(KEY_STAMP) $(INPUTS) $(ALL_CODE) $(JOURNALS)
	$(PY) -m pipeline run --config $(CONFIG) --lang en --stale-only
render: $(REPORT_$(LANGUAGE)) ## stage: render the report

# (data/interim … .make: where outputs went before each study had a folder in build/)
clean: ## remove every generated file of every study (keeps .venv)
	rm -rf build data/interim data/processed results figures reports logs .make

distclean: clean ## remove generated files and the virtual environment
	rm -rf $(VENV)
