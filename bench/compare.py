#!/usr/bin/env python3
"""bench/compare: PetaCore vs a real Redis, side by side, on this machine, in one run.

Starts (on free loopback ports) a real redis-server (persistence off), PetaCore standalone,
an etcd member (scripts/start-etcd.sh) and PetaCore replicated on it. Runs redis-benchmark
with the same flags against each target,

  -t set,get,incr,lpush,hset,zadd -r 100000 at -c 1, -c 50, -c 50 -P 16, -d 3 and -d 256,

one test per redis-benchmark call, alternating the targets for every test (redis, standalone,
replicated, redis, ...) for --rounds rounds, and reports medians. The "one etcd Put per
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

        # samples[(test, cfg, size, target)] = [(rps, p50, p99, err), ...]
        samples = {}
        requests = {}
        for rnd in range(rounds):
            for cfg in configs:
                clients, pipeline, _, _ = CONFIGS[cfg]
                for size in sizes:
                    for test in tests:
                        for name, port in targets:
                            req = requests_for(name, test, cfg)
                            requests[(test, cfg, size, name)] = req
                            r = run_benchmark(port, test, req, clients, pipeline, size,
                                              args.keyspace, args.timeout)
                            samples.setdefault((test, cfg, size, name), []).append(r)
                            print(f"round {rnd + 1}/{rounds} {test:6} {cfg:7} -d {size:<4} "
                                  f"{name:20} " + (f"{r[0]:>10,.0f} ops/s" if r[0] is not None
                                                   else f"error: {r[3]}"), flush=True)
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
        f"{m} / {int(m * 0.1)} / {int(m * 2)}. Median of {rounds} alternating round(s); "
        f"took {elapsed / 60:.1f} min. etcd-put = bench/etcd_put: blocking etcd Puts "
        f"(3-byte values) at the same concurrency, {put_s:g} s per run.", "",
        "| test | -c | -P | -d | target | -n | ops/s | p50 ms | p99 ms | ops/s ÷ Redis |",
        "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|"]
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
                    lines.append(
                        f"| {test.upper()} | {clients} | {pipeline} | {size} | {name} | "
                        f"{requests[(test, cfg, size, name)]} | {cell} | {benchlib.fmt_ms(p50)} | "
                        f"{benchlib.fmt_ms(p99)} | {benchlib.fmt_ratio(rps, base)} |")
                    csv_rows.append([test.upper(), clients, pipeline, size, name,
                                     requests[(test, cfg, size, name)], len(ok),
                                     "" if rps is None else f"{rps:.1f}", benchlib.fmt_ms(p50),
                                     benchlib.fmt_ms(p99),
                                     benchlib.fmt_ratio(rps, base), err,
                                     ";".join("" if r[0] is None else f"{r[0]:.1f}"
                                              for r in rows), desc])
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
         "p50_ms", "p99_ms", "ratio_vs_redis", "error", "rounds_ops_per_sec", "machine"])


if __name__ == "__main__":
    main()
