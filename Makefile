# `make demo` grades the bundled examples; `make test` runs the whole test suite.
# Both install what they need first (Debian: bubblewrap, and chromium for the report's
# browser test; Python: this package with its dev extra, Playwright included).
PYTHON ?= python3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
OUT ?= grades/examples

.PHONY: setup demo test lint

setup:
	@missing="$$(command -v bwrap >/dev/null || echo bubblewrap) $$(test -x /usr/bin/chromium || echo chromium)"; \
	if [ -n "$$(echo $$missing)" ]; then $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; fi
	@$(PYTHON) -m pip install -q -e '.[dev]' 2>&1 | grep -v -e '^WARNING' -e 'pip version' || true

demo: setup
	@for d in reference student_template tests/examples/*/; do \
		grade "$$d" --out $(OUT) --reveal 2>&1 | grep -E -e 'points \(' -e '^grade: ' || true; \
	done
	@echo "reports: $(OUT)/<name>/report.html"

test: setup
	$(PYTHON) -m pytest -q

lint:
	ruff check grader tests assignments reference bench
	mypy
