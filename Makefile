# Everything CI runs is a target here. `make demo` and `make test` each install first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench eval clean

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (Python 3.11)"; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/eventcoder code examples/aid-request.txt --table

test: install
	$(BIN)/ruff check src tests tools bench eval
	$(BIN)/mypy
	$(BIN)/pytest -q

bench: install
	$(BIN)/python bench/bench.py
	$(BIN)/python bench/batch_bench.py
	$(BIN)/python bench/api_bench.py

GOLD := ../shared/data/events/cameo-pentaclass-train.jsonl
eval: install
	for set in dedup-pairs dedup-pairs-test; do \
	  $(BIN)/python eval/check_dedup_pairs.py eval/$$set.jsonl --write-articles bench/results/$$set.articles.jsonl && \
	  $(BIN)/eventcoder code bench/results/$$set.articles.jsonl --no-text -o bench/results/$$set.out.jsonl && \
	  $(BIN)/eventcoder eval --task dedup eval/$$set.jsonl bench/results/$$set.out.jsonl || exit 1; \
	done
	@test -f $(GOLD) || { echo "$(GOLD) is absent; no CAMEO sentences to score"; exit 0; }
	$(BIN)/eventcoder code $(GOLD) --no-text -o bench/results/pentaclass.jsonl
	$(BIN)/eventcoder eval $(GOLD) bench/results/pentaclass.jsonl

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info src/*.egg-info
