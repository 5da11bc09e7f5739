# InduTechData hybridflow — `make help` lists every target.
# The README's two commands: `make report` (the deliverable) and `make test`.

SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HF := $(VENV)/bin/hybridflow
STAMP := $(VENV)/.requirements.stamp
MMDC_STAMP := tools/mermaid/node_modules/.install.stamp
REVEAL_STAMP := tools/reveal/node_modules/.install.stamp
# JUnit XML of the last test runs: the self-assessment (notebook 10) reads each test's outcome from them.
JUNIT_DIR := .state/test-results

.PHONY: help setup objectstore cluster-up cluster-down sysdeps jars up down status demo stream produce test test-unit test-integration \
        diagrams bench clean distclean report

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

sysdeps: ## Install the Debian packages the project needs (root), or say which
	@scripts/system-deps.sh core diagrams mermaid db report

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	@touch $@

jars: $(STAMP) ## Resolve the JVM jars with Maven from jvm/pom.xml into .state/jars/
	@$(HF) setup

setup: sysdeps $(STAMP) jars $(MMDC_STAMP) $(REVEAL_STAMP) objectstore ## Everything a fresh machine needs (idempotent)

objectstore: $(STAMP) ## Build the S3-API object store (versitygw, with Go) into .state/bin when S3_ENDPOINT is set
	@$(HF) objectstore install --if-needed

up: setup ## Start the local stack (Kafka broker in KRaft mode) and create the topics
	@$(HF) up

down: ## Stop the local stack
	@test ! -x $(HF) || $(HF) down

status: ## Show what the local stack runs
	@$(HF) status

demo: up ## The main job: produce sample tickets (a few malformed), run the stream, show what landed
	@$(HF) demo

report: up ## The deliverable: run the notebooks against the stack, export report/ (HTML + PDF); ARGS="--smoke"
	@$(HF) report $(ARGS)

produce: up ## Produce tickets: make produce ARGS="--count 1000 --rate 50"
	@$(HF) produce $(ARGS)

stream: up ## Run the streaming job until Ctrl-C: make stream ARGS="--available-now"
	@$(HF) stream $(ARGS)

test: up ## Run every test against the real stack (unit, integration); JUnit XML in .state/test-results/
	$(PY) -m pytest tests --junitxml=$(JUNIT_DIR)/test.xml $(PYTEST_ARGS)

test-unit: sysdeps jars ## Unit tests only (no stack; Java and the Maven jars: the transforms run on a local SparkSession)
	$(PY) -m pytest tests/unit --junitxml=$(JUNIT_DIR)/unit.xml $(PYTEST_ARGS)

test-integration: up ## Integration tests only (real broker, real Spark)
	$(PY) -m pytest tests/integration --junitxml=$(JUNIT_DIR)/integration.xml $(PYTEST_ARGS)

# Mermaid renderer, offline: pinned mermaid-cli driving Debian's chromium (never downloads a browser).
$(MMDC_STAMP): tools/mermaid/package.json tools/mermaid/package-lock.json
	cd tools/mermaid && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

# reveal.js for the debrief slides, pinned and copied next to the deck (no CDN).
$(REVEAL_STAMP): tools/reveal/package.json tools/reveal/package-lock.json
	cd tools/reveal && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

.PHONY: slides video
slides: $(STAMP) $(REVEAL_STAMP) ## Debrief slides (reveal.js, offline) from notebooks/slides/, with the report's figures: report/slides/
	@$(HF) slides $(ARGS)

video: up ## Record `make demo` in a real terminal (asciinema) -> report/video/ (cast, GIF for the HTML report, MP4)
	@$(HF) video $(ARGS)

diagrams: setup ## Regenerate every schematic, Mermaid diagram and table under diagrams/
	@$(HF) diagrams

.PHONY: seed-crm batch bench-batch
seed-crm: up ## Fill the on-premise CRM (PostgreSQL) and drop CSV exports: make seed-crm ARGS="--scale 1"
	@$(HF) seed-crm $(ARGS)

batch: up ## Batch ETL to the lake's reference layer: make batch ARGS="--full" (default --incremental)
	@$(HF) batch $(ARGS)

bench-batch: up ## Batch ETL benchmark, extract/load rows/s: make bench-batch ARGS="--scale 10"
	@$(PY) -m hybridflow.bench.batch $(ARGS)

bench: up ## Benchmarks (print numbers; not tests)
	@$(PY) -m hybridflow.bench $(ARGS)

clean: ## Remove generated data, lake, checkpoints, diagrams and report (keeps jars and venv)
	@test ! -x $(HF) || $(HF) down
	rm -rf data/lake data/landing data/report spark-warehouse metastore_db derby.log .state/kafka .state/logs
	find diagrams report -mindepth 1 ! -name README.md ! -path 'diagrams/mermaid*' -delete 2>/dev/null || true

distclean: clean ## Also remove the virtualenv and every local state (jars, databases)
	rm -rf $(VENV) .state

cluster-up: setup ## Start a local Spark standalone cluster (1 master, 1 worker); use it with SPARK_MASTER=spark://127.0.0.1:7077
	@$(HF) cluster up

cluster-down: ## Stop the local Spark standalone cluster
	@test ! -x $(HF) || $(HF) cluster down

.PHONY: lint
lint: $(STAMP) ## Lint: ruff (rules and format), mypy, import contracts (import-linter), notebooks without outputs (nbstripout)
	$(VENV)/bin/ruff check lib tests scripts
	$(VENV)/bin/ruff format --check lib tests scripts
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(VENV)/bin/nbstripout --verify --keep-id notebooks/*.ipynb

.PHONY: audit
audit: $(STAMP) ## Known vulnerabilities of the installed Python packages (pip-audit --strict: one it cannot check fails it)
	$(VENV)/bin/pip-audit --strict --progress-spinner off --skip-editable

.PHONY: lab compose-test compose-build
lab: up ## JupyterLab on notebooks/ with the project's kernel, on 127.0.0.1 (token printed): make lab LAB_PORT=8888
	@scripts/lab.sh

compose-test: $(STAMP) ## Build the images (never pulled) and run the real docker-compose.yml on a private Docker engine, checked end to end
	@scripts/compose-test.sh

compose-build: $(STAMP) ## Only build compose-test's images (cached: a later compose-test only runs the checks)
	@scripts/compose-test.sh --build-only
