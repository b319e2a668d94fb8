#!/usr/bin/env bash
# Regenerates the committed seeds that pair with each other (run after a format change, e.g. a new
# attestation version, from the repository root; needs the release CLI: make build):
#   Fuzz/corpus/attestation/examples.ratt        an attestation of Examples/ under a throwaway key
#   Fuzz/corpus/openings/examples.openings.json  its openings (prove writes FILE.openings)
#   Fuzz/corpus/disclosure/examples.disclosure.json  a disclosure of four of its members
# The openings and disclosure targets load the attestation and openings as their fixed reference.
# The range-proof seeds are Vectors/bulletproofs-interop-sample.json in the target's binary layout
# (see Fuzz/rangeproof.swift); the PEM seeds are the RFC 8410 example key (v1, v2, public).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
B=${RISKATTEST:-.build/release/riskattest}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
"$B" keygen --out "$T/k" >/dev/null
"$B" prove --portfolio Examples/portfolio.json --market Examples/market.json --circuit Circuits/solvency.circuit \
  --key "$T/k.key" --created-at 2026-11-24T08:00:00Z --valid-for 7d --out "$T/examples.ratt" --quiet
"$B" disclose --attestation "$T/examples.ratt" --openings "$T/examples.ratt.openings" \
  --instrument BTCUSDT-PERP BTC-25DEC26-90000-P USDC mm:BTC-LINEAR --out "$T/examples.disclosure.json"
"$B" check-disclosure --attestation "$T/examples.ratt" --disclosure "$T/examples.disclosure.json" >/dev/null
mkdir -p Fuzz/corpus/attestation Fuzz/corpus/openings Fuzz/corpus/disclosure
install -m 644 "$T/examples.ratt" Fuzz/corpus/attestation/examples.ratt
install -m 644 "$T/examples.ratt.openings" Fuzz/corpus/openings/examples.openings.json
install -m 644 "$T/examples.disclosure.json" Fuzz/corpus/disclosure/examples.disclosure.json
echo "seeds regenerated; commit Fuzz/corpus/{attestation,openings,disclosure}"
