# Two commands on a fresh machine: `make demo` and `make test`.
# Both build .venv/ from pyproject.toml the first time (and again when it changes).

PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo test venv mosquitto bench clean ha-check

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test,sim]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/qrgate sim

# Tests start their own Mosquitto on a free loopback port; install it when it is missing and we can.
mosquitto:
	@if ! command -v mosquitto >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing mosquitto (the tests run a real broker)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null; \
		else \
			echo "mosquitto is not installed and cannot be installed here: the broker tests will fail (apt-get install mosquitto)"; \
		fi; \
	fi

test: $(STAMP) mosquitto
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

clean:
	rm -rf $(VENV) .pytest_cache .cache build *.egg-info controller/*.egg-info
