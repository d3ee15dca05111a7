# The README's two commands: `make samples` (the main job) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install samples record test bench lint docs i18n

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

install: $(VENV)/.installed

# The main job, offline: the samples through the whole pipeline, the model's
# answers replayed from the recorded cassettes, one record per report in out/.
samples: install
	$(BIN)/jixiao ingest samples --db out/jixiao.db --out out --replay cassettes

# Re-record the cassettes from a real model (the local one by default; see the
# docs/models.md for JIXIAO_BASE_URL and JIXIAO_MODEL), after a prompt or chunking change.
# The corpus reports whose model traffic bench/corpus.py replays: a few layouts
# and kinds, one report of each layout family at least (the local model takes
# minutes a report here).
CORPUS_RECORDED := $(addprefix tests/corpus/,anping_justice__markdown.txt \
	baisha_clinic__pipe_lines.txt hualin_water__spaces.txt liuxi_medical__tab_rows.txt \
	nanxi_cppcc__docx.docx songling_township__tab_cells.txt \
	yuntai_health__one_cell_per_line.txt pingyang_disabled__one_line.txt \
	qinghe_edu__one_line.txt beiyuan_agri__run_together.txt xishan_veterans__run_together.txt)

# What serves the model while recording: this repository's CI machines have a
# script for it beside the clone; elsewhere, start a server as docs/models.md
# says and run `make record LOCAL_LLM=`.
LOCAL_LLM ?= ../shared/tools/local-llm

record: install
	$(if $(LOCAL_LLM),$(LOCAL_LLM) start)
	# A database of its own: one that already holds the reports would skip them.
	tmp=$$(mktemp -d) && \
	$(BIN)/jixiao ingest samples --db $$tmp/record.db --out out --record cassettes && \
	$(BIN)/jixiao ingest $(CORPUS_RECORDED) --db $$tmp/record.db --record cassettes/corpus

test: install
	$(BIN)/pytest

bench: install
	$(BIN)/python bench/parse.py
	$(BIN)/python bench/mutations.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/faults.py
	$(BIN)/python bench/corpus.py
	$(BIN)/python bench/review.py

# The commands' `--help` pages in docs/commands.md, generated again from the
# commands (cog blocks); tests/test_docs.py fails while they differ.
docs: install
	$(BIN)/cog -r README.md docs/*.md

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src/jixiao

# The review pages' Chinese: extract the English messages from the code and the
# templates, merge them into the catalog (then translate the new ones, fuzzy or
# empty, in locale/zh_CN/LC_MESSAGES/messages.po), compile it.
LOCALE := src/jixiao/review/locale
i18n: install
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k M_ --no-location --omit-header --sort-output -o $(LOCALE)/messages.pot .
	$(BIN)/pybabel update -i $(LOCALE)/messages.pot -d $(LOCALE) -D messages --ignore-obsolete --width 0
	$(BIN)/pybabel compile -d $(LOCALE) -D messages --statistics
	rm $(LOCALE)/messages.pot
