# qimeng: two commands. `make demo` sets everything up and runs the main job; `make test` sets
# everything up and runs lint, type checks and the whole test suite. Both are idempotent: a second
# run skips finished set-up steps (stamps live in .venv/ and .stamps/).

SHELL := /bin/bash
PY := .venv/bin/python
PIP := .venv/bin/pip
APT_PACKAGES := iverilog verilator yosys gcc g++ binutils make gcc-aarch64-linux-gnu libc6-dev-arm64-cross \
	gcc-riscv64-linux-gnu libc6-dev-riscv64-cross qemu-user clang-19 bubblewrap ccache prometheus \
	util-linux tmux chromium chromium-driver
STAMPS := .stamps
APT_STAMP := $(STAMPS)/apt-$(shell echo $(APT_PACKAGES) | md5sum | cut -c1-8)
VENV_STAMP := .venv/.installed-$(shell cat pyproject.toml | md5sum | cut -c1-8)

.PHONY: setup demo test lint typecheck bench clean

setup: $(APT_STAMP) $(VENV_STAMP)

$(APT_STAMP):
	@mkdir -p $(STAMPS)
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing apt packages:" $$missing; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@touch $@

$(VENV_STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv .venv
	@$(PIP) install -q --upgrade pip setuptools wheel
	@$(PIP) install -q -e '.[dev]'
	@rm -f .venv/.installed-*; touch $@

demo: setup
	$(PY) -m ops.cli doctor
	$(PY) -m ops.cli demo

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

typecheck: setup
	.venv/bin/mypy


test: setup lint typecheck
	.venv/bin/pytest -q

# The speed figures, each a table with the machine and its baseline ratio (about 8 minutes here):
# sandbox overhead, the CPU kernel suite against NumPy/OpenBLAS and PyTorch, Ray dispatch overhead.
BENCHES := "bench sandbox" "eval kernels --target x86_64" "bench cluster --case session --rounds 2"

bench: setup
	@set -e; for b in $(BENCHES); do echo "== qimeng $$b"; $(PY) -m ops.cli $$b; done

clean:
	rm -rf .venv $(STAMPS) runs .mypy_cache .ruff_cache .pytest_cache
