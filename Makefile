# reel — top-level commands. `make demo` renders the main job; `make test` runs
# every test. Both set the machine up first (scripts/setup is idempotent).
BUILD ?= build
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all setup configure build test unit-test test-scale fuzz demo bench format check-format clean

all: build

setup:
	@scripts/setup

configure: setup
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

unit-test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900 -LE 'gpu|scale'

# Full-size checkpoint runs (label scale: ~11 GB RAM, ~9 min on 2 cores), kept out of
# `make test` so it stays well inside CI's time; run before touching the weight loaders.
test-scale: build
	cd $(BUILD) && ctest --output-on-failure --timeout 900 -L scale

# Bounded libFuzzer runs (clang, ASan+UBSan) of every fuzz target.
fuzz: setup
	@scripts/fuzz $(FUZZ_BUILD) $(FUZZ_SECONDS)

# Fuzzing first, so the run closes with CTest's summary.
test: setup
	@$(MAKE) --no-print-directory check-format
	@$(MAKE) --no-print-directory fuzz
	@$(MAKE) --no-print-directory unit-test

# Only what the demo runs (the `reel` binary), not the tests: a newcomer's first video
# comes after ~half the compile of `make build`.
demo: configure
	@cmake --build $(BUILD) --target reel -j $(JOBS)
	@scripts/demo $(BUILD)

bench: build
	@scripts/bench $(BUILD)

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.hpp')

# Every C++ file must match .clang-format (run `make format` to fix).
check-format:
	@clang-format --dry-run -Werror $$(git ls-files '*.cpp' '*.hpp') && echo "format: ok"

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD)
