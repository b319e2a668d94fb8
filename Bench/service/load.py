#!/usr/bin/env python3
"""Load benchmark of `riskattest serve` over loopback (BENCHMARKS.md, "Verification service: load").

Not part of CI. Python standard library only (http.client, threads, subprocess, sqlite3); psql
for PostgreSQL. Steps (`make bench-service` runs `all`):

  seed   Once: a fresh SQLite database served by `riskattest serve --role api`; registers the
         example snapshot (re-dated with `riskattest restamp`), Circuits/solvency.circuit, 50
         members (keys from `riskattest keygen`) and 1,000 challenges (20 per member); stops the
         service, checkpoints the WAL, and proves the 1,000 attestations with
         `riskattest prove --nonce ... --quiet`, two processes at a time. The seeded SQLite file
         is then copied row for row into a PostgreSQL database (the schema made by the service
         itself), so both stores start from the same state; `riskattest audit verify` checks
         both chains. Kept under WORK/seed and reused while the attestations are valid (23 h).
  load   For each configuration and round: copies the seed (SQLite: the file; PostgreSQL:
         CREATE DATABASE ... TEMPLATE), starts the processes, submits the 1,000 attestations with
         CLIENTS requests in flight, waits until all have results, scrapes /metrics, stops the
         processes, and reads received_us (attestations) and verified_us (results) per
         attestation from the database.  Configurations:
           sqlite-all  SQLite, one `--role all` process
           pg-1w       PostgreSQL, one `--role api` + one `--role worker` process
           pg-2w       PostgreSQL, one `--role api` + two `--role worker` processes
  ratio  The issue's 256-instrument comparison: inputs from `riskattest bench warm-verify
         --write-only` (snapshot re-dated, book proved again with service nonces); then, alternating,
         a one-shot `riskattest verify` process and the service's warm verification of one more
         such attestation (submitted alone, waiting for its result), REPS times.

Before every measured run the script waits while a compile job or test run is active
(`pgrep -f 'swift-build|swift-frontend|xctest'`).
"""

import argparse
import concurrent.futures
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
CORES = os.cpu_count() or 1
SEED_DB = "ra_bench_seed"
CONFIGS = ["sqlite-all", "pg-1w", "pg-2w"]


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


def now_us():
    return time.time_ns() // 1000


# ---------------------------------------------------------------------------------------------
# Processes, ports, HTTP


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def run(args, **kw):
    r = subprocess.run(args, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise SystemExit(f"failed ({r.returncode}): {' '.join(args)}\n{r.stdout}{r.stderr}")
    return r.stdout


IGNORE_BUSY = False


def quiet_machine(max_wait=3600):
    """Waits while a compile job or a test run is active (they would take the cores)."""
    waited = 0
    if IGNORE_BUSY:
        return 0
    while True:
        r = subprocess.run(["pgrep", "-f", "swift-build|swift-frontend|xctest"], capture_output=True, text=True)
        pids = [p for p in r.stdout.split() if int(p) != os.getpid()]
        busy = None
        if not pids:
            # Anything else taking the cores (a fuzzer, another benchmark): the machine must be
            # mostly idle for 2 s, not only free of compilers.
            b0 = cpu_times()
            time.sleep(2)
            b1 = cpu_times()
            busy = (b1[0] - b0[0]) / max(1, b1[1] - b0[1])
            if busy < 0.25:
                if waited:
                    log(f"machine quiet after {waited} s")
                return waited
        if waited % 60 == 0:
            log(f"compile/test job active (pids {' '.join(pids[:5])}); waiting" if pids else
                f"machine {busy:.0%} busy without a compile job; waiting")
        if waited >= max_wait:
            raise SystemExit("a compile or test job stayed active for an hour; giving up")
        time.sleep(5)
        waited += 5


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def cpu_times():
    """(busy, total) jiffies of the whole machine."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)


def proc_cpu(pid):
    """utime + stime of a process in seconds (its threads included), 0 when gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return 0.0
    fields = s[s.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu():
    """CPU seconds of every process named postgres (server and backends)."""
    total = 0.0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() != "postgres":
                    continue
        except OSError:
            continue
        total += proc_cpu(pid)
    return total


class Server:
    """One `riskattest serve` process on its own port."""

    def __init__(self, binary, name, port, args, env, logdir):
        self.name, self.port = name, port
        self.log = open(os.path.join(logdir, f"{name}.log"), "w")
        self.proc = subprocess.Popen([binary, "serve", "--port", str(port)] + args, env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout=60):
        t0 = time.time()
        while time.time() - t0 < timeout:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.name} exited ({self.proc.returncode}); see {self.log.name}")
            try:
                if get(self.port, "/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise SystemExit(f"{self.name} not ready after {timeout} s")

    def cpu(self):
        return proc_cpu(self.proc.pid)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                log(f"{self.name} did not stop on SIGTERM in 30 s; killing it")
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def request(port, method, path, body=None, headers=None, conn=None):
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        if conn is None:
            c.close()


def get(port, path, **kw):
    return request(port, "GET", path, **kw)


def post_json(port, path, obj, token=None):
    h = {"Content-Type": "application/json"}
    if token:
        h["Authorization"] = f"Bearer {token}"
    st, b = request(port, "POST", path, json.dumps(obj).encode(), h)
    if st not in (200, 201):
        raise SystemExit(f"POST {path}: {st} {b[:300]!r}")
    return json.loads(b)


def post_raw(port, path, data, ctype, token=None):
    h = {"Content-Type": ctype}
    if token:
        h["Authorization"] = f"Bearer {token}"
    st, b = request(port, "POST", path, data, h)
    if st not in (200, 201):
        raise SystemExit(f"POST {path}: {st} {b[:300]!r}")
    return json.loads(b)


def metrics(port):
    st, b = get(port, "/metrics")
    return b.decode() if st == 200 else ""


def metric_values(text, name):
    """{labels: value} for every sample of `name` (labels as the raw `{...}` text, '' for none)."""
    out = {}
    for line in text.splitlines():
        if line.startswith(name):
            m = re.match(re.escape(name) + r"(\{[^}]*\})?\s+(\S+)$", line)
            if m:
                out[m.group(1) or ""] = float(m.group(2))
    return out


def metric_sum(text, name):
    return sum(metric_values(text, name).values())


# ---------------------------------------------------------------------------------------------
# Databases


class Postgres:
    def __init__(self, url):
        m = re.match(r"postgres(?:ql)?://([^:@/]+)(?::([^@/]*))?@([^:/]+)(?::(\d+))?/(\w+)", url)
        if not m:
            raise SystemExit(f"cannot read the PostgreSQL URL {url}")
        self.user, self.password, self.host, self.port, self.admin_db = m.groups()
        self.port = self.port or "5432"

    def url(self, db):
        pw = f":{self.password}" if self.password else ""
        return f"postgres://{self.user}{pw}@{self.host}:{self.port}/{db}"

    def psql(self, db, sql=None, stdin=None, single=False):
        args = ["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", self.url(db)]
        if single:
            args.insert(1, "-1")
        if sql is not None:
            args += ["-c", sql]
        env = dict(os.environ, PGPASSWORD=self.password or "")
        r = subprocess.run(args, input=stdin, capture_output=True, text=True, env=env)
        if r.returncode != 0:
            raise SystemExit(f"psql failed: {sql or '(script)'}\n{r.stderr}")
        return r.stdout

    def drop(self, db):
        self.psql(self.admin_db, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')

    def create(self, db, template=None):
        self.drop(db)
        self.psql(self.admin_db, f'CREATE DATABASE "{db}"' + (f' TEMPLATE "{template}"' if template else ""))

    def settings(self):
        out = {}
        for s in ["server_version", "fsync", "synchronous_commit", "shared_buffers", "max_connections"]:
            out[s] = self.psql(self.admin_db, f"SHOW {s}").strip()
        return out


def copy_escape(v):
    if v is None:
        return r"\N"
    if isinstance(v, bytes):
        return "\\\\x" + v.hex()
    if isinstance(v, int):
        return str(v)
    s = str(v)
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def sqlite_to_postgres(sqlite_path, pg, db):
    """Copies every row of the service's tables (schema made by the service on both sides)."""
    src = sqlite3.connect(sqlite_path)
    tables = ["blobs", "snapshots", "circuits", "members", "member_keys", "challenges", "attestations", "results",
              "commitments", "audit", "audit_head"]
    parts = ["DELETE FROM audit_head;"]
    counts = {}
    for t in tables:
        cols = [r[1] for r in src.execute(f"PRAGMA table_info({t})")]
        rows = src.execute(f"SELECT {', '.join(cols)} FROM {t}").fetchall()
        counts[t] = len(rows)
        parts.append(f"COPY {t} ({', '.join(cols)}) FROM stdin;")
        parts += ["\t".join(copy_escape(v) for v in r) for r in rows]
        parts.append("\\.")
    src.close()
    pg.psql(db, stdin="\n".join(parts) + "\n", single=True)
    for t in tables:
        n = int(pg.psql(db, f"SELECT COUNT(*) FROM {t}").strip())
        if n != counts[t]:
            raise SystemExit(f"copy to PostgreSQL: {t} has {n} rows, SQLite {counts[t]}")
    return counts


def sqlite_checkpoint(path):
    c = sqlite3.connect(path)
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()


def copy_sqlite(src, dst):
    for suffix in ["", "-wal", "-shm"]:
        if os.path.exists(dst + suffix):
            os.remove(dst + suffix)
    shutil.copyfile(src, dst)


RESULT_SQL = """
SELECT a.id, a.member_id, a.received_us, r.verified_us, r.valid, r.failure_code, r.worker, r.batch_size, {vms}
FROM attestations a JOIN results r ON r.attestation_id = a.id ORDER BY a.received_us
"""


def read_results_sqlite(path):
    c = sqlite3.connect(path)
    rows = c.execute(RESULT_SQL.format(vms="json_extract(r.report, '$.verification.verify_milliseconds')")).fetchall()
    total = c.execute("SELECT COUNT(*) FROM attestations").fetchone()[0]
    c.close()
    return rows, total


def read_results_pg(pg, db):
    out = pg.psql(db, RESULT_SQL.format(vms="(r.report::json->'verification'->>'verify_milliseconds')::float8"))
    rows = []
    for line in out.splitlines():
        if not line.strip():
            continue
        f = line.split("\t")
        rows.append((f[0], f[1], int(f[2]), int(f[3]), int(f[4]), f[5] or None, f[6], int(f[7]),
                     float(f[8]) if f[8] else None))
    total = int(pg.psql(db, "SELECT COUNT(*) FROM attestations").strip())
    return rows, total


# ---------------------------------------------------------------------------------------------
# Statistics


def pct(xs, p):
    """Nearest-rank percentile."""
    s = sorted(xs)
    if not s:
        return float("nan")
    k = max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))
    return s[k]


def median(xs):
    return statistics.median(xs) if xs else float("nan")


# ---------------------------------------------------------------------------------------------
# Seeding


class Bench:
    def __init__(self, a):
        self.a = a
        self.bin = os.path.abspath(a.bin)
        self.work = os.path.abspath(a.work)
        self.seed_dir = os.path.join(self.work, "seed")
        self.token = secrets.token_hex(24)
        self.env = dict(os.environ, RISKATTEST_ADMIN_TOKEN=self.token)
        self.pg = Postgres(a.postgres) if a.postgres else None
        os.makedirs(self.work, exist_ok=True)

    def config_file(self, path, **extra):
        # Challenges: 20 per member requested at once, and they must outlive the seed (they are
        # consumed only in the measured runs). Everything else is the service's default
        # (batch 32, poll 200 ms, lease 30 s, policy: snapshot age 1 h, validity 24 h).
        cfg = {"challenge_ttl_seconds": 7 * 86400, "challenges_per_minute": 100000}
        cfg.update(extra)
        with open(path, "w") as f:
            json.dump(cfg, f)
        return path

    def serve(self, name, role, database, logdir, extra=None):
        cfg = self.config_file(os.path.join(logdir, f"{name}.json"), **(extra or {}))
        s = Server(self.bin, name, free_port(), ["--config", cfg, "--role", role, "--database", database],
                   self.env, logdir)
        return s

    def seed_info(self):
        p = os.path.join(self.seed_dir, "seed.json")
        if not os.path.exists(p):
            return None
        with open(p) as f:
            info = json.load(f)
        if time.time() > info["created_at"] + 23 * 3600:
            log("seed older than 23 h (its attestations expire after 24 h): seeding again")
            return None
        if info.get("members") != self.a.members or info.get("count") != self.a.count:
            return None
        if self.pg and not self.pg.psql(self.pg.admin_db, f"SELECT 1 FROM pg_database WHERE datname = '{SEED_DB}'").strip():
            return None
        return info

    def seed(self, force=False):
        info = None if force else self.seed_info()
        if info:
            log(f"seed: reusing {self.seed_dir} ({info['count']} attestations, proved {time.ctime(info['created_at'])})")
            return info
        a = self.a
        if os.path.exists(self.seed_dir):
            shutil.rmtree(self.seed_dir)
        os.makedirs(os.path.join(self.seed_dir, "keys"))
        os.makedirs(os.path.join(self.seed_dir, "att"))
        sd = self.seed_dir
        t0 = int(time.time())
        market = os.path.join(sd, "market.json")
        run([self.bin, "restamp", "--market", os.path.join(REPO, "Examples/market.json"), "--as-of", str(t0),
             "--out", market])
        circuit = os.path.join(REPO, "Circuits/solvency.circuit")
        db = os.path.join(sd, "seed.db")
        api = self.serve("seed-api", "api", "sqlite:" + db, sd)
        try:
            api.wait_ready()
            with open(market, "rb") as f:
                snap = post_raw(api.port, "/v1/snapshots", f.read(), "application/json", self.token)
            with open(circuit, "rb") as f:
                circ = post_raw(api.port, "/v1/circuits", f.read(), "text/plain", self.token)
            members = []
            for m in range(a.members):
                prefix = os.path.join(sd, "keys", f"m{m:02d}")
                run([self.bin, "keygen", "--out", prefix])
                with open(prefix + ".pub") as f:
                    pem = f.read()
                r = post_json(api.port, "/v1/members", {"name": f"Member {m:02d}", "public_keys": [pem]}, self.token)
                members.append({"id": r["id"], "key": prefix + ".key", "pub": prefix + ".pub"})
            per = a.count // a.members
            jobs = []
            # Interleaved by member: attestation k is member k % members's (k // members)-th.
            for j in range(per):
                for m in range(a.members):
                    c = post_json(api.port, "/v1/challenges", {"member": members[m]["id"]})
                    jobs.append({"k": len(jobs), "member": m, "nonce": c["nonce"]})
        finally:
            api.stop()
        sqlite_checkpoint(db)
        log(f"seed: registered snapshot {snap['sha256'][:12]}…, circuit {circ['hash'][:12]}…, {a.members} members, "
            f"{len(jobs)} challenges; proving {len(jobs)} attestations {a.provers} at a time")

        # created_at a second after the snapshot: every attestation is judged by the default policy
        # (snapshot at most 1 h old when made) however long proving takes.
        created = t0 + 1
        portfolio = os.path.join(REPO, "Examples/portfolio.json")
        started = time.time()
        done = [0]
        lock = threading.Lock()

        def prove(j):
            out = os.path.join(sd, "att", f"{j['k']:04d}.att")
            run([self.bin, "prove", "--portfolio", portfolio, "--market", market, "--circuit", circuit,
                 "--key", members[j["member"]]["key"], "--nonce", j["nonce"], "--created-at", str(created),
                 "--out", out, "--quiet", "--force"])
            os.remove(out + ".openings")
            with lock:
                done[0] += 1
                if done[0] % 100 == 0:
                    log(f"seed: proved {done[0]}/{len(jobs)} ({time.time() - started:.0f} s)")
            return out

        with concurrent.futures.ThreadPoolExecutor(a.provers) as ex:
            list(ex.map(prove, jobs))
        prove_s = time.time() - started

        if self.pg:
            self.pg.create(SEED_DB)
            api = self.serve("seed-pg-migrate", "api", self.pg.url(SEED_DB), sd)   # the service makes its schema
            api.wait_ready()
            api.stop()
            counts = sqlite_to_postgres(db, self.pg, SEED_DB)
            log(f"seed: copied into PostgreSQL {SEED_DB}: {counts}")
        chains = {"sqlite": run([self.bin, "audit", "verify", "--database", "sqlite:" + db]).strip()}
        if self.pg:
            chains["postgres"] = run([self.bin, "audit", "verify", "--database", self.pg.url(SEED_DB)]).strip()
            if chains["postgres"] != chains["sqlite"]:
                raise SystemExit(f"audit chains differ after the copy: {chains}")
        info = {"created_at": t0, "attestation_created_at": created, "members": a.members, "count": len(jobs),
                "snapshot": snap["sha256"], "circuit": circ["hash"], "prove_seconds": round(prove_s, 1),
                "jobs": [{"k": j["k"], "member": members[j["member"]]["id"], "nonce": j["nonce"]} for j in jobs],
                "audit": chains, "binary": self.bin}
        with open(os.path.join(sd, "seed.json"), "w") as f:
            json.dump(info, f)
        log(f"seed: done ({prove_s:.0f} s proving); {chains['sqlite']}")
        return info

    # -----------------------------------------------------------------------------------------
    # Load runs

    def submit_all(self, port, files, clients, rate=None):
        """Submits every file with at most `clients` requests in flight, as fast as they are answered
        or, with `rate`, attestation k not before start + k / rate; (k, sent_us, done_us, status, id)."""
        out = [None] * len(files)
        start = time.time()
        nxt = [0]
        lock = threading.Lock()
        errors = []

        def client():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            while True:
                with lock:
                    k = nxt[0]
                    nxt[0] += 1
                if k >= len(files):
                    break
                with open(files[k], "rb") as f:
                    data = f.read()
                if rate:
                    delay = start + k / rate - time.time()
                    if delay > 0:
                        time.sleep(delay)
                t0 = now_us()
                try:
                    st, b = request(port, "POST", "/v1/attestations", data,
                                    {"Content-Type": "application/octet-stream"}, conn=conn)
                except (OSError, http.client.HTTPException) as e:
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                    errors.append(f"{files[k]}: {e!r}")
                    continue
                t1 = now_us()
                aid = json.loads(b).get("id") if st in (200, 202) else None
                if st != 202:
                    errors.append(f"{files[k]}: HTTP {st} {b[:200]!r}")
                out[k] = (k, t0, t1, st, aid)
            conn.close()

        ts = [threading.Thread(target=client) for _ in range(clients)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        return out, errors

    def wait_results(self, port, n, timeout):
        """Polls the API's /metrics (its queue depth is counted at each scrape) until nothing is
        queued or in flight."""
        t0 = time.time()
        while time.time() - t0 < timeout:
            depth = metric_sum(metrics(port), "riskattest_queue_depth")
            if depth == 0:
                return
            time.sleep(0.2)
        raise SystemExit(f"results still missing after {timeout} s")

    def load_once(self, config, rnd, info):
        a = self.a
        tag = f"{config}-r{rnd}"
        rundir = os.path.join(self.work, "runs", tag)
        if os.path.exists(rundir):
            shutil.rmtree(rundir)
        os.makedirs(rundir)
        files = [os.path.join(self.seed_dir, "att", f"{j['k']:04d}.att") for j in info["jobs"]]
        while time.time() < info["attestation_created_at"] + 1:     # a fresh seed: not valid before then
            time.sleep(0.5)
        pgdb = None
        if config == "sqlite-all":
            db = os.path.join(rundir, "run.db")
            copy_sqlite(os.path.join(self.seed_dir, "seed.db"), db)
            database = "sqlite:" + db
            procs = [self.serve("all", "all", database, rundir, {"worker_name": "all"})]
        else:
            pgdb = f"ra_bench_{config.replace('-', '_')}_r{rnd}"
            self.pg.create(pgdb, template=SEED_DB)
            database = self.pg.url(pgdb)
            workers = 1 if config == "pg-1w" else 2
            procs = [self.serve("api", "api", database, rundir)]
            procs += [self.serve(f"worker{w + 1}", "worker", database, rundir, {"worker_name": f"w{w + 1}"})
                      for w in range(workers)]
        api = procs[0]
        try:
            for p in procs:
                p.wait_ready()
            waited = quiet_machine()
            time.sleep(1.0)
            load0 = loadavg()
            cpu0 = {p.name: p.cpu() for p in procs}
            pg0 = postgres_cpu() if pgdb else 0.0
            m0 = cpu_times()
            me0 = os.times()
            first_sent = now_us()
            analyzed = []
            stop = threading.Event()
            timer = None
            if pgdb and a.pg_analyze_every > 0:
                # A fresh database has no planner statistics, and autovacuum analyzes it at some
                # moment of the run or not at all (naptime 1 min). The blinding-reuse self-join on
                # commitments is planned from them: with none, or with statistics from a much
                # smaller table, it runs as a hash join over a sequential scan of all commitments,
                # ~10x slower per attestation (BENCHMARKS.md). A live database has current
                # statistics; by default the run's commitments are analyzed every few seconds.
                def analyze():
                    while not stop.wait(a.pg_analyze_every):
                        t = time.time()
                        self.pg.psql(pgdb, "ANALYZE commitments")
                        analyzed.append((round(t - first_sent / 1e6, 2), round(time.time() - t, 3)))
                timer = threading.Thread(target=analyze)
                timer.start()
            sub, errors = self.submit_all(api.port, files, a.clients, a.rate)
            submitted = now_us()
            if errors:
                log(f"{tag}: {len(errors)} submissions failed, e.g. {errors[0]}")
            self.wait_results(api.port, len(files), timeout=3600)
            finished = now_us()
            m1 = cpu_times()
            me1 = os.times()
            cpu1 = {p.name: p.cpu() for p in procs}
            pg1 = postgres_cpu() if pgdb else 0.0
            scraped = {p.name: metrics(p.port) for p in procs}
            load1 = loadavg()
            stop.set()
            if timer:
                timer.join()
        finally:
            for p in reversed(procs):
                p.stop()
        for name, text in scraped.items():
            with open(os.path.join(rundir, f"{name}.metrics"), "w") as f:
                f.write(text)
        if pgdb:
            rows, total = read_results_pg(self.pg, pgdb)
            with open(os.path.join(rundir, "pg_stat_user_tables.tsv"), "w") as f:
                f.write(self.pg.psql(pgdb, "SELECT relname, n_live_tup, seq_scan, seq_tup_read, idx_scan, last_autoanalyze, "
                                           "last_autovacuum FROM pg_stat_user_tables ORDER BY relname"))
            if not self.a.keep_db:
                self.pg.drop(pgdb)
        else:
            rows, total = read_results_sqlite(db)
        with open(os.path.join(rundir, "results.tsv"), "w") as f:
            f.write("id\tmember\treceived_us\tverified_us\tvalid\tfailure_code\tworker\tbatch_size\tverify_ms_each\n")
            for r in rows:
                f.write("\t".join("" if v is None else str(v) for v in r) + "\n")
        with open(os.path.join(rundir, "posts.tsv"), "w") as f:
            f.write("k\tsent_us\tanswered_us\tstatus\tid\n")
            for r in sub:
                if r:
                    f.write("\t".join("" if v is None else str(v) for v in r) + "\n")
        r = self.summarise(config, rnd, rows, total, sub, errors, first_sent, submitted, finished, scraped,
                           {k: cpu1[k] - cpu0[k] for k in cpu0}, pg1 - pg0,
                           (m1[0] - m0[0]) / max(1, m1[1] - m0[1]),
                           (me1.user + me1.system) - (me0.user + me0.system), load0, load1, waited)
        if pgdb:
            r["pg_analyze"] = {"every_s": self.a.pg_analyze_every, "runs": analyzed}
        return r

    def summarise(self, config, rnd, rows, total, sub, errors, first_sent, submitted, finished, scraped, cpu, pg_cpu,
                  machine_busy, client_cpu, load0, load1, waited):
        lat = [(r[3] - r[2]) / 1000 for r in rows]               # ms, received_us → verified_us
        valid = sum(1 for r in rows if r[4] == 1)
        codes = {}
        for r in rows:
            if r[4] != 1:
                codes[r[5]] = codes.get(r[5], 0) + 1
        last = max(r[3] for r in rows) if rows else finished
        wall = (last - first_sent) / 1e6
        # Batches: one finish transaction per batch, so a batch's results share worker and verified_us.
        batches = {}
        for r in rows:
            b = batches.setdefault((r[6], r[3]), {"size": r[7], "n": 0, "verify_ms": (r[8] or 0) * r[7]})
            b["n"] += 1
        sizes = {}
        for b in batches.values():
            sizes[b["size"]] = sizes.get(b["size"], 0) + 1
        per_worker = {}
        for (w, _), b in batches.items():
            pw = per_worker.setdefault(w, {"batches": 0, "attestations": 0, "verify_s": 0.0})
            pw["batches"] += 1
            pw["attestations"] += b["n"]
            pw["verify_s"] += b["verify_ms"] / 1000
        for pw in per_worker.values():
            pw["verify_busy"] = pw["verify_s"] / wall if wall else None
        posts = [s for s in sub if s is not None]
        intake = [(s[2] - s[1]) / 1000 for s in posts]
        intake_wall = (submitted - first_sent) / 1e6
        m = {}
        for name, text in scraped.items():
            m[name] = {
                "verify_seconds_sum": metric_values(text, "riskattest_verify_seconds_sum").get("", None),
                "verify_seconds_count": metric_values(text, "riskattest_verify_seconds_count").get("", None),
                "batch_size_sum": metric_values(text, "riskattest_batch_size_sum").get("", None),
                "batch_size_count": metric_values(text, "riskattest_batch_size_count").get("", None),
                "batch_isolations_total": metric_sum(text, "riskattest_batch_isolations_total"),
                "verifications_total": metric_values(text, "riskattest_verifications_total"),
                "intake_total": metric_values(text, "riskattest_intake_total"),
                "latency_seconds_sum": metric_values(text, "riskattest_verification_latency_seconds_sum").get("", None),
                "latency_seconds_count": metric_values(text, "riskattest_verification_latency_seconds_count").get("", None),
            }
        return {
            "config": config, "round": rnd, "attestations": total, "results": len(rows), "valid": valid,
            "invalid_codes": codes, "submit_errors": len(errors), "submit_error_examples": errors[:3],
            "latency_ms": {"p50": pct(lat, 50), "p99": pct(lat, 99), "max": max(lat) if lat else None,
                           "min": min(lat) if lat else None},
            "wall_s": wall, "throughput_per_s": len(rows) / wall if wall else None,
            "throughput_per_s_per_core": len(rows) / wall / CORES if wall else None,
            "intake": {"wall_s": intake_wall, "per_s": len(posts) / intake_wall if intake_wall else None,
                       "post_ms_p50": pct(intake, 50), "post_ms_p99": pct(intake, 99),
                       "post_ms_max": max(intake) if intake else None},
            "drain_s": (last - submitted) / 1e6,
            "batches": len(batches), "batch_sizes": {str(k): v for k, v in sorted(sizes.items())},
            "workers": per_worker,
            "cpu_s": {k: round(v, 2) for k, v in cpu.items()}, "postgres_cpu_s": round(pg_cpu, 2),
            "client_cpu_s": round(client_cpu, 2), "machine_busy": round(machine_busy, 3),
            "metrics": m, "load_before": load0, "load_after": load1, "waited_for_quiet_s": waited,
            "clients": self.a.clients, "rate": self.a.rate, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }

    def load(self, info):
        a = self.a
        configs = [c for c in a.configs.split(",") if c]
        for c in configs:
            if c not in CONFIGS:
                raise SystemExit(f"unknown configuration {c} (known: {', '.join(CONFIGS)})")
            if c.startswith("pg") and not self.pg:
                raise SystemExit(f"{c} needs --postgres URL")
        results = self.doc.setdefault("load", [])
        for rnd in range(1, a.rounds + 1):
            # Alternate the order between rounds, so that each configuration meets the machine
            # early and late.
            order = configs if rnd % 2 == 1 else list(reversed(configs))
            for c in order:
                log(f"load: {c}, round {rnd}: {a.count} attestations, {a.clients} in flight")
                r = self.load_once(c, rnd, info)
                results.append(r)
                log(f"load: {c} r{rnd}: {r['results']}/{r['attestations']} results ({r['valid']} valid), "
                    f"p50 {r['latency_ms']['p50']:.0f} ms, p99 {r['latency_ms']['p99']:.0f} ms, "
                    f"{r['throughput_per_s']:.1f}/s over {r['wall_s']:.1f} s; intake {r['intake']['per_s']:.0f}/s, "
                    f"POST p50 {r['intake']['post_ms_p50']:.1f} ms; batches {r['batch_sizes']}; "
                    "verify busy " + ", ".join(f"{w} {v['verify_busy']:.2f}" for w, v in r["workers"].items()))
                self.dump()
        return results

    # -----------------------------------------------------------------------------------------
    # Ratio: one 256-instrument attestation, warm service against a one-shot process

    def ratio(self):
        a = self.a
        d = os.path.join(self.work, "ratio")
        if os.path.exists(d):
            shutil.rmtree(d)
        inputs = os.path.join(d, "inputs")
        os.makedirs(os.path.join(d, "att"))
        run([os.path.abspath(a.inputs_bin or a.bin), "bench", "warm-verify", "--dir", inputs, "--write-only",
             "--attestations", "1"])
        if not os.path.exists(os.path.join(inputs, "portfolio.json")):
            raise SystemExit(f"{a.inputs_bin or a.bin} does not write portfolio.json with `bench warm-verify --write-only`;"
                             " pass --inputs-bin a build of branch bench or later")
        t0 = int(time.time())
        market = os.path.join(d, "market.json")
        run([self.bin, "restamp", "--market", os.path.join(inputs, "market.json"), "--as-of", str(t0), "--out", market])
        circuit = os.path.join(inputs, "bench.circuit")
        portfolio = os.path.join(inputs, "portfolio.json")
        key = os.path.join(d, "member")
        run([self.bin, "keygen", "--out", key])
        n = a.reps + 1 + a.ratio_batch
        srv = self.serve("ratio-all", "all", "sqlite:" + os.path.join(d, "ratio.db"), d, {"worker_name": "all"})
        try:
            srv.wait_ready()
            with open(market, "rb") as f:
                post_raw(srv.port, "/v1/snapshots", f.read(), "application/json", self.token)
            with open(circuit, "rb") as f:
                post_raw(srv.port, "/v1/circuits", f.read(), "text/plain", self.token)
            with open(key + ".pub") as f:
                member = post_json(srv.port, "/v1/members", {"name": "Ratio", "public_keys": [f.read()]}, self.token)["id"]
            nonces = [post_json(srv.port, "/v1/challenges", {"member": member})["nonce"] for _ in range(n)]
            log(f"ratio: proving {n} 256-instrument attestations {a.provers} at a time")

            def prove(k):
                out = os.path.join(d, "att", f"{k:02d}.att")
                run([self.bin, "prove", "--portfolio", portfolio, "--market", market, "--circuit", circuit,
                     "--key", key + ".key", "--nonce", nonces[k], "--created-at", str(t0 + 1), "--out", out,
                     "--quiet", "--force"])
                return out

            with concurrent.futures.ThreadPoolExecutor(a.provers) as ex:
                files = list(ex.map(prove, range(n)))
            size = os.path.getsize(files[0])

            def one_shot(k):
                args = [self.bin, "verify", "--attestation", files[k], "--market", market, "--circuit", circuit,
                        "--trust", key + ".pub", "--nonce", nonces[k]]
                t = time.perf_counter()
                p = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                ms = (time.perf_counter() - t) * 1000
                if p.returncode != 0:
                    raise SystemExit(f"one-shot verify of {files[k]} exited {p.returncode}")
                return ms

            conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=120)

            def service(k):
                before = metrics(srv.port)
                s0 = metric_values(before, "riskattest_verify_seconds_sum").get("", 0.0)
                c0 = metric_values(before, "riskattest_verify_seconds_count").get("", 0.0)
                with open(files[k], "rb") as f:
                    data = f.read()
                t = time.perf_counter()
                st, b = request(srv.port, "POST", "/v1/attestations", data, {"Content-Type": "application/octet-stream"},
                                conn=conn)
                if st != 202:
                    raise SystemExit(f"ratio: submission {k}: HTTP {st} {b[:300]!r}")
                aid = json.loads(b)["id"]
                t_post = time.perf_counter()
                while True:
                    st, b = request(srv.port, "GET", f"/v1/attestations/{aid}", conn=conn)
                    r = json.loads(b)
                    if r["status"] not in ("queued", "verifying"):
                        break
                    time.sleep(0.005)
                t_done = time.perf_counter()
                if r["status"] != "valid":
                    raise SystemExit(f"ratio: attestation {k} is {r['status']}: {r.get('failure_code')}")
                after = metrics(srv.port)
                s1 = metric_values(after, "riskattest_verify_seconds_sum").get("", 0.0)
                c1 = metric_values(after, "riskattest_verify_seconds_count").get("", 0.0)
                if c1 - c0 != 1:
                    raise SystemExit(f"ratio: expected one batch, the worker verified {c1 - c0}")
                return {"verify_ms": (s1 - s0) * 1000,
                        "report_verify_ms": r["report"]["verification"]["verify_milliseconds"],
                        "post_ms": (t_post - t) * 1000, "submit_to_result_ms": (t_done - t) * 1000}

            quiet_machine()
            load0 = loadavg()
            warm = service(0)              # the worker's context warms on its first batch
            one_shot(0)                    # page cache; the binary loaded once
            log(f"ratio: warm-up attestation verified in {warm['verify_ms']:.0f} ms (cold context)")
            shots, svc = [], []
            for k in range(1, a.reps + 1):
                quiet_machine()
                if k % 2:
                    shots.append(one_shot(k))
                    svc.append(service(k))
                else:
                    svc.append(service(k))
                    shots.append(one_shot(k))
            conn.close()
            batch = []
            if a.ratio_batch:
                # Batch throughput for this shape: the rest submitted at once (8 in flight); the
                # worker, woken by the first, verifies it alone and then takes what has queued.
                quiet_machine()
                sub, errors = self.submit_all(srv.port, files[a.reps + 1:], a.clients)
                if errors:
                    raise SystemExit(f"ratio: batch submissions failed: {errors[:2]}")
                self.wait_results(srv.port, a.ratio_batch, timeout=600)
                ids = {x[4] for x in sub}
                rows, _ = read_results_sqlite(os.path.join(d, "ratio.db"))
                groups = {}
                for r in rows:
                    if r[0] in ids:
                        groups.setdefault(r[3], []).append(r)
                for g in sorted(groups.values(), key=lambda g: g[0][3]):
                    ms = g[0][8] * g[0][7]
                    batch.append({"size": g[0][7], "verify_ms": round(ms, 1), "per_attestation_ms": round(g[0][8], 2),
                                  "attestations_per_s": round(g[0][7] / ms * 1000, 1)})
            load1 = loadavg()
        finally:
            srv.stop()
        v = [s["verify_ms"] for s in svc]
        res = {
            "reps": a.reps, "attestation_bytes": size, "instruments": 256, "load_before": load0, "load_after": load1,
            "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "one_shot_ms": {"median": median(shots), "min": min(shots), "max": max(shots)},
            "service_verify_ms": {"median": median(v), "min": min(v), "max": max(v)},
            "service_report_verify_ms": {"median": median([s["report_verify_ms"] for s in svc])},
            "service_submit_to_result_ms": {"median": median([s["submit_to_result_ms"] for s in svc])},
            "service_post_ms": {"median": median([s["post_ms"] for s in svc])},
            "first_batch_verify_ms": warm["verify_ms"],
            "ratio": median(v) / median(shots),
            "submit_to_result_over_one_shot": median([s["submit_to_result_ms"] for s in svc]) / median(shots),
            "batches": batch,
            "one_shot_runs_ms": [round(x, 1) for x in shots], "service_runs_ms": [round(x, 1) for x in v],
            "one_shot_command": f"riskattest verify --attestation A --market {market} --circuit {circuit} --trust "
                                f"{key}.pub --nonce N",
        }
        log(f"ratio: service {res['service_verify_ms']['median']:.1f} ms, one-shot {res['one_shot_ms']['median']:.1f} ms,"
            f" ratio {res['ratio']:.3f} (target ≤ 0.40); submit→result {res['service_submit_to_result_ms']['median']:.1f} ms")
        return res

    # -----------------------------------------------------------------------------------------

    def dump(self):
        with open(self.a.json, "w") as f:
            json.dump(self.doc, f, indent=1, sort_keys=True)


def machine():
    model = ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        model = next((l.split(":", 1)[1].strip() for l in out.splitlines() if l.startswith("Model name")), "")
    except OSError:
        pass
    return {"nproc": CORES, "cpu": model, "kernel": platform.release(), "python": platform.python_version()}


def table(doc):
    lines = []
    runs = doc.get("load", [])
    if runs:
        lines.append(f"{doc['count']} attestations from {doc['members']} members, {doc['clients']} in flight"
                     + (f", at most {doc['rate']:g}/s" if doc.get("rate") else "") + "; "
                     f"latency = received_us (attestations) → verified_us (results); per core = ÷ {CORES}")
        lines.append("| configuration | round | p50 ms | p99 ms | max ms | wall s | att/s | att/s/core | POST p50/p99 ms "
                     "| intake/s | batches (size:count) | verifier busy |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in runs:
            busy = ", ".join(f"{w} {v['verify_busy']:.2f}" for w, v in sorted(r["workers"].items()))
            sizes = " ".join(f"{k}:{v}" for k, v in sorted(r["batch_sizes"].items(), key=lambda kv: int(kv[0])))
            lines.append(f"| {r['config']} | {r['round']} | {r['latency_ms']['p50']:.0f} | {r['latency_ms']['p99']:.0f} "
                         f"| {r['latency_ms']['max']:.0f} | {r['wall_s']:.1f} | {r['throughput_per_s']:.1f} "
                         f"| {r['throughput_per_s_per_core']:.1f} | {r['intake']['post_ms_p50']:.1f} / "
                         f"{r['intake']['post_ms_p99']:.1f} | {r['intake']['per_s']:.0f} | {sizes} | {busy} |")
    if doc.get("ratio"):
        for r in doc["ratio"]:
            lines.append(f"256 instruments ({r['attestation_bytes']} bytes), {r['reps']} alternated: one-shot verify "
                         f"{r['one_shot_ms']['median']:.1f} ms (min {r['one_shot_ms']['min']:.1f}), service warm verify "
                         f"{r['service_verify_ms']['median']:.1f} ms (min {r['service_verify_ms']['min']:.1f}); ratio "
                         f"{r['ratio']:.3f} (target ≤ 0.40); service submit→result "
                         f"{r['service_submit_to_result_ms']['median']:.1f} ms; first (cold) batch "
                         f"{r['first_batch_verify_ms']:.0f} ms")
            if r.get("batches"):
                lines.append("  batches (size: verify ms, attestations/s): " + ", ".join(
                    f"{b['size']}: {b['verify_ms']:.0f}, {b['attestations_per_s']:.1f}" for b in r["batches"]))
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("step", nargs="?", default="all", choices=["all", "seed", "load", "ratio", "table"])
    p.add_argument("--bin", default=os.path.join(REPO, ".build/release/riskattest"), help="riskattest binary measured")
    p.add_argument("--inputs-bin", help="binary whose `bench warm-verify --write-only` writes the 256-instrument "
                                        "inputs (default --bin)")
    p.add_argument("--postgres", default=os.environ.get("RISKATTEST_BENCH_POSTGRES_URL"),
                   help="postgres://USER:PASSWORD@HOST:PORT/DB of a role with CREATEDB (.ci/postgres.sh prints one)")
    p.add_argument("--work", default=os.path.join(REPO, ".build/bench-service"))
    p.add_argument("--json", help="write the results here (default WORK/results.json)")
    p.add_argument("--configs", default=",".join(CONFIGS))
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--members", type=int, default=50)
    p.add_argument("--clients", type=int, default=8, help="requests in flight")
    p.add_argument("--rate", type=float, help="submit at most this many attestations a second (default: as fast "
                                              "as the clients are answered)")
    p.add_argument("--provers", type=int, default=CORES, help="prove processes at a time when seeding")
    p.add_argument("--reps", type=int, default=20, help="ratio: alternated repetitions")
    p.add_argument("--ratio-rounds", type=int, default=2)
    p.add_argument("--ratio-batch", type=int, default=32,
                   help="ratio: then this many more 256-instrument attestations at once (batch throughput)")
    p.add_argument("--reseed", action="store_true")
    p.add_argument("--pg-analyze-every", type=float, default=3.0,
                   help="PostgreSQL: ANALYZE the run's commitments every this many seconds, as autovacuum keeps "
                        "a live database's statistics current (0: leave it to autovacuum)")
    p.add_argument("--keep-db", action="store_true", help="keep the PostgreSQL databases of the runs (dropped by default)")
    p.add_argument("--ignore-busy", action="store_true", help="measure even while compile jobs run (trying the script)")
    a = p.parse_args()
    global IGNORE_BUSY
    IGNORE_BUSY = a.ignore_busy
    if a.count % a.members:
        raise SystemExit("--count must be a multiple of --members")
    a.json = a.json or os.path.join(a.work, "results.json")
    b = Bench(a)
    if a.step == "table":
        with open(a.json) as f:
            print(table(json.load(f)))
        return
    if not os.access(b.bin, os.X_OK):
        raise SystemExit(f"no riskattest binary at {b.bin} (make build)")
    b.doc = {"machine": machine(), "binary": b.bin, "count": a.count, "members": a.members, "clients": a.clients,
             "rate": a.rate,
             "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
             "postgres": b.pg.settings() if b.pg else None}
    if a.step in ("all", "seed", "load"):
        info = b.seed(force=a.reseed)
        b.doc["seed"] = {k: v for k, v in info.items() if k != "jobs"}
        if a.step != "seed":
            b.load(info)
    if a.step in ("all", "ratio"):
        b.doc["ratio"] = []
        for _ in range(a.ratio_rounds):
            b.doc["ratio"].append(b.ratio())
            b.dump()
    b.dump()
    print(table(b.doc))
    log(f"wrote {a.json}")


if __name__ == "__main__":
    main()
