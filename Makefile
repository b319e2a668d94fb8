# riskattest — one command for the demo, one for the tests. Both install what is missing.
SHELL      := /bin/bash
SWIFT      ?= swift
CONFIG     ?= release
BIN         = .build/$(CONFIG)/riskattest
# Tests run optimised: the crypto tests (thousands of differential checks, aggregated proofs with
# m = 2048) are far too slow unoptimised. -enable-testing keeps @testable imports working.
TESTFLAGS   = -c release -Xswiftc -enable-testing

.PHONY: deps build test sweep demo bench bench-service clean fuzz fuzz-ci conformance

# System packages: libsodium and OpenSSL headers, pkg-config, and the openssl CLI (used by the
# signature interop tests). Installed only when absent, so a fresh Debian machine just works.
deps:
	@if ! command -v pkg-config >/dev/null 2>&1 || ! command -v openssl >/dev/null 2>&1 \
	    || ! command -v curl >/dev/null 2>&1 \
	    || ! pkg-config --exists libsodium libcrypto 2>/dev/null \
	    || [ ! -f /usr/include/sodium.h ] || [ ! -f /usr/include/openssl/evp.h ]; then \
	  echo "installing libsodium-dev libssl-dev pkg-config openssl curl"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    libsodium-dev libssl-dev pkg-config openssl curl; \
	fi

build: deps
	$(SWIFT) build -c $(CONFIG) --product riskattest

# XCTest runs serially, so every test case logs one "Test Case '…' passed|failed|skipped" line;
# the last line counts them. Then every fuzz target runs for a few seconds (`fuzz-ci`, below), so a
# decoder that crashes on a known-shaped input fails the run too; the count line stays last.
# The verification service's tests run against SQLite and a real PostgreSQL server, which
# .ci/postgres.sh installs (Debian's postgresql) and starts when absent; then the running service
# is checked against its OpenAPI document (`conformance`, schemathesis from PyPI).
test: deps
	$(SWIFT) build $(TESTFLAGS) --build-tests
	@set -o pipefail; pg=$$(.ci/postgres.sh) || { echo "could not start PostgreSQL for the service tests"; exit 1; }; \
	export RISKATTEST_TEST_POSTGRES_URL=$$pg; \
	$(SWIFT) test $(TESTFLAGS) --skip-build --disable-swift-testing 2>&1 | tee .build/test.log; \
	status=$$?; \
	./Tests/conformance/run.sh $(BIN) || status=1; \
	$(MAKE) --no-print-directory fuzz-ci || status=1; \
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

# OpenAPI conformance of `riskattest serve` (Tests/conformance/run.sh): validates
# OpenAPI/riskattest.yaml, starts the service on a free loopback port, seeds it with a real
# attestation and runs schemathesis (pinned, in .build/conformance-venv) with every check against
# the document. Not part of `make test` yet.
conformance: build
	./Tests/conformance/run.sh $(BIN)

demo: build
	$(BIN) demo

bench: build
	$(BIN) bench all

# The verification service under load (Bench/service/load.py, BENCHMARKS.md "Verification service:
# load"): seeds 1,000 attestations from 50 members once (proved with service nonces, kept in
# .build/bench-service for 23 h), then drives `riskattest serve` over loopback with 8 requests in
# flight — SQLite with one `--role all` process, PostgreSQL with one api and one or two worker
# processes, two rounds each — and times the 256-instrument attestation in the warm service
# against a one-shot `riskattest verify`. Results in .build/bench-service/results.json. About
# 25 minutes with a fresh seed on 2 cores. Not part of CI. BENCH_SERVICE_FLAGS passes options
# (e.g. --rounds 3, --configs pg-2w, --reseed; see load.py --help).
bench-service: build
	@pg=$$(.ci/postgres.sh) || { echo "could not start PostgreSQL for the service benchmark"; exit 1; }; \
	python3 Bench/service/load.py all --bin $(BIN) --postgres "$$pg" $(BENCH_SERVICE_FLAGS)

# Coverage-guided fuzzing (libFuzzer + AddressSanitizer, see Fuzz/run.sh and README "Fuzzing"): every
# decoder and parser, FUZZ_SECONDS each. fuzz-ci is the short run for CI (about a minute of fuzzing
# in all, after a cold build of the instrumented modules); both fail when any target finds a crash,
# an oracle failure, a leak or a hang. Findings are saved under .build-fuzz/artifacts/.
FUZZ_SECONDS    ?= 60
FUZZ_CI_SECONDS ?= 7

fuzz: deps
	@./Fuzz/run.sh build
	@fail=0; for t in $$(./Fuzz/run.sh list); do ./Fuzz/run.sh $$t $(FUZZ_SECONDS) || fail=1; done; exit $$fail

fuzz-ci: deps
	@start=$$(date +%s); ./Fuzz/run.sh build; \
	fail=0; for t in $$(./Fuzz/run.sh list); do ./Fuzz/run.sh $$t $(FUZZ_CI_SECONDS) || fail=1; done; \
	echo "fuzz-ci: $$(( $$(date +%s) - start )) s wall including the build; $$([ $$fail = 0 ] && echo 'no findings' || echo FAILED)"; \
	exit $$fail

clean:
	rm -rf .build .build-fuzz
