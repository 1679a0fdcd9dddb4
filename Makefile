# Thin wrapper over CMake. `make run` and `make test` do all set-up on a fresh Debian 12 machine.
BUILD_DIR ?= build
CONFIG ?= authd/authd.example.yaml
JOBS ?= $(shell nproc)

.PHONY: all deps build run test sanitize fuzz bench package screenshots clean

all: build

deps:
	@scripts/install-deps

$(BUILD_DIR)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@mkdir -p var
	$(BUILD_DIR)/bin/authd --config $(CONFIG) init
	exec $(BUILD_DIR)/bin/authd --config $(CONFIG)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

# ASan + UBSan build of everything, then the whole suite against it.
sanitize: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCERTLIB_SANITIZE=ON
	cmake --build build-asan -j $(JOBS)
	ctest --test-dir build-asan --output-on-failure -j $(JOBS)

# libFuzzer targets (clang); replays each seed corpus, then fuzzes for FUZZ_SECONDS each.
FUZZ_SECONDS ?= 60
fuzz: deps
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCERTLIB_FUZZ=ON -DCERTLIB_BUILD_AUTHD=OFF
	cmake --build build-fuzz -j $(JOBS)
	scripts/run-fuzzers build-fuzz $(FUZZ_SECONDS)

# authd as a Debian package (build-package/authd_*.deb): the unit, /etc/authd, logrotate, docs.
package: deps
	cmake -S . -B build-package -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DAUTHD_INSTALL_SERVICE=ON
	cmake --build build-package -j $(JOBS)
	cd build-package && cpack -G DEB

# The counter desk's pictures in docs/counter.md, taken by its browser test.
screenshots: build
	SCREENSHOT_DIR=$(CURDIR)/docs/images ctest --test-dir $(BUILD_DIR) --output-on-failure -R '^integration.authd_(counter_desk|counter_wallet|federation)$$'

bench: build
	bench/ident/run.sh $(BUILD_DIR)
	bench/verify/run.sh $(BUILD_DIR)
	bench/present/run.sh $(BUILD_DIR)
	bench/oid4vp/run.sh $(BUILD_DIR)
	bench/tlog/run.sh $(BUILD_DIR)
	bench/witness/run.sh $(BUILD_DIR)
	bench/witness/issuance.sh $(BUILD_DIR)
	bench/authd/run.sh $(BUILD_DIR)
	bench/authd/backends.sh $(BUILD_DIR)
	bench/postgres/collation.sh
	bench/pkcs11/issuance.sh $(BUILD_DIR)
	bench/store-cipher/lookups.sh $(BUILD_DIR)
	bench/federation/run.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR) build-asan build-fuzz build-package
