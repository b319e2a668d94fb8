"""Targeted probes of `riskattest serve`, run by Tests/conformance/run.sh before schemathesis.

schemathesis generates requests from the document; these are the paths it cannot reach on its
own: bodies over the size limits (with and without Content-Length), methods the document does not
declare, a duplicate submission, and intake refusals that need real attestations (revoked key,
unknown key, missing, unknown and replayed nonce, bad signature). Each response must have the
expected status and problem type and conform to OpenAPI/riskattest.yaml: a documented status and
content type, and a body valid against the documented schema.

Inputs come from the environment (set by run.sh): RA_URL, RA_TOKEN, RA_SPEC, RA_BIN, RA_ROOT,
RA_TMP, RA_MEMBER, RA_NONCE (the seeded, consumed nonce), RA_ATTESTATION (the seeded file).
"""
import http.client
import json
import os
import re
import secrets
import subprocess
import sys
import urllib.parse

import yaml
from openapi_schema_validator import OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ENV = os.environ
URL = urllib.parse.urlsplit(ENV["RA_URL"])
ADMIN = {"Authorization": "Bearer " + ENV["RA_TOKEN"]}
SPEC = yaml.safe_load(open(ENV["RA_SPEC"], encoding="utf-8"))
REGISTRY = Registry().with_resource("urn:spec", Resource.from_contents(SPEC, default_specification=DRAFT202012))
PROBLEM = "urn:riskattest:problem:"
failures = []


def pointer(*parts):
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def resolve(obj, ptr):
    """Follows `$ref`s of OpenAPI objects (responses); returns the object and its JSON pointer."""
    while isinstance(obj, dict) and "$ref" in obj and set(obj) == {"$ref"}:
        ptr = obj["$ref"][1:]
        obj = SPEC
        for part in ptr.strip("/").split("/"):
            obj = obj[part.replace("~1", "/").replace("~0", "~")]
    return obj, ptr


def operation(method, path):
    """The documented operation for METHOD PATH, with its path template, or None."""
    for template, item in SPEC["paths"].items():
        regex = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(regex, path) and method.lower() in item:
            return template, item[method.lower()]
    return None, None


def request(method, path, body=None, headers=None, chunked=False):
    conn = http.client.HTTPConnection(URL.hostname, URL.port, timeout=60)
    h = dict(headers or {})
    try:
        if chunked:
            data, size = body, 64 * 1024
            conn.request(method, path, body=(data[i:i + size] for i in range(0, len(data), size)), headers=h,
                         encode_chunked=True)
        else:
            conn.request(method, path, body=body, headers=h)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered (413) before taking the whole body: read its answer
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, data


def check(name, method, path, status, problem=None, body=None, headers=None, chunked=False, allow=None, expect=None):
    """One probe: the expected status (and problem type), and conformance to the document."""
    got, h, data = request(method, path, body, headers, chunked)
    errors = []
    ctype = h.get("content-type", "").split(";")[0].strip().lower()
    if got != status:
        errors.append(f"status {got}, expected {status}")
    template, op = operation(method, path.split("?")[0])
    if op is None:
        # An undeclared method: the body must still be a Problem.
        schema_ptr = pointer("components", "schemas", "Problem")
        if ctype != "application/problem+json":
            errors.append(f"content type {ctype!r}, expected application/problem+json")
    else:
        responses_ptr = pointer("paths", template, method.lower(), "responses")
        documented = op["responses"]
        if str(got) not in documented:
            errors.append(f"status {got} is not documented for {method} {template} (documented: {', '.join(documented)})")
            schema_ptr = None
        else:
            response, rptr = resolve(documented[str(got)], responses_ptr + pointer(str(got)))
            content = response.get("content", {})
            if ctype not in content:
                errors.append(f"content type {ctype!r} is not documented (documented: {', '.join(content)})")
                schema_ptr = None
            else:
                schema_ptr = rptr + pointer("content", ctype, "schema")
            for name_, header in response.get("headers", {}).items():
                if header.get("required") and name_.lower() not in h:
                    errors.append(f"required header {name_} is missing")
    value = None
    if ctype.endswith("json") and method != "HEAD":
        try:
            value = json.loads(data)
        except ValueError:
            errors.append("the body is not JSON")
    if schema_ptr and value is not None:
        validator = OAS31Validator({"$ref": "urn:spec#" + schema_ptr}, registry=REGISTRY)
        for e in validator.iter_errors(value):
            errors.append(f"schema: {e.message} at {'/'.join(map(str, e.absolute_path)) or '(root)'}")
    if problem and (not isinstance(value, dict) or value.get("type") != PROBLEM + problem):
        errors.append(f"type {value.get('type') if isinstance(value, dict) else None!r}, expected {PROBLEM + problem}")
    if allow is not None and {m.strip() for m in h.get("allow", "").split(",")} != set(allow.split(", ")):
        errors.append(f"Allow {h.get('allow')!r}, expected {allow!r}")
    if expect is not None and value is not None:
        for k, v in expect.items():
            if value.get(k) != v:
                errors.append(f"{k} is {value.get(k)!r}, expected {v!r}")
    line = f"{method} {path[:60]}{'…' if len(path) > 60 else ''} -> {got}" + (f" {problem}" if problem and not errors else "")
    if errors:
        failures.append(name)
        print(f"  FAIL {name}: {line}: " + "; ".join(errors) + f"\n       body: {data[:300]!r}", file=sys.stderr)
    else:
        print(f"  ok   {name}: {line}", file=sys.stderr)
    return value


def prove(out, key, nonce=None):
    args = [ENV["RA_BIN"], "prove", "--portfolio", os.path.join(ENV["RA_ROOT"], "Examples/portfolio.json"),
            "--market", os.path.join(ENV["RA_TMP"], "market.json"),
            "--circuit", os.path.join(ENV["RA_ROOT"], "Circuits/solvency.circuit"),
            "--key", key, "--valid-for", "1h", "--out", out, "--quiet"]
    if nonce:
        args += ["--nonce", nonce]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    return open(out, "rb").read()


def main():
    tmp, member = ENV["RA_TMP"], ENV["RA_MEMBER"]
    octet = {"Content-Type": "application/octet-stream"}
    seeded = open(ENV["RA_ATTESTATION"], "rb").read()

    # Size limits, decided from Content-Length and, without one, while reading (chunked).
    big = secrets.token_bytes(4 * 1024 * 1024 + 1)
    check("attestation over 4 MiB", "POST", "/v1/attestations", 413, "payload-too-large", big, octet)
    check("attestation over 4 MiB, chunked", "POST", "/v1/attestations", 413, "payload-too-large", big, octet, chunked=True)
    check("circuit over 1 MiB, chunked", "POST", "/v1/circuits", 413, "payload-too-large", b"#" * (1024 * 1024 + 1),
          {**ADMIN, "Content-Type": "text/plain"}, chunked=True)
    check("JSON body over 256 KiB, chunked", "POST", "/v1/challenges", 413, "payload-too-large",
          b" " * (256 * 1024 + 1), {"Content-Type": "application/json"}, chunked=True)

    # Methods the document does not declare: 405 with the path's methods in Allow.
    check("HEAD on a GET path", "HEAD", "/healthz", 405, allow="GET")
    check("DELETE on GET and POST", "DELETE", "/v1/members", 405, "method-not-allowed", headers=ADMIN, allow="GET, POST")
    check("PUT on a templated path", "PUT", f"/v1/members/{member}/keys/{'0' * 64}", 405, "method-not-allowed",
          headers=ADMIN, allow="DELETE")
    check("no such route", "GET", "/v2/members", 404, "not-found")

    # Intake: a duplicate, and the refusals that need real attestations.
    check("duplicate submission", "POST", "/v1/attestations", 200, body=seeded, headers=octet, expect={"duplicate": True})
    member_key, old_key = os.path.join(tmp, "member.key"), os.path.join(tmp, "old.key")
    subprocess.run([ENV["RA_BIN"], "keygen", "--out", os.path.join(tmp, "stranger")], check=True, stdout=subprocess.DEVNULL)
    check("nonce replayed", "POST", "/v1/attestations", 409, "nonce-replayed",
          prove(os.path.join(tmp, "replay.att"), member_key, ENV["RA_NONCE"]), octet)
    check("nonce unknown", "POST", "/v1/attestations", 422, "nonce-unknown",
          prove(os.path.join(tmp, "unknown-nonce.att"), member_key, secrets.token_hex(32)), octet)
    check("nonce missing", "POST", "/v1/attestations", 422, "nonce-missing",
          prove(os.path.join(tmp, "no-nonce.att"), member_key), octet)
    check("revoked key", "POST", "/v1/attestations", 403, "revoked-key", prove(os.path.join(tmp, "revoked.att"), old_key), octet)
    check("unknown key", "POST", "/v1/attestations", 422, "unknown-key",
          prove(os.path.join(tmp, "stranger.att"), os.path.join(tmp, "stranger.key")), octet)
    forged = bytearray(seeded)
    forged[-1] ^= 1
    check("bad signature", "POST", "/v1/attestations", 422, "bad-signature", bytes(forged), octet)

    # Results of the seeded attestation.
    check("member in good standing", "GET", f"/v1/members/{member}/status", 200, headers=ADMIN, expect={"good_standing": True})
    check("member's attestations", "GET", f"/v1/members/{member}/attestations?limit=1", 200, headers=ADMIN)
    check("audit page", "GET", "/v1/audit?limit=5", 200, headers=ADMIN)
    check("admin without token", "GET", "/v1/audit", 401, "unauthorized")

    if failures:
        print(f"probes: {len(failures)} failed: {', '.join(failures)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
