# Two commands are all a fresh clone needs: `make site` and `make test`.
# Each creates and fills .venv/ on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DB     ?= data/benchmarks.db
OUT    ?= site
PORT   ?= 8000

.PHONY: site test serve lint format clean bench

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

test: $(STAMP)
	$(BIN)/pytest

serve: site
	$(BIN)/zebench serve --out $(OUT) --port $(PORT)

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
