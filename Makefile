# Two commands do everything: `make run` and `make test`. Each creates .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install run test lint format bench fit eval

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first, pinned: the CPU wheel; an unpinned torch would pull a multi-GB CUDA build.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	@if [ -n "$$DISCORD_TOKEN" ] || grep -qs '^DISCORD_TOKEN=.' .env; then \
		$(BIN)/qabot run; \
	else \
		$(BIN)/qabot demo; \
	fi

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q

lint format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Every labelled set the project has, in one table (locate@1, answer_rate, answer, abstain,
# accuracy, answered when located): the article's dev questions, the SQuAD 2.0 dev half, and
# SQuADShifts' reviews and new Wikipedia articles. SQuAD-style sets are sampled by document
# (--sample): SQuADShifts' sample is the part the reader never learns from (docs/quality.md).
EVAL_SETS := ../shared/eval/seed_dev.jsonl ../shared/eval/squad2-dev-half/questions.jsonl \
	../shared/train/squadshifts_amazon/questions.jsonl ../shared/train/squadshifts_new_wiki/questions.jsonl
eval: $(STAMP)
	$(BIN)/qabot eval --sample 3000 $(EVAL_SETS)

# Fit the answer-or-abstain model again (index/data/answer_model.json): the reader, the weights,
# the levels, and the reader's margin bound for reading passages one at a time; see README.
fit: $(STAMP)
	$(BIN)/python -m index.training.reader_train ../shared/eval/squad2-dev-half \
		--also ../shared/train/squadshifts_amazon --also ../shared/train/squadshifts_new_wiki
	$(BIN)/python -m index.training.fit ../shared/eval/squad2-dev-half
	$(BIN)/python -m index.training.levels ../shared/eval/squad2-dev-half \
		../shared/train/squadshifts_amazon ../shared/train/squadshifts_new_wiki
	$(BIN)/python -m index.training.cascade ../shared/eval/squad2-dev-half \
		../shared/train/squadshifts_amazon ../shared/train/squadshifts_new_wiki

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m benchmarks.run
