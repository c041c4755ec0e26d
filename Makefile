# `make demo` grades the bundled examples (echo_sockets', then http_server's); `make test`
# runs the whole test suite (`make unit` only its unit layer).
# Both install what they need first (Debian: bubblewrap, chromium for the report's
# browser test and shellcheck for the Gradescope scripts; Python: this package with its
# dev extra, Playwright included).
# `make test-install` (CI, as root) builds the wheel and grades with it as an ordinary
# user; it needs the system's python3 with venv (Debian: python3-venv).
PYTHON ?= python3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
OUT ?= grades/examples

.PHONY: setup demo test unit test-install bench bench-small lint

setup:
	@missing="$$(command -v bwrap >/dev/null || echo bubblewrap) $$(test -x /usr/bin/chromium || echo chromium) $$(command -v shellcheck >/dev/null || echo shellcheck) $$(/usr/bin/python3 -c 'import ensurepip' 2>/dev/null || echo python3-venv)"; \
	if [ -n "$$(echo $$missing)" ]; then $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; fi
	@$(PYTHON) -m pip install -q -e '.[dev]' 2>&1 | grep -v -e '^WARNING' -e 'pip version' || true

demo: setup
	@# hostile_* examples attack the grading machine: only the sandbox tests run them
	@for d in reference student_template $$(ls -d tests/examples/*/ | grep -v /hostile_); do \
		grade "$$d" --out $(OUT) --reveal 2>&1 | grep -E -e 'points \(' -e '^grade: ' || true; \
	done
	@for d in assignments/http_server/reference assignments/http_server/template tests/examples_http/*/; do \
		grade "$$d" --assignment http_server --out $(OUT)/http_server --reveal 2>&1 | grep -E -e 'points \(' -e '^grade: ' || true; \
	done
	@echo "reports: $(OUT)/<name>/report.html and $(OUT)/http_server/<name>/report.html"

test: setup
	$(PYTHON) -m pytest -q

unit:  # the unit layer alone (no sandbox, no browser): seconds; needs `make setup` once
	$(PYTHON) -m pytest -q tests/unit

test-install: setup  # the wheel, in a venv of an ordinary user, graded as that user (root)
	GRADER_TEST_INSTALL=1 $(PYTHON) -m pytest -q tests/e2e/test_install.py

bench: setup  # the profile of one `grade`, then issue 22's targets, before and after (~20 min on 2 cores)
	$(PYTHON) -m bench

bench-small: setup  # what CI runs so the benchmark cannot rot (~1 min; timings printed, never asserted)
	$(PYTHON) -m bench --small --out bench/out/ci.json

SHELL_SCRIPTS := grader/platforms/gradescope/setup.sh grader/platforms/gradescope/run_autograder

lint:
	ruff check grader tests assignments reference bench
	mypy
	shellcheck --shell=bash $(SHELL_SCRIPTS)
