# Pingan — convenience targets around CMake/CTest.
#
#   make            build build/pingan (RelWithDebInfo)
#   make run        install missing Debian packages, build, create ./var with
#                   the demo district (first time), serve on 127.0.0.1:8080
#   make test       the whole suite: unit + API tests, then again under
#                   AddressSanitizer + UndefinedBehaviorSanitizer, then the web
#                   unit tests (Vitest) and browser tests (Playwright + Chromium)
#   make test-fast  unit + API tests once, no sanitizers
#   make test-pg    the API tests again on PostgreSQL: a throwaway cluster
#                   (scripts/pg-test-cluster.sh: UTF-8, non-root, free port,
#                   temp dir) that is removed afterwards (docs/postgresql.md)
#   make fuzz       build the libFuzzer targets and run each for FUZZ_SECONDS
#   make bench      the benchmark table (see docs/performance.md)

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
DATA       ?= var
LISTEN     ?= 127.0.0.1:8080
FUZZ_SECONDS ?= 60
CMAKE_FLAGS ?=

.PHONY: all deps web run test test-fast test-pg test-asan test-web fuzz bench clean

all: $(BUILD)/pingan

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

$(BUILD)/pingan: $(BUILD)/Makefile FORCE
	cmake --build $(BUILD) -j $(JOBS)

FORCE:

deps:
	scripts/install-deps.sh

# The web application (portal + console): npm ci when the lock file changed,
# then vite build into web/dist, which `pingan serve` serves.
web/node_modules/.stamp: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

web: web/node_modules/.stamp
	cd web && npm run build

run: deps all web
	@if [ ! -f $(DATA)/pingan.db ]; then $(BUILD)/pingan init --data $(DATA) --demo; fi
	$(BUILD)/pingan serve --data $(DATA) --listen $(LISTEN)

test-fast: all
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DPINGAN_SANITIZE=ON -DPINGAN_WERROR=ON $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

test-web: all web
	cd web && npm run test:unit
	cd web && PINGAN_BIN=$(abspath $(BUILD)/pingan) PINGAN_SOURCE_DIR=$(CURDIR) npm run test:e2e

test: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPINGAN_WERROR=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(MAKE) test-pg
	$(MAKE) test-asan
	$(MAKE) test-web

test-pg: all
	@tmp=$$(mktemp -d /tmp/pingan-pg.XXXXXX) && chmod 711 $$tmp && \
	url=$$(scripts/pg-test-cluster.sh start $$tmp/cluster) || exit 1; \
	echo "PostgreSQL test cluster: $$url"; \
	(cd $(BUILD) && PINGAN_TEST_DB=$$url PINGAN_PG_CLUSTER=$$tmp/cluster \
	  ctest --output-on-failure -j $(JOBS) -R '^api\.'); rc=$$?; \
	scripts/pg-test-cluster.sh stop $$tmp/cluster; rmdir $$tmp; exit $$rc

fuzz:
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DPINGAN_FUZZ=ON -DPINGAN_SANITIZE=ON
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	scripts/run-fuzzers.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench: all
	bench/run.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
