# InduTechData hybridflow — `make help` lists every target.
# The README's two commands: `make demo` (the main job) and `make test`.

SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HF := $(VENV)/bin/hybridflow
STAMP := $(VENV)/.requirements.stamp

.PHONY: help setup sysdeps jars up down status demo stream produce test test-unit test-integration \
        diagrams bench clean distclean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

sysdeps: ## Install the Debian packages the project needs (root), or say which
	@scripts/system-deps.sh core diagrams db

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	@touch $@

jars: $(STAMP) ## Resolve the JVM jars with Maven from jvm/pom.xml into .state/jars/
	@$(HF) setup

setup: sysdeps $(STAMP) jars ## Everything a fresh machine needs (idempotent)

up: setup ## Start the local stack (Kafka broker in KRaft mode) and create the topics
	@$(HF) up

down: ## Stop the local stack
	@test ! -x $(HF) || $(HF) down

status: ## Show what the local stack runs
	@$(HF) status

demo: up ## The main job: produce sample tickets (a few malformed), run the stream, show what landed
	@$(HF) demo

produce: up ## Produce tickets: make produce ARGS="--count 1000 --rate 50"
	@$(HF) produce $(ARGS)

stream: up ## Run the streaming job until Ctrl-C: make stream ARGS="--available-now"
	@$(HF) stream $(ARGS)

test: up ## Run every test against the real stack (unit, integration)
	$(PY) -m pytest tests $(PYTEST_ARGS)

test-unit: $(STAMP) ## Unit tests only (no stack)
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

diagrams: setup ## Regenerate every schematic under diagrams/
	@$(HF) diagrams

bench: up ## Benchmarks (print numbers; not tests)
	@$(PY) -m hybridflow.bench $(ARGS)

clean: ## Remove generated data, lake, checkpoints, diagrams and report (keeps jars and venv)
	@test ! -x $(HF) || $(HF) down
	rm -rf data/lake data/landing spark-warehouse metastore_db derby.log .state/kafka .state/logs
	find diagrams report -mindepth 1 ! -name README.md ! -path 'diagrams/mermaid*' -delete 2>/dev/null || true

distclean: clean ## Also remove the virtualenv and every local state (jars, databases)
	rm -rf $(VENV) .state
