# Two commands on a fresh machine: `make demo` and `make test`.
# Both build .venv/ from pyproject.toml the first time (and again when it changes).

PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo test venv mosquitto bench fuzz clean

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

bench: $(STAMP)
	$(VENV)/bin/qrgate bench --json

# Long atheris runs, every target in turn (docs/fuzzing.md): make fuzz FUZZ_SECONDS=600
FUZZ_SECONDS ?= 600
fuzz: $(STAMP)
	$(VENV)/bin/pip install --quiet 'atheris>=2.3'
	bench/fuzz/long_run.sh $(FUZZ_SECONDS) .cache/fuzz

clean:
	rm -rf $(VENV) .pytest_cache .cache build *.egg-info controller/*.egg-info
