# musicquality: `make test` and `make demo` work on a fresh machine with Python, pip and apt.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Demo settings (override on the command line: make demo DEMO_FILES=5000)
DEMO_DIR ?= demo
DEMO_FILES ?= 2000
# distinct recordings; empty: make_demo_library's default (80 % of the files). Fewer build
# faster (DEMO_RECORDINGS=200: about a minute), but then most files hold another's audio.
DEMO_RECORDINGS ?=
DEMO_MUSIC = $(CURDIR)/$(DEMO_DIR)/music
DEMO_ENV := MUSICQUALITY_DEBUG=0 \
	MUSICQUALITY_SECRET_KEY=demo-only-secret-key-$$(hostname)-not-for-production-use-0123456789 \
	MUSICQUALITY_LIBRARY_DB=$(CURDIR)/$(DEMO_DIR)/library_index.db \
	MUSICQUALITY_APP_DB=$(CURDIR)/$(DEMO_DIR)/app.sqlite3 \
	MUSICQUALITY_STREAMING_DB=$(CURDIR)/$(DEMO_DIR)/music_tools.db \
	MUSICQUALITY_QUARANTINE_DIR=$(CURDIR)/$(DEMO_DIR)/quarantine \
	MUSICQUALITY_LIBRARY_ROOTS=$(DEMO_MUSIC)

.PHONY: help install runtime-deps system-deps lint test test-fast demo serve clean bench

help:
	@echo "make test   install everything, lint, check migrations, run the test suite"
	@echo "make demo   install, build a demo library, scan, analyse, serve on 127.0.0.1:8000"
	@echo "make bench  run the benchmarks in bench/ (figures go to bench/RESULTS.md by hand)"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,demo]"
	touch $(STAMP)

# axe-core for the e2e accessibility checks (tests/e2e/test_accessibility.py), from the npm
# registry by package-lock.json; the tests inject the file into each page themselves.
# Without npm (make demo on a machine without it) this is skipped with a note; `make test`
# runs system-deps first, which installs npm.
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --silent --no-audit --no-fund && touch $(NODE_STAMP); \
	else \
		echo "npm not found: axe-core not installed (make system-deps installs npm)"; \
	fi

install: $(STAMP) $(NODE_STAMP)

# Debian packages the app needs at run time: libchromaprint1 (acoustic fingerprints), and
# libmp3lame0 for the demo library's MP3s (three times as fast as the LAME in PyAV's wheel,
# which quality.services.encoding falls back to without it).
RUNTIME_LIBS := libchromaprint.so.1:libchromaprint1 libmp3lame.so.0:libmp3lame0
runtime-deps:
	@missing=""; \
	for entry in $(RUNTIME_LIBS); do \
		/sbin/ldconfig -p | grep -q "$${entry%%:*}" || missing="$$missing $${entry##*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# Debian packages the tests use: ffprobe/mediainfo and fpcalc (independent readers),
# chromium (e2e), npm (axe-core for the e2e accessibility checks).
system-deps: runtime-deps
	@missing=""; \
	command -v ffprobe >/dev/null || missing="$$missing ffmpeg"; \
	command -v mediainfo >/dev/null || missing="$$missing mediainfo"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v fpcalc >/dev/null || missing="$$missing libchromaprint-tools"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	MUSICQUALITY_DEBUG=1 $(VENV)/bin/mypy
	MUSICQUALITY_DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

# One pytest worker per core (at most 4), each module on one worker in its order (its fixtures
# built once; loadfile, not loadgroup: see tests/test_parallel_run.py), the longest modules first
# (tests/conftest.py). PYTEST_WORKERS=0 runs in one process. The run ends with its 25
# slowest tests (set-ups and teardowns apart), where CI time goes (bench/RESULTS.md).
PYTEST_WORKERS ?= auto
PYTEST_PARALLEL = -n $(PYTEST_WORKERS) $(if $(filter-out 0,$(PYTEST_WORKERS)),--maxprocesses 4 --dist loadfile --no-loadscope-reorder)

test: system-deps install lint
	$(PY) -m pytest $(PYTEST_PARALLEL) --durations=25

test-fast: install
	$(PY) -m pytest $(PYTEST_PARALLEL) -x -q -m "not e2e and not slow and not longest"

# Each benchmark prints its ratio against a baseline measured in the same run; run them on an
# idle machine and copy the figures into bench/RESULTS.md.
BENCHES := bench_scan_analysis bench_verify bench_fingerprints bench_dedup bench_upgrades bench_pages bench_monitoring
bench: install system-deps
	@for b in $(BENCHES); do echo "== $$b"; $(PY) bench/$$b.py || exit 1; done

clean:
	rm -rf $(VENV) node_modules var $(DEMO_DIR) tests/artifacts .pytest_cache .ruff_cache

# Idempotent: the generated library is made once (stamp file) and reused; every later step
# is incremental (scan, analyse, identify) or safe to repeat. Only files in the generated
# $(DEMO_DIR)/music are ever quarantined (exact duplicates, confirmed byte by byte); of two
# copies, the one under Albums/ is kept (--prefer), the one in the Copies/ dump goes.
demo: install runtime-deps
	mkdir -p $(DEMO_DIR)
	@if [ -f $(DEMO_DIR)/.library-made ]; then \
		echo "reusing the demo library in $(DEMO_DIR)/ (make clean to start over)"; \
	else \
		$(DEMO_ENV) $(PY) manage.py make_demo_library --files $(DEMO_FILES) --out $(DEMO_DIR) \
			$(if $(DEMO_RECORDINGS),--recordings $(DEMO_RECORDINGS)) && \
		touch $(DEMO_DIR)/.library-made; \
	fi
	$(DEMO_ENV) $(PY) manage.py migrate -v0
	$(DEMO_ENV) $(PY) manage.py migrate -v0 --database=library
	@# Every folder of the library but "Odd names" (file names that are not UTF-8), which is
	@# scanned on its own so that a scanner that cannot take such names fails alone.
	folders=(); for folder in "$(DEMO_MUSIC)"/*/; do \
		[ "$$folder" = "$(DEMO_MUSIC)/Odd names/" ] || folders+=("$$folder"); \
	done; $(DEMO_ENV) $(PY) manage.py scan_library "$${folders[@]}"
	@if [ -d "$(DEMO_MUSIC)/Odd names" ]; then \
		$(DEMO_ENV) $(PY) manage.py scan_library "$(DEMO_MUSIC)/Odd names" \
			>$(DEMO_DIR)/scan-odd-names.log 2>&1 \
		&& echo "scanned $(DEMO_MUSIC)/Odd names (file names that are not UTF-8)" \
		|| echo "scan_library could not index $(DEMO_MUSIC)/Odd names (file names that are not UTF-8; see $(DEMO_DIR)/scan-odd-names.log); the rest of the demo is complete"; \
	fi
	$(DEMO_ENV) $(PY) manage.py analyze_quality
	$(DEMO_ENV) $(PY) manage.py verify_audio
	$(DEMO_ENV) $(PY) manage.py run_job find_duplicates --json '{"prefer": ["$(DEMO_MUSIC)/Albums"]}'
	$(DEMO_ENV) $(PY) manage.py run_job dedupe --apply \
		--json '{"min_confidence": 1.0, "prefer": ["$(DEMO_MUSIC)/Albums"]}'
	$(DEMO_ENV) $(PY) manage.py run_job identify_upgrades
	$(DEMO_ENV) $(PY) manage.py collectstatic --noinput -v0
	@$(DEMO_ENV) $(PY) manage.py ensure_admin --username admin \
		--password-file $(CURDIR)/$(DEMO_DIR)/admin-password.txt --url http://127.0.0.1:8000/
	@echo "Serving on http://127.0.0.1:8000/ with the job worker (Ctrl-C stops both)"
	@$(DEMO_ENV) bash -c ' \
		$(PY) manage.py run_huey & worker=$$!; \
		$(PY) -m gunicorn -c python:musicquality.gunicorn_config --bind 127.0.0.1:8000 \
			--workers 2 musicquality.wsgi & server=$$!; \
		trap "kill -TERM $$worker $$server 2>/dev/null" INT TERM; \
		wait -n $$worker $$server; kill -TERM $$worker $$server 2>/dev/null; wait'
