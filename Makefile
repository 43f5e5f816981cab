# Two commands on a fresh machine: `make demo` and `make test`.
# Both build .venv/ from pyproject.toml the first time (and again when it changes).

PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo test venv mosquitto chromium postgresql bench fuzz clean ha-check

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test,sim]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/qrgate sim

# Install a Debian package the tests need when it is missing and we can:
# $(1) the package, $(2) a shell test that it is there, $(3) what the tests do with it.
define apt_need
	@if ! { $(2); }; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing $(1) (the tests $(3))"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null; \
		else \
			echo "$(1) is not installed and cannot be installed here: the tests that $(3) will fail (apt-get install $(1))"; \
		fi; \
	fi
endef

# Tests start their own Mosquitto on a free loopback port.
mosquitto:
	$(call apt_need,mosquitto,command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ],run a real broker)

# The web pages are tested in Debian's chromium, driven by Playwright.
chromium:
	$(call apt_need,chromium,[ -x /usr/bin/chromium ],open the web pages in a real browser)

# The site server's tests use the machine's PostgreSQL at 127.0.0.1:5432 (trust auth for local
# TCP, as Debian's default pg_hba.conf has it); each test session makes and drops its own database.
postgresql:
	$(call apt_need,postgresql,command -v pg_lsclusters >/dev/null 2>&1 && [ -n "$$(ls /etc/postgresql 2>/dev/null)" ],store the site server's events in a real PostgreSQL)
	@if command -v pg_lsclusters >/dev/null 2>&1 && [ -n "$$(ls /etc/postgresql 2>/dev/null)" ]; then \
		v=$$(ls /etc/postgresql | sort -n | tail -1); \
		pg_lsclusters -h | grep -q "^$$v main .* online" || pg_ctlcluster --skip-systemctl-redirect $$v main start || \
			echo "PostgreSQL $$v did not start: the site server's tests will fail"; \
	fi

test: $(STAMP) mosquitto chromium postgresql
	$(VENV)/bin/pytest

# A real Home Assistant (the last release for Python 3.11) checks what the gates announce; not part of
# `make test`. Installed into .cache/ under HA's own package_constraints.txt: a plain install resolves
# to dependencies too new for it.
HA_VERSION := 2024.3.3
HA_VENV := .cache/ha-venv
HA_WHEEL := .cache/ha-wheel/homeassistant-$(HA_VERSION)-py3-none-any.whl

$(HA_VENV)/.installed: tests/homeassistant/requirements.txt
	$(PYTHON) -m venv $(HA_VENV)
	$(HA_VENV)/bin/pip install --quiet --upgrade pip
	$(HA_VENV)/bin/pip download --quiet --no-deps -d .cache/ha-wheel homeassistant==$(HA_VERSION)
	$(PYTHON) -c "import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read('homeassistant/package_constraints.txt').decode())" $(HA_WHEEL) > .cache/ha-constraints.txt
	$(HA_VENV)/bin/pip install --quiet -c .cache/ha-constraints.txt $(HA_WHEEL) -r tests/homeassistant/requirements.txt
	touch $@

ha-check: $(STAMP) mosquitto $(HA_VENV)/.installed
	$(VENV)/bin/python tests/homeassistant/ha_check.py

bench: $(STAMP)
	$(VENV)/bin/qrgate bench --json

# Long atheris runs, every target in turn (docs/fuzzing.md): make fuzz FUZZ_SECONDS=600
FUZZ_SECONDS ?= 600
fuzz: $(STAMP)
	$(VENV)/bin/pip install --quiet 'atheris>=2.3'
	bench/fuzz/long_run.sh $(FUZZ_SECONDS) .cache/fuzz

clean:
	rm -rf $(VENV) .pytest_cache .cache build *.egg-info controller/*.egg-info
