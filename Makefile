# riskattest — one command for the demo, one for the tests. Both install what is missing.
SHELL      := /bin/bash
SWIFT      ?= swift
CONFIG     ?= release
BIN         = .build/$(CONFIG)/riskattest
# Tests run optimised: the crypto tests (thousands of differential checks, aggregated proofs with
# m = 2048) are far too slow unoptimised. -enable-testing keeps @testable imports working.
TESTFLAGS   = -c release -Xswiftc -enable-testing

.PHONY: deps build test sweep demo bench clean

# System packages: libsodium and OpenSSL headers, pkg-config, and the openssl CLI (used by the
# signature interop tests). Installed only when absent, so a fresh Debian machine just works.
deps:
	@if ! command -v pkg-config >/dev/null 2>&1 || ! command -v openssl >/dev/null 2>&1 \
	    || ! pkg-config --exists libsodium libcrypto 2>/dev/null \
	    || [ ! -f /usr/include/sodium.h ] || [ ! -f /usr/include/openssl/evp.h ]; then \
	  echo "installing libsodium-dev libssl-dev pkg-config openssl"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    libsodium-dev libssl-dev pkg-config openssl; \
	fi

build: deps
	$(SWIFT) build -c $(CONFIG) --product riskattest

# XCTest runs serially, so every test case logs one "Test Case '…' passed|failed|skipped" line;
# the last line counts them.
test: deps
	$(SWIFT) build $(TESTFLAGS) --build-tests
	@set -o pipefail; $(SWIFT) test $(TESTFLAGS) --skip-build --disable-swift-testing 2>&1 | tee .build/test.log; \
	status=$$?; \
	p=$$(grep -cE "^Test Case '.*' passed" .build/test.log); \
	k=$$(grep -cE "^Test Case '.*' skipped" .build/test.log); \
	f=$$(grep -cE "^Test Case '.*' failed" .build/test.log); \
	echo "tests: $$p passed, $$k skipped, $$f failed"; \
	exit $$status

# The attestation soundness sweep at ten times the size `make test` runs (SPEC §14.3; issue 11):
# 400 random books through the differential atom test, 1,600 (book, circuit, parameter) cases
# against the engine's truth, 57 books through the forced-prover check (every family, a true and a false parameter each). Not part of CI.
sweep: deps
	$(SWIFT) build $(TESTFLAGS) --build-tests
	RISKATTEST_SWEEP_CASES=400 $(SWIFT) test $(TESTFLAGS) --skip-build --disable-swift-testing --filter SoundnessTests

demo: build
	$(BIN) demo

bench: build
	$(BIN) bench all

clean:
	rm -rf .build
