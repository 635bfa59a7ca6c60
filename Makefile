# csirtd - the two commands of the README, and the rest.
#   make run     install what is missing, build, start on embedded SQLite
#   make check   install what is missing, build, run every test (also under
#                ASan+UBSan)
#   make bench   benchmarks; print figures
#   make fuzz    longer libFuzzer runs of every parser (FUZZ_SECONDS each)

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
DATA       ?= var
LISTEN     ?= 127.0.0.1:8080
DEMO       ?= yes
FUZZ_SECONDS ?= 60
CHECK_FUZZ_SECONDS ?= 10
CMAKE_FLAGS ?=

.PHONY: all deps build build-asan run check check-fast bench fuzz format clean

all: build

deps:
	@sh scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DCS_WERROR=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD)

build-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
		-DCS_WERROR=ON -DCS_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(ASAN_BUILD)

# DEMO=no: start with an empty installation instead of the demo's
run: build
	@DEMO=$(DEMO) sh scripts/run.sh $(BUILD)/csirtd $(DATA) $(LISTEN)

# Every test: the normal build, then the same suites under ASan+UBSan.
check: build build-asan
	@cd $(BUILD) && ctest --output-on-failure
	@cd $(ASAN_BUILD) && ctest --output-on-failure -LE nosan
	@sh tests/fuzz/run.sh $(FUZZ_BUILD) $(CHECK_FUZZ_SECONDS)

check-fast: build
	@cd $(BUILD) && ctest --output-on-failure

bench: build
	@sh bench/run.sh $(BUILD)

fuzz: deps
	@sh tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
