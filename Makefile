# kiosk: `make run` starts the simulator, `make test` checks everything. `make help` lists all.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HEADLESS ?=
export PYTHONDONTWRITEBYTECODE := 1

.DEFAULT_GOAL := help

help: ## list every target
	@grep -E '^[a-z][a-z0-9-]*:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  make %-16s %s\n", $$1, $$2}'

debian-deps: ## install the Debian packages the kiosk and its tests need (as root)
	@missing=""; \
	command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || missing="$$missing mosquitto"; \
	command -v systemd-analyze >/dev/null || missing="$$missing systemd"; \
	command -v gcc >/dev/null || missing="$$missing gcc"; \
	$(PY) -c 'import ensurepip' 2>/dev/null || missing="$$missing python3-venv"; \
	$(PY) -c 'import sysconfig,os,sys; sys.exit(not os.path.exists(sysconfig.get_paths()["include"]+"/Python.h"))' \
	  || missing="$$missing python3-dev"; \
	[ -e /usr/include/linux/input.h ] || missing="$$missing linux-libc-dev"; \
	ldconfig -p | grep -q 'libusb-1.0.so.0 ' || missing="$$missing libusb-1.0-0"; \
	command -v mmdebstrap >/dev/null || missing="$$missing mmdebstrap"; \
	command -v qemu-system-x86_64 >/dev/null || missing="$$missing qemu-system-x86"; \
	command -v qemu-system-aarch64 >/dev/null || missing="$$missing qemu-system-arm"; \
	command -v qemu-aarch64-static >/dev/null || missing="$$missing qemu-user-static"; \
	command -v update-binfmts >/dev/null || missing="$$missing binfmt-support"; \
	command -v arch-test >/dev/null || missing="$$missing arch-test"; \
	command -v mkfs.vfat >/dev/null || missing="$$missing dosfstools"; \
	command -v mcopy >/dev/null || missing="$$missing mtools"; \
	command -v sfdisk >/dev/null || missing="$$missing fdisk"; \
	command -v debugfs >/dev/null || missing="$$missing e2fsprogs"; \
	command -v xz >/dev/null || missing="$$missing xz-utils"; \
	command -v bmaptool >/dev/null || missing="$$missing bmap-tools"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "run as root, or: sudo apt-get install$$missing" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

$(STAMP): pyproject.toml requirements.lock
	@$(MAKE) --no-print-directory debian-deps
	@[ -x $(BIN)/python ] || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -c requirements.lock -e '.[dev]'
	@touch $@

venv: $(STAMP) ## create .venv and install the kiosk with pinned dependencies

lock: ## re-pin requirements.lock from a fresh resolve (then review the diff)
	rm -rf /tmp/kiosk-lock && $(PY) -m venv /tmp/kiosk-lock
	/tmp/kiosk-lock/bin/pip install -q -e '.[dev]'
	/tmp/kiosk-lock/bin/pip freeze --exclude-editable | grep -vi '^kiosk' > requirements.lock

lint: $(STAMP) ## ruff: style, imports, and the pure-core import ban
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP) ## mypy --strict over every package
	$(BIN)/mypy

test: debian-deps lint typecheck ## lint, type-check, the test suite and the image boot test (what CI runs)
	$(BIN)/python -m pytest -q
	@$(MAKE) --no-print-directory image-test

test-slow: $(STAMP) ## the long fault-injection suites (power cuts, broker chaos, arm64 image boot)
	$(BIN)/python -m pytest -q -m slow
	@$(MAKE) --no-print-directory image-test-arm64

image: ## the Pi 4 SD card: image-build/out/arm64/kiosk-<version>-rpi-arm64.img.xz (root; ~30 min)
	@$(MAKE) --no-print-directory debian-deps
	$(PY) image-build/build.py --arch arm64 --xz

image-test: $(STAMP) ## build the amd64 twin image, boot it in qemu: READY, ro root, a sale (root)
	$(PY) image-build/build.py --arch amd64
	KIOSK_IMAGE_TEST=amd64 $(BIN)/python -m pytest -q tests/image/test_boot_amd64.py

image-test-arm64: $(STAMP) ## build the arm64 image and boot its root under qemu -M virt (root; slow)
	$(PY) image-build/build.py --arch arm64
	KIOSK_IMAGE_TEST=arm64 $(BIN)/python -m pytest -q tests/image/test_boot_arm64.py

test-hw: $(STAMP) ## on a Raspberry Pi with the kiosk wired up: real GPIO, scanner, printer
	KIOSK_HW=1 $(BIN)/python -m pytest -q -m hw

run: $(STAMP) ## the kiosk with simulated hardware and a demo catalog (HEADLESS=1: no window)
	$(BIN)/kiosk run --sim $(if $(HEADLESS),--headless)

scenarios: $(STAMP) ## run every scenario in tests/scenarios
	@for f in tests/scenarios/*.scenario; do $(BIN)/kiosk scenario "$$f" || exit 1; done

bench: $(STAMP) ## run bench/ and write docs/benchmarks.md
	$(BIN)/python -m bench.run

DEMO_SCANS := 5900012345074 5900012345074 5900012346750 5900012346750 5900012346750 \
  5900012348013 2100001003494
i18n: $(STAMP) ## extract the UI's words into ui/locale/*/kiosk.po and compile the .mo files
	$(BIN)/python -m ui.i18n_build

screens: $(STAMP) ## render docs/screens: every screen, plus the running simulator mid-sale
	$(BIN)/python -m ui.shots docs/screens
	tmp=$$(mktemp -d) && $(BIN)/kiosk run --sim --headless --data-dir $$tmp --run-for 2 \
	  $(foreach c,$(DEMO_SCANS),--scan $(c)) --screenshot docs/screens/running-sim-800x480.png; \
	  rc=$$?; rm -rf $$tmp; exit $$rc

golden: $(STAMP) ## draw tests/ui/golden again (every screen, language, size); look, then commit
	$(BIN)/python -m ui.golden update

.PHONY: golden

clean: ## remove the venv, caches and the simulator's store
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis *.egg-info

.PHONY: help debian-deps venv lock lint typecheck test test-slow test-hw run scenarios bench i18n screens clean \
  image image-test image-test-arm64
