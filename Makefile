# Two commands are all a fresh clone needs: `make site` and `make test`.
# Each creates and fills .venv/ on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DB     ?= data/benchmarks.db
OUT    ?= site
PORT   ?= 8787

.PHONY: site test check serve dev lint format clean bench publish

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# The default data: a deterministic demo database, made on first use.
$(DB): | $(STAMP)
	$(BIN)/zebench demo --db $(DB)

site: $(STAMP) $(DB)
	$(BIN)/zebench build --db $(DB) --out $(OUT)

# CI with the results file kept as a release asset (docs/publishing.md): merge
# the jobs' results files under ARTIFACTS into PREVIOUS, then build the site.
PREVIOUS  ?= previous/benchmarks.db
ARTIFACTS ?= artifacts
publish: $(STAMP)
	ZEBENCH=$(BIN)/zebench scripts/publish-from-artifacts.sh $(PREVIOUS) $(ARTIFACTS) $(DB) $(OUT)

test: $(STAMP)
	$(BIN)/pytest

# The quick loop while editing: everything but the slow and the browser tests.
check: $(STAMP)
	$(BIN)/pytest -q -m "not slow and not browser"

# The results API and the site on http://127.0.0.1:$(PORT)/; POSTs need
# ZE_BENCHMARKS_API_KEY (see docs/server.md).
serve: site
	$(BIN)/zebench serve --db $(DB) --out $(OUT) --port $(PORT)

# One command for working locally: set up, demo data if there is none, build, then
# serve with live reload, taking results without a key (this machine only).
dev: site
	$(BIN)/zebench serve --db $(DB) --out $(OUT) --port $(PORT) --allow-unauthenticated-writes

lint: $(STAMP)
	$(BIN)/ruff check generator tests
	$(BIN)/ruff format --check generator tests

format: $(STAMP)
	$(BIN)/ruff format generator tests
	$(BIN)/ruff check --fix generator tests

# Ingest, build, memory and page weight at 1,000, 10,000 and 100,000 runs, and at
# 10,000 runs of real size (about 100 KB each) (minutes).
bench: $(STAMP)
	$(BIN)/zebench bench --real 10000

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .ruff_cache .hypothesis build dist *.egg-info
