# venuebus — the two commands that matter:
#   make demo   set up everything and run the whole stack against the simulator
#   make test   set up everything and run the whole test suite
# Others: make build, make test-sanitize, make fuzz, make bench, make format, make format-check
BUILD      ?= build
BUILD_SAN  ?= build-sanitize
BUILD_FUZZ ?= build-fuzz
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 20
SOURCES = $(shell git ls-files '*.c' '*.h' '*.cpp' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')

.PHONY: all deps build demo test test-sanitize fuzz bench format format-check clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

test-sanitize: deps
	cmake -S . -B $(BUILD_SAN) -DCMAKE_BUILD_TYPE=Debug -DVB_SANITIZE=ON -DVB_BENCH=OFF
	cmake --build $(BUILD_SAN) -j $(JOBS)
	# The ccxt interop suite (label interop) runs in `make test`; under the sanitizers it would
	# only repeat the same sim code paths that the sim's own tests already cover there.
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    ctest --test-dir $(BUILD_SAN) --output-on-failure -j $(JOBS) -LE interop

fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B $(BUILD_FUZZ) -DCMAKE_BUILD_TYPE=Debug -DVB_FUZZ=ON -DVB_BENCH=OFF
	cmake --build $(BUILD_FUZZ) -j $(JOBS)
	scripts/fuzz.sh $(BUILD_FUZZ)/tests $(FUZZ_SECONDS)

bench: build
	scripts/bench.sh $(BUILD)/bench

demo: build
	scripts/demo.sh $(BUILD)

format:
	clang-format -i $(SOURCES)

format-check:
	clang-format --dry-run --Werror $(SOURCES)

clean:
	rm -rf $(BUILD) $(BUILD_SAN) $(BUILD_FUZZ)
