#!/usr/bin/env bash
# OpenAPI conformance of `riskattest serve` (OpenAPI/riskattest.yaml).
#
#   Tests/conformance/run.sh [PATH-TO-riskattest]      (default .build/release/riskattest)
#
# Builds nothing. Validates the document (openapi-spec-validator), starts the service on a free
# loopback port with a fresh SQLite database, seeds it so that the positive paths exist (a market
# snapshot restamped to one minute ago, the solvency circuit, a member with two keys of which one
# is revoked, a challenge, and a real attestation proved with that nonce and verified by the
# service), then runs schemathesis against the document with every check, a bounded number of
# examples and a fixed seed, after targeted probes of what schemathesis does not reach (probe.py:
# size limits, undeclared methods, intake refusals). Exits non-zero when the document is invalid,
# seeding or a probe fails, schemathesis reports any failure, or the server does not stop cleanly on
# SIGTERM at the end; the server is stopped in every case.
#
# Environment: CONFORMANCE_MAX_EXAMPLES (default 20), CONFORMANCE_SEED (default 20261124),
# CONFORMANCE_WORKERS (default 2), CONFORMANCE_KEEP=1 keeps the scratch directory, CONFORMANCE_ARGS
# adds schemathesis options (e.g. "--report har --report-dir /tmp/st" to see every exchange).
# schemathesis is installed (pinned) into .build/conformance-venv when that venv lacks it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${1:-$ROOT/.build/release/riskattest}
SPEC=$ROOT/OpenAPI/riskattest.yaml
SCHEMATHESIS_VERSION=4.32.5          # works with Python 3.11 (needs >= 3.10)
SPEC_VALIDATOR_VERSION=0.9.0
MAX_EXAMPLES=${CONFORMANCE_MAX_EXAMPLES:-20}
SEED=${CONFORMANCE_SEED:-20261124}
WORKERS=${CONFORMANCE_WORKERS:-2}
START=$(date +%s)

say() { echo "conformance: $*" >&2; }
die() { say "FAILED: $*"; exit 1; }

[ -x "$BIN" ] || die "$BIN is not an executable (build it first: make build)"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
command -v python3 >/dev/null || die "python3 is required"
command -v curl >/dev/null || die "curl is required"

# --- tools: a private venv, so the machine's own Python packages are neither needed nor touched.
VENV=$ROOT/.build/conformance-venv
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "version $SCHEMATHESIS_VERSION\$" \
   || ! "$VENV/bin/python" -c "import openapi_spec_validator" 2>/dev/null; then
    say "installing schemathesis $SCHEMATHESIS_VERSION and openapi-spec-validator $SPEC_VALIDATOR_VERSION into $VENV"
    python3 -m venv "$VENV" || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check \
        "schemathesis==$SCHEMATHESIS_VERSION" "openapi-spec-validator==$SPEC_VALIDATOR_VERSION"
fi
PY=$VENV/bin/python

# --- the document itself.
"$VENV/bin/openapi-spec-validator" "$SPEC" >&2 || die "the OpenAPI document is invalid"

# --- scratch directory and server; both cleaned up on every exit path.
TMP=$(mktemp -d "${TMPDIR:-/tmp}/riskattest-conformance.XXXXXX")
SERVER_PID=
cleanup() {
    local status=$?
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [ "$status" != 0 ] && [ -f "$TMP/server.log" ]; then
        say "last lines of the server log:"; tail -n 20 "$TMP/server.log" >&2
    fi
    if [ "${CONFORMANCE_KEEP:-0}" = 1 ]; then say "kept $TMP"; else rm -rf "$TMP"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# Graceful stop: SIGTERM, then at most 10 s for the in-flight work to finish and the process to
# exit 0 (as `riskattest serve` promises); returns non-zero otherwise (and kills it).
stop_server() {
    local status=0
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        status=124
    fi
    wait "$SERVER_PID" 2>/dev/null || { [ "$status" != 0 ] || status=$?; }
    SERVER_PID=
    return "$status"
}

PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TOKEN=conformance-$("$PY" -c 'import secrets; print(secrets.token_hex(16))')
URL=http://127.0.0.1:$PORT
export RISKATTEST_ADMIN_TOKEN=$TOKEN
"$BIN" serve --host 127.0.0.1 --port "$PORT" --database "sqlite:$TMP/c.db" >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
unset RISKATTEST_ADMIN_TOKEN
for i in $(seq 100); do
    curl -fsS "$URL/readyz" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited at start"
    [ "$i" = 100 ] && die "the server is not ready after 20 s"
    sleep 0.2
done
say "server ready on $URL (pid $SERVER_PID)"

# --- seeding. `api METHOD PATH EXPECTED-STATUS [curl args]` prints the body, fails on another status.
api() {
    local method=$1 path=$2 want=$3; shift 3
    local code
    code=$(curl -sS -o "$TMP/body" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $TOKEN" "$@" "$URL$path") \
        || die "$method $path: request failed"
    [ "$code" = "$want" ] || die "$method $path: expected $want, got $code: $(head -c 400 "$TMP/body")"
    cat "$TMP/body"
}
# `field KEY...` prints one value of the JSON on stdin (list indices as numbers).
field() { "$PY" -c $'import json, sys\nv = json.load(sys.stdin)\nfor k in sys.argv[1:]: v = v[int(k)] if isinstance(v, list) else v[k]\nprint(v)' "$@"; }
# `json_body K V...` prints {"K": "V", ...}.
json_body() { "$PY" -c 'import json, sys; print(json.dumps(dict(zip(sys.argv[1::2], sys.argv[2::2]))))' "$@"; }

# The example snapshot with every ISO timestamp shifted by one offset, so that as_of is one minute
# ago (the service's policy refuses snapshots older than an hour at proving time); the relations
# between the times (price ages, expiries) are unchanged.
"$PY" - "$ROOT/Examples/market.json" "$TMP/market.json" <<'EOF'
import datetime as dt, json, re, sys
text = open(sys.argv[1], encoding="utf-8").read()
fmt = "%Y-%m-%dT%H:%M:%SZ"
parse = lambda s: dt.datetime.strptime(s, fmt).replace(tzinfo=dt.timezone.utc)
now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
shift = now - dt.timedelta(seconds=60) - parse(json.loads(text)["as_of"])
out = re.sub(r'"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"', lambda m: '"%s"' % (parse(m.group(1)) + shift).strftime(fmt), text)
open(sys.argv[2], "w", encoding="utf-8").write(out)
EOF

SNAPSHOT=$(api POST /v1/snapshots 201 -H 'Content-Type: application/json' --data-binary "@$TMP/market.json" | field sha256)
CIRCUIT=$(api POST /v1/circuits 201 -H 'Content-Type: text/plain' --data-binary "@$ROOT/Circuits/solvency.circuit" | field hash)
"$BIN" keygen --out "$TMP/member" >/dev/null
"$BIN" keygen --out "$TMP/old" >/dev/null
api POST /v1/members 201 -H 'Content-Type: application/json' \
    --data-binary "$("$PY" -c 'import json, sys; print(json.dumps({"name": "Conformance Clearing Member", "public_keys": [open(sys.argv[1]).read()]}))' "$TMP/member.pub")" \
    >"$TMP/member.json"
MEMBER=$(field id <"$TMP/member.json")
MEMBER_KEY=$(field keys 0 key <"$TMP/member.json")
# A second key, revoked at once (keys are listed by time added, then by key: find it by value).
OLD_KEY=$(api POST "/v1/members/$MEMBER/keys" 201 -H 'Content-Type: application/json' \
    --data-binary "$(json_body public_key "$(cat "$TMP/old.pub")")" \
    | "$PY" -c 'import json, sys; print(*[k["key"] for k in json.load(sys.stdin)["keys"] if k["key"] != sys.argv[1]])' "$MEMBER_KEY")
api DELETE "/v1/members/$MEMBER/keys/$OLD_KEY" 200 >/dev/null
NONCE=$(api POST /v1/challenges 201 -H 'Content-Type: application/json' --data-binary "$(json_body member "$MEMBER")" | field nonce)
"$BIN" prove --portfolio "$ROOT/Examples/portfolio.json" --market "$TMP/market.json" \
    --circuit "$ROOT/Circuits/solvency.circuit" --key "$TMP/member.key" --nonce "$NONCE" \
    --valid-for 1h --out "$TMP/solvency.att" --quiet >/dev/null || die "prove failed"
ATTESTATION=$(api POST /v1/attestations 202 -H 'Content-Type: application/octet-stream' --data-binary "@$TMP/solvency.att" | field id)
for i in $(seq 120); do
    STATUS=$(api GET "/v1/attestations/$ATTESTATION" 200 | field status)
    case $STATUS in valid) break ;; invalid) die "the seeded attestation verified invalid: $(cat "$TMP/body")" ;; esac
    [ "$i" = 120 ] && die "the seeded attestation is still $STATUS after 60 s"
    sleep 0.5
done
say "seeded: snapshot ${SNAPSHOT:0:12}…, circuit ${CIRCUIT:0:12}…, member $MEMBER, attestation ${ATTESTATION:0:12}… (valid)"

# --- probes of what schemathesis does not reach by itself (size limits, undeclared methods,
# intake refusals that need real attestations), each checked against the document too.
say "probes (Tests/conformance/probe.py)"
RA_URL=$URL RA_TOKEN=$TOKEN RA_SPEC=$SPEC RA_BIN=$BIN RA_ROOT=$ROOT RA_TMP=$TMP RA_MEMBER=$MEMBER \
    RA_NONCE=$NONCE RA_ATTESTATION=$TMP/solvency.att "$PY" "$ROOT/Tests/conformance/probe.py" && PROBES=0 || PROBES=$?

# --- schemathesis. Known ids are offered through dictionaries (drawn for 60 % of the cases of
# the operations that take them), so the positive paths are reached as well as the 404s.
cat >"$TMP/schemathesis.toml" <<EOF
[dictionaries.members]
values = ["$MEMBER"]
[dictionaries.snapshots]
values = ["$SNAPSHOT"]
[dictionaries.circuits]
values = ["$CIRCUIT"]
[dictionaries.attestations]
values = ["$ATTESTATION"]
[dictionaries.keys]
values = ["$OLD_KEY"]

[[operations]]
include-path-regex = "^/v1/members/\\\\{id\\\\}"
parameters = { "path.id" = { dictionary = "members", probability = 0.6 }, "path.key" = { dictionary = "keys", probability = 0.6 } }
[[operations]]
include-operation-id = "issueChallenge"
parameters = { "body.member" = { dictionary = "members", probability = 0.6 } }
[[operations]]
include-operation-id = "getSnapshot"
parameters = { "path.sha256" = { dictionary = "snapshots", probability = 0.6 } }
[[operations]]
include-operation-id = "getCircuit"
parameters = { "path.hash" = { dictionary = "circuits", probability = 0.6 } }
[[operations]]
include-path-regex = "^/v1/attestations/\\\\{id\\\\}"
parameters = { "path.id" = { dictionary = "attestations", probability = 0.6 } }

# Schema-valid is not always usable: whether a key is a valid Ed25519 point, a circuit compiles, a
# snapshot is consistent or an attestation decodes and carries a good signature is beyond JSON
# Schema, and these operations answer such content 422 with a documented problem type. Every
# other status stays as the check's default has it.
[[operations]]
include-operation-id = ["registerSnapshot", "registerCircuit", "createMember", "addKey", "submitAttestation"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
EOF

say "schemathesis $SCHEMATHESIS_VERSION: all checks, $MAX_EXAMPLES examples per operation, seed $SEED"
set +e
(cd "$TMP" && "$VENV/bin/schemathesis" --no-color --config-file "$TMP/schemathesis.toml" run "$SPEC" \
    --url "$URL" \
    --header "Authorization: Bearer $TOKEN" \
    --checks all \
    --max-examples "$MAX_EXAMPLES" \
    --seed "$SEED" \
    --workers "$WORKERS" \
    --generation-database none \
    --request-timeout 30 \
    ${CONFORMANCE_ARGS:-})
RESULT=$?
set -e
kill -0 "$SERVER_PID" 2>/dev/null || die "the server died during the run"
stop_server && STOPPED=0 || STOPPED=$?
FAILED=0
[ "$PROBES" = 0 ] || { say "FAILED: probes (see above)"; FAILED=1; }
[ "$RESULT" = 0 ] || { say "FAILED: schemathesis reported failures (exit $RESULT)"; FAILED=1; }
[ "$STOPPED" = 0 ] || { say "FAILED: the server did not shut down cleanly on SIGTERM within 10 s (status $STOPPED)"; FAILED=1; }
[ "$FAILED" = 0 ] || exit 1
say "conformant: $(( $(date +%s) - START )) s"
