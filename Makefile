# sagebuild — `make` alone prints this help.
# Any Python 3.11 or newer (PYTHON=/path/to/python3.13 to choose): the first of these found.
ifndef PYTHON
PYTHON := $(shell for p in python3 python3.13 python3.12 python3.11; do \
  command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
  && { command -v $$p; break; }; done)
endif
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install system-deps demo test test-slow test-fast lint format template-lint types check bench dist clean

help: ## Show the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "sagebuild needs Python 3.11 or newer (found: $$($(PYTHON) --version 2>/dev/null || echo none));" \
	  "choose one with PYTHON=/path/to/python3.12"; exit 1; }
	@if [ -x $(BIN)/python ] && [ "$$($(BIN)/python -c 'import sys; print(sys.version_info[:2])')" \
	  != "$$($(PYTHON) -c 'import sys; print(sys.version_info[:2])')" ]; then \
	  echo "$(VENV) was made with another Python than $(PYTHON): run make clean first"; exit 1; fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[local,dev]"
	@touch $(STAMP)

install: $(STAMP) system-deps ## Create .venv and install everything (idempotent)

system-deps: ## proot runs BYOD train/serve programs without Docker (Debian package)
	@command -v proot >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get install -y -qq proot >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq proot >/dev/null)); \
	  else echo "note: install proot (apt-get install proot) to run BYOD images locally"; fi; }

demo: install ## Run the whole loop on the local stack: deploy, train, deploy, predict
	$(BIN)/python -m sagebuild.demo

test: install ## Every test but the slow ones: unit, handler, local stack, end to end
	$(BIN)/python -m pytest -q -n 2 --dist loadfile -m "not slow"

test-slow: install ## The slow end-to-end checks: IAM mutations, notebooks, wheel install, bursts
	$(BIN)/python -m pytest -q -n 2 --dist loadfile -m slow

test-fast: install ## Unit and handler tests only
	$(BIN)/python -m pytest -q tests/unit tests/handlers

lint: install ## ruff (lint + format check)
	$(BIN)/ruff check lambdas alexa src tests
	$(BIN)/ruff format --check lambdas alexa src tests

format: install ## Rewrite the code in place: the fixable ruff findings, then ruff format
	@status=0; $(BIN)/ruff check --fix lambdas alexa src tests || status=$$?; \
	  $(BIN)/ruff format lambdas alexa src tests; exit $$status

template-lint: install ## cfn-lint on template.yaml
	$(BIN)/cfn-lint template.yaml

types: install ## mypy on the deployed code and the local stack
	$(BIN)/mypy lambdas alexa src

check: lint template-lint types test test-slow ## Every check a change needs (what CI runs)

bench: install ## Benchmarks: orchestration cost, cold import, local demo timing (docs/benchmarks.md)
	$(BIN)/python -m sagebuild.bench

dist: install ## Build the wheel and the sdist into dist/ (with the template, lambdas, notebooks...)
	rm -rf dist
	$(BIN)/python -m build --outdir dist .

clean: ## Remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache build dist
