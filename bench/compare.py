#!/usr/bin/env python3
"""bench/compare: PetaCore vs a real Redis, side by side, on this machine, in one run.

Starts (on free loopback ports) a real redis-server (persistence off), PetaCore standalone,
an etcd member (scripts/start-etcd.sh) and PetaCore replicated on it. Runs redis-benchmark
with the same flags against each target,

  -t set,get,incr,lpush,hset,zadd -r 100000 at -c 1, -c 50, -c 50 -P 16, -d 3 and -d 256,

one test per redis-benchmark call, every target for every test, for --rounds rounds, and
reports medians. The order of the targets rotates from round to round (round 1: redis,
standalone, replicated; round 2: standalone, replicated, redis; ...), so no target always
runs right after another's etcd-heavy writes.

Like with like: before the tests of each value size, every target is preloaded with the same
keys, key:000000000000 .. key:<-r - 1>, holding -d-byte values (the keys redis-benchmark's
GET reads), so a GET hits on every target alike; before a LRANGE test "mylist" is rebuilt
with the same 600 elements everywhere. Each row reports the keys present before the test
(DBSIZE ÷ -r) and the keyspace hits and misses the server counted during it (INFO stats
deltas; "n/c" when the server did not count any). Every table states the io threads of each
server (Redis's io-threads, PetaCore's --threads). The "one etcd Put per
request" baseline (bench/etcd_put, target "etcd-put") runs against the same etcd at -c 1 and
-c 50 with 3-byte values, in the same rounds. A test a target fails (an error reply, which
makes redis-benchmark skip the test, or a timeout) shows as an error row, not a crash.

Request counts: -n N at -c 50, N/5 at -c 1, 5N at -P 16 (same for every target), except the
replicated node's write tests, which are etcd-bound: --replicated-requests M at -c 50, M/10
at -c 1, 2M at -P 16.

  bench/compare            # full run: N=100000, M=10000, 3 rounds
  bench/compare --quick    # smoke run: N=2000, M=1000, 1 round, 0.5 s of etcd-put
  bench/compare --tests set,get --configs c50 --sizes 3 --rounds 5
"""
import argparse
import csv
import io
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

WRITE_TESTS = {"set", "incr", "lpush", "hset", "zadd", "sadd", "rpush", "mset", "spop", "lpop",
               "rpop"}
CONFIGS = {  # name: (clients, pipeline, request multiplier, replicated-write multiplier)
    "c1": (1, 1, 0.2, 0.1),
    "c50": (50, 1, 1.0, 1.0),
    "c50p16": (50, 16, 5.0, 2.0),
}


def run_benchmark(port, test, requests, clients, pipeline, size, keyspace, timeout):
    """One redis-benchmark test. Returns (rps, p50, p99, None) or (None, None, None, error)."""
    cmd = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-t", test, "-n",
           str(requests), "-c", str(clients), "-P", str(pipeline), "-d", str(size), "-r",
           str(keyspace), "--csv"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, None, None, f"timeout after {timeout}s"
    # redis-benchmark 7 prints "Error from server: ..." and skips a test on its first error
    # reply, and exits on a lost connection; only a CSV row means the test completed.
    errors = [ln for ln in (proc.stdout + proc.stderr).splitlines()
              if ln.strip() and not ln.startswith('"')]
    csv_text = "\n".join(ln for ln in proc.stdout.splitlines() if ln.startswith('"'))
    for row in csv.DictReader(io.StringIO(csv_text)):
        try:
            return (float(row["rps"]), float(row["p50_latency_ms"]),
                    float(row["p99_latency_ms"]), None)
        except (KeyError, ValueError):
            break
    errors.sort(key=lambda ln: "rror" not in ln)  # "Error from server: ..." first
    msg = errors[0] if errors else f"no result (exit {proc.returncode})"
    msg = msg.replace("Error from server: ", "").split(", with args")[0]
    return None, None, None, msg.replace("|", "/")[:80]


READ_TESTS = {"get"}  # plus every lrange* test
LIST_ELEMENTS = 600


def resp(*args):
    """A command as a RESP multibulk request."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    """A plain RESP connection for the preloads and INFO reads (replies read line-wise:
    only simple, integer and bulk replies are expected)."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=300)
        self.buf = b""

    def close(self):
        self.sock.close()

    def _line(self):
        while b"\r\n" not in self.buf:
            data = self.sock.recv(1 << 20)
            if not data:
                raise ConnectionError("closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        line = self._line()
        if line[:1] == b"-":
            raise RuntimeError(line[1:].decode(errors="replace"))
        if line[:1] == b"$":
            n = int(line[1:])
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.sock.recv(1 << 20)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        return line[1:]

    def pipeline(self, requests):
        """Sends every request, then reads (and returns) their replies in order."""
        self.sock.sendall(b"".join(requests))
        return [self.reply() for _ in requests]


def preload_keys(port, keyspace, size, batch=1000):
    """SETs key:000000000000 .. key:<keyspace - 1> (redis-benchmark's key names) to
    size-byte values, MSET by MSET (batch keys each), pipelined 10 at a time."""
    c = Conn(port)
    try:
        value = b"x" * size
        reqs = []
        for lo in range(0, keyspace, batch):
            args = [b"MSET"]
            for i in range(lo, min(lo + batch, keyspace)):
                args += [b"key:%012d" % i, value]
            reqs.append(resp(*args))
            if len(reqs) == 10:
                c.pipeline(reqs)
                reqs = []
        if reqs:
            c.pipeline(reqs)
    finally:
        c.close()


def preload_list(port, size):
    """"mylist" (redis-benchmark's LRANGE key) rebuilt with LIST_ELEMENTS size-byte
    elements."""
    c = Conn(port)
    try:
        c.pipeline([resp("DEL", "mylist"), resp("RPUSH", "mylist",
                                                 *[b"x" * size] * LIST_ELEMENTS)])
    finally:
        c.close()


def server_facts(port):
    """(DBSIZE, keyspace_hits, keyspace_misses) of the server now."""
    c = Conn(port)
    try:
        dbsize, info = c.pipeline([resp("DBSIZE"), resp("INFO", "stats")])
    finally:
        c.close()
    stats = dict(ln.split(":", 1) for ln in info.decode().splitlines() if ":" in ln)
    return int(dbsize), int(stats.get("keyspace_hits", 0)), int(stats.get("keyspace_misses", 0))


def io_threads(port):
    """The server's CONFIG GET io-threads (Redis: io-threads; PetaCore: its --threads)."""
    c = Conn(port)
    try:
        c.sock.sendall(resp("CONFIG", "GET", "io-threads"))
        head = c._line()  # *2
        if head != b"*2":
            return "?"
        c.reply()
        return c.reply().decode()
    except (RuntimeError, ConnectionError, OSError):
        return "?"
    finally:
        c.close()


def is_read(test):
    return test in READ_TESTS or test.startswith("lrange")


def run_etcd_put(tool, endpoint, clients, seconds, size):
    cmd = [tool, "--endpoints", endpoint, "--clients", str(clients), "--duration", str(seconds),
           "--value-size", str(size)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    except subprocess.TimeoutExpired:
        return None, None, None, "timeout"
    r = benchlib.parse_result_line(proc.stdout)
    if not r or not r.get("ops"):
        return None, None, None, (proc.stdout + proc.stderr).strip()[-80:] or "no result"
    return r["ops_per_sec"], r["p50_ms"], r["p99_ms"], None


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smoke preset: tiny N, 1 round")
    p.add_argument("--requests", type=int, help="N: requests at -c 50 (default 100000)")
    p.add_argument("--replicated-requests", type=int,
                   help="M: requests for the replicated node's write tests at -c 50 "
                        "(default 10000)")
    p.add_argument("--rounds", type=int, help="alternating rounds, median reported (default 3)")
    p.add_argument("--tests", default="set,get,incr,lpush,hset,zadd")
    p.add_argument("--configs", default="c1,c50,c50p16", help=f"of {','.join(CONFIGS)}")
    p.add_argument("--sizes", default="3,256", help="value sizes (-d)")
    p.add_argument("--keyspace", type=int, default=100000, help="-r")
    p.add_argument("--targets", default="redis,standalone,replicated,etcd-put")
    p.add_argument("--etcd-put-seconds", type=float, help="per etcd-put run (default 5)")
    p.add_argument("--timeout", type=int, default=900, help="per redis-benchmark call (s)")
    benchlib.add_build_args(p)
    args = p.parse_args()
    q = args.quick
    n = args.requests or (2000 if q else 100000)
    m = args.replicated_requests or (1000 if q else 10000)
    rounds = args.rounds or (1 if q else 3)
    put_s = args.etcd_put_seconds or (0.5 if q else 5.0)
    tests = [t.strip().lower() for t in args.tests.split(",") if t.strip()]
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    for c in configs:
        if c not in CONFIGS:
            p.error(f"unknown config {c}")
    sizes = [int(s) for s in args.sizes.split(",")]
    wanted = [t.strip() for t in args.targets.split(",")]

    bins = benchlib.ensure_binaries(["petacore-server", "etcd_put"], no_build=args.no_build)
    h = benchlib.harness()
    desc = benchlib.machine()
    started = time.monotonic()

    servers = benchlib.Targets(h, wanted, need_etcd="etcd-put" in wanted)
    targets = servers.ports()
    etcd = servers.etcd
    try:
        with_put = "etcd-put" in wanted

        def requests_for(name, test, cfg):
            _, _, mult, rmult = CONFIGS[cfg]
            if name == "petacore-replicated" and test in WRITE_TESTS:
                return max(1, int(m * rmult))
            return max(1, int(n * mult))

        # Warm-up (not recorded): connections, etcd's first writes, allocator pools.
        for name, port in targets:
            for cfg in configs:
                clients, pipeline, _, _ = CONFIGS[cfg]
                run_benchmark(port, "set,get", max(clients * pipeline * 4, requests_for(
                    name, "set", cfg) // 10), clients, pipeline, sizes[0], args.keyspace,
                    args.timeout)

        threads = {name: io_threads(port) for name, port in targets}
        # samples[(test, cfg, size, target)] = [(rps, p50, p99, err), ...]
        samples = {}
        requests = {}
        counts = {}  # (test, cfg, size, target): [keys present, -r, hits, misses] summed
        preload_s = {}
        any_read = any(is_read(t) for t in tests)
        for rnd in range(rounds):
            k = rnd % len(targets)
            order_now = targets[k:] + targets[:k]
            for size in sizes:
                if any_read:
                    for name, port in order_now:
                        t0 = time.monotonic()
                        preload_keys(port, args.keyspace, size)
                        preload_s[name] = preload_s.get(name, 0) + time.monotonic() - t0
                for cfg in configs:
                    clients, pipeline, _, _ = CONFIGS[cfg]
                    for test in tests:
                        for name, port in order_now:
                            if test.startswith("lrange"):
                                preload_list(port, size)
                            req = requests_for(name, test, cfg)
                            requests[(test, cfg, size, name)] = req
                            before = server_facts(port)
                            r = run_benchmark(port, test, req, clients, pipeline, size,
                                              args.keyspace, args.timeout)
                            after = server_facts(port)
                            acc = counts.setdefault((test, cfg, size, name), [0, 0, 0, 0])
                            acc[0] += before[0]
                            acc[1] += args.keyspace
                            acc[2] += after[1] - before[1]
                            acc[3] += after[2] - before[2]
                            samples.setdefault((test, cfg, size, name), []).append(r)
                            print(f"round {rnd + 1}/{rounds} {test:6} {cfg:7} -d {size:<4} "
                                  f"{name:20} " + (f"{r[0]:>10,.0f} ops/s" if r[0] is not None
                                                   else f"error: {r[3]}") +
                                  f"  keys {before[0]}/{args.keyspace} hits "
                                  f"{after[1] - before[1]} misses {after[2] - before[2]}",
                                  flush=True)
                        if test == "set" and with_put and pipeline == 1 and size == sizes[0]:
                            r = run_etcd_put(bins["etcd_put"], etcd.endpoint, clients, put_s,
                                             3)
                            samples.setdefault((test, cfg, 3, "etcd-put"), []).append(r)
                            requests[(test, cfg, 3, "etcd-put")] = f"{put_s:g} s"
                            print(f"round {rnd + 1}/{rounds} set    {cfg:7} -d 3    etcd-put"
                                  "             " + (f"{r[0]:>10,.0f} ops/s" if r[0] is not None
                                                     else f"error: {r[3]}"), flush=True)
    finally:
        servers.close()
    elapsed = time.monotonic() - started

    order = [name for name, _ in targets] + (["etcd-put"] if with_put else [])
    lines = [
        "## PetaCore vs Redis (redis-benchmark)", "",
        f"Machine: {desc}", "",
        f"redis-benchmark -t {','.join(tests)} -r {args.keyspace}; -n {n} at -c 50, "
        f"{int(n * 0.2)} at -c 1, {int(n * 5)} at -c 50 -P 16; replicated write tests: "
        f"{m} / {int(m * 0.1)} / {int(m * 2)}. Median of {rounds} round(s), the target order "
        f"rotating each round; took {elapsed / 60:.1f} min. etcd-put = bench/etcd_put: "
        f"blocking etcd Puts (3-byte values) at the same concurrency, {put_s:g} s per run.", "",
        "io threads: " + ", ".join(f"{name} {threads[name]}" for name, _ in targets) +
        " (Redis: io-threads; PetaCore: --threads, from CONFIG GET io-threads).", "",
        ("Every target preloaded with the same " + f"{args.keyspace} keys (-d bytes each) "
         "before each value size's tests" + (" (preload time: " + ", ".join(
             f"{k} {v:.0f} s" for k, v in preload_s.items()) + ")" if preload_s else "") +
         ". keys = DBSIZE ÷ -r before the test; hits / misses = INFO keyspace_hits / "
         "keyspace_misses deltas summed over the rounds (n/c: the server counted none)."
         if any_read else "No read test: no preload."), "",
        "| test | -c | -P | -d | target | -n | ops/s | p50 ms | p99 ms | ops/s ÷ Redis "
        "| keys | hits | misses |",
        "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    csv_rows = []
    med = {}
    for test in tests:
        for cfg in configs:
            clients, pipeline, _, _ = CONFIGS[cfg]
            for size in sizes:
                base = None
                for name in order:
                    rows = samples.get((test, cfg, size, name))
                    if not rows:
                        continue
                    ok = [r for r in rows if r[0] is not None]
                    err = next((r[3] for r in rows if r[3]), "")
                    rps = benchlib.median(r[0] for r in ok)
                    p50 = benchlib.median(r[1] for r in ok)
                    p99 = benchlib.median(r[2] for r in ok)
                    med[(test, cfg, size, name)] = rps
                    if name == "redis":
                        base = rps
                    note = ""
                    if err and ok:
                        note = f" ({len(rows) - len(ok)}/{len(rows)} failed)"
                    cell = benchlib.fmt_rate(rps) + note if ok else f"error: {err}"
                    present, space, hits, misses = counts.get((test, cfg, size, name),
                                                              [0, 0, 0, 0])
                    keys = f"{present / space:.0%}" if space else ""
                    counted = hits or misses
                    hit_cell = str(hits) if counted else "n/c"
                    miss_cell = str(misses) if counted else "n/c"
                    lines.append(
                        f"| {test.upper()} | {clients} | {pipeline} | {size} | {name} | "
                        f"{requests[(test, cfg, size, name)]} | {cell} | {benchlib.fmt_ms(p50)} | "
                        f"{benchlib.fmt_ms(p99)} | {benchlib.fmt_ratio(rps, base)} | {keys} | "
                        f"{hit_cell} | {miss_cell} |")
                    csv_rows.append([test.upper(), clients, pipeline, size, name,
                                     requests[(test, cfg, size, name)], len(ok),
                                     "" if rps is None else f"{rps:.1f}", benchlib.fmt_ms(p50),
                                     benchlib.fmt_ms(p99),
                                     benchlib.fmt_ratio(rps, base), err,
                                     ";".join("" if r[0] is None else f"{r[0]:.1f}"
                                              for r in rows), desc, keys,
                                     hits if counted else "", misses if counted else "",
                                     threads.get(name, "")])
    if with_put and "petacore-replicated" in order and "set" in tests:
        lines += ["", "Group commit: replicated SET ÷ one-Put-per-request to the same etcd "
                  "(goal ≥ 5×):", ""]
        for cfg in configs:
            clients, pipeline, _, _ = CONFIGS[cfg]
            put = med.get(("set", cfg, 3, "etcd-put"))
            rep = med.get(("set", cfg, 3, "petacore-replicated"))
            if pipeline == 1 and put and sizes[0] == 3:
                ratio = f"{rep / put:.1f}×" if rep else "n/a"
                lines.append(f"- -c {clients}: {benchlib.fmt_rate(rep) or 'error'} vs "
                             f"{benchlib.fmt_rate(put)} ops/s = {ratio}")
    benchlib.write_results(
        "compare", "\n".join(lines), csv_rows,
        ["test", "clients", "pipeline", "size", "target", "requests", "ok_rounds", "ops_per_sec",
         "p50_ms", "p99_ms", "ratio_vs_redis", "error", "rounds_ops_per_sec", "machine",
         "keys_present", "keyspace_hits", "keyspace_misses", "io_threads"])


if __name__ == "__main__":
    main()
