#!/usr/bin/env bash
# Fuzz/run.sh TARGET SECONDS [libFuzzer options...]   fuzz one target for SECONDS seconds
# Fuzz/run.sh build [TARGET...]                        only build (all targets by default)
# Fuzz/run.sh list                                     print the target names
#
# Builds the library modules once with SwiftPM instrumented for libFuzzer and AddressSanitizer
# (scratch path .build-fuzz, ignored by git), links Fuzz/TARGET.swift + Fuzz/Support.swift against
# them, assembles seeds from Examples/, Vectors/, Circuits/ and Fuzz/corpus/TARGET, and runs
# libFuzzer. New inputs go to .build-fuzz/corpus/TARGET (kept between runs), crashes to
# .build-fuzz/artifacts/. Exit status: 0 no finding, non-zero on a crash, oracle failure, leak or
# timeout (a hang of more than FUZZ_TIMEOUT seconds on one input, default 10). Reproduce a crash with
#   Fuzz/run.sh TARGET 0 .build-fuzz/artifacts/TARGET-crash-…
# A one-line summary per run (cov, ft, exec/s) is appended to .build-fuzz/summary.txt.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SCRATCH=.build-fuzz
OUT=$SCRATCH/fuzz
TARGETS=(attestation verify market portfolio circuit pem openings disclosure rangeproof)
# The library modules the targets link; Verifier pulls in every module it depends on.
BUILD_TARGET=Verifier

export SWIFT_BACKTRACE=enable=no       # a trap must end the process, not wait for the backtracer
export RISKATTEST_ROOT="$ROOT"         # where the targets find their fixed public inputs

if ! command -v swiftc >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swiftc ]; then
  export PATH=/opt/swift/usr/bin:$PATH
fi

usage() { sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//' >&2; echo "targets: ${TARGETS[*]}" >&2; exit 2; }

known() { local t; for t in "${TARGETS[@]}"; do [ "$t" = "$1" ] && return 0; done; return 1; }

build_modules() {
  # Incremental: a no-op when nothing changed.
  # One -sanitize= flag: with two (as `--sanitize fuzzer --sanitize address` passes them) the last
  # one wins and the modules get no coverage instrumentation.
  mkdir -p "$SCRATCH"
  if ! swift build -c release --scratch-path "$SCRATCH" -Xswiftc -sanitize=fuzzer,address \
       --target "$BUILD_TARGET" >"$SCRATCH/build.log" 2>&1; then
    tail -40 "$SCRATCH/build.log" >&2; echo "fuzz: module build failed (log $SCRATCH/build.log)" >&2; exit 1
  fi
  tail -1 "$SCRATCH/build.log"
}

# Object files of the built library modules (test, tool and executable targets excluded): for each
# module built, the objects SwiftPM's output file map gives for its current sources. (Globbing *.o
# would also pick up the stale object of a source file since renamed or deleted.)
module_objects() {
  local d
  for d in "$SCRATCH"/release/*.build; do
    case "$(basename "$d")" in
      *Tests.build|riskattest*.build|ArgumentParser*|generate_*) continue ;;
    esac
    [ -f "$d/sources" ] && [ -f "$d/output-file-map.json" ] || continue
    awk 'FNR == NR { want["\"" $0 "\""] = 1; next }
         /^  "/ { k = $0; sub(/^  /, "", k); sub(/: \{$/, "", k); on = (k in want) }
         on && /"object":/ { sub(/^.*"object": "/, ""); sub(/",?$/, ""); print; on = 0 }' \
      "$d/sources" "$d/output-file-map.json"
  done
}

link_target() {
  local t=$1 bin=$OUT/$1
  mkdir -p "$OUT"
  local objs; objs=$(module_objects)
  [ -n "$objs" ] || { echo "fuzz: no module objects found under $SCRATCH/release (SwiftPM layout changed?)" >&2; exit 1; }
  # Relink when the target source, Support.swift or any module object is newer than the binary.
  if [ -x "$bin" ] && [ -z "$(find Fuzz/"$t".swift Fuzz/Support.swift $objs -newer "$bin" 2>/dev/null | head -1)" ]; then
    return 0
  fi
  local inc=(-I "$SCRATCH/release/Modules")
  local m; for m in Sources/*/module.modulemap; do inc+=(-I "$(dirname "$m")"); done
  echo "fuzz: linking $bin"
  # shellcheck disable=SC2086
  swiftc -O -swift-version 6 -parse-as-library -sanitize=fuzzer,address "${inc[@]}" \
    Fuzz/Support.swift Fuzz/"$t".swift $objs $(pkg-config --libs libsodium libcrypto) \
    -module-name Fuzz_"$t" -o "$bin" 2> >(grep -v "Cannot export local symbol '__asan" >&2)
}

# Seeds: copies of the repository's own inputs (nothing generated is committed), plus the few
# committed seeds under Fuzz/corpus/TARGET.
seed_target() {
  local t=$1 dir=$SCRATCH/seeds/$1
  rm -rf "$dir"; mkdir -p "$dir"
  local f files=()
  case "$t" in
    attestation|verify) files=(Vectors/attestations/*.ratt) ;;
    market)      files=(Examples/market.json Vectors/attestations/inputs/market*.json) ;;
    portfolio)   files=(Examples/portfolio.json Vectors/attestations/inputs/portfolio.json) ;;
    circuit)     files=(Circuits/*.circuit Vectors/attestations/inputs/*.circuit) ;;
    pem)         files=(Vectors/attestations/prover.pub) ;;
  esac
  # Named after their path, so that equal file names cannot clash.
  for f in "${files[@]}"; do cp "$f" "$dir/$(tr / _ <<<"$f")"; done
  if [ -d Fuzz/corpus/"$t" ]; then cp Fuzz/corpus/"$t"/* "$dir"/; fi
  [ -n "$(ls -A "$dir")" ] || { echo "fuzz: no seeds for $t" >&2; exit 1; }
}

dict_for() {
  case "$1" in
    market|portfolio|openings|disclosure) echo "-dict=Fuzz/json.dict" ;;
    circuit) echo "-dict=Fuzz/circuit.dict" ;;
    pem) echo "-dict=Fuzz/pem.dict" ;;
  esac
}

run_target() {
  local t=$1 secs=$2; shift 2
  local bin=$OUT/$t corpus=$SCRATCH/corpus/$t log=$SCRATCH/logs/$t.log
  mkdir -p "$corpus" "$SCRATCH/artifacts" "$SCRATCH/logs"
  if [ $# -gt 0 ] && [ -f "$1" ]; then
    # Reproduce: run the given input file(s) once.
    "$bin" "$@"
    return
  fi
  seed_target "$t"
  local status=0
  # shellcheck disable=SC2046
  "$bin" $(dict_for "$t") -max_total_time="$secs" -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$SCRATCH/artifacts/$t-" "$@" \
    "$corpus" "$SCRATCH/seeds/$t" >"$log" 2>&1 || status=$?
  # Summary from libFuzzer's last status line and final stats.
  local last runs eps
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  local cov ft corp
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last"); ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$last")
  local line
  line=$(printf '%-12s %4ss  runs %-9s exec/s %-6s cov %-5s ft %-6s corpus %s  %s' "$t" "$secs" "${runs:-?}" \
         "${eps:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$([ $status = 0 ] && echo ok || echo "FAILED ($status)")")
  echo "$line"; echo "$(date -u +%FT%TZ) $line" >> "$SCRATCH/summary.txt"
  if [ $status != 0 ]; then
    echo "fuzz: $t failed; log $log, last lines:" >&2
    tail -40 "$log" >&2
    ls "$SCRATCH"/artifacts/"$t"-* 2>/dev/null >&2 || true
  fi
  return $status
}

[ $# -ge 1 ] || usage
case "$1" in
  list) printf '%s\n' "${TARGETS[@]}"; exit 0 ;;
  build)
    shift; [ $# -gt 0 ] || set -- "${TARGETS[@]}"
    for t in "$@"; do known "$t" || usage; done
    build_modules
    for t in "$@"; do link_target "$t"; done ;;
  *)
    [ $# -ge 2 ] || usage
    known "$1" || usage
    t=$1 secs=$2; shift 2
    [[ "$secs" =~ ^[0-9]+$ ]] || usage
    build_modules
    link_target "$t"
    run_target "$t" "$secs" "$@" ;;
esac
