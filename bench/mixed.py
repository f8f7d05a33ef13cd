#!/usr/bin/env python3
"""bench/mixed: a mixed GET/SET workload (bench/loader) against Redis and PetaCore.

Starts a real redis-server (persistence off), PetaCore standalone, an etcd member and PetaCore
replicated on it (free loopback ports). Pre-loads --keys keys (key:0 .. key:K-1) into each with
`loader --load`, then runs `loader` with the same flags against each target: --clients
connections for --duration seconds, Zipfian keys (s = --zipf) over K keys, GET/SET mixes
90/10 and 50/50, --value-size byte values, optional --pipeline. The targets alternate for
every mix (redis, standalone, replicated, redis, ...) for --rounds rounds; medians reported.

  bench/mixed             # full run: 50 clients, 10 s per run, 100000 keys, 3 rounds
  bench/mixed --quick     # smoke run: 1 s per run, 10000 keys, 1 round
  bench/mixed --mixes 90 --pipeline 16 --clients 20
"""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smoke preset: 1 s runs, 1 round")
    p.add_argument("--duration", type=float, help="seconds per run (default 10)")
    p.add_argument("--rounds", type=int, help="default 3")
    p.add_argument("--keys", type=int, help="K (default 100000)")
    p.add_argument("--mixes", default="90,50", help="read percentages")
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--zipf", type=float, default=0.99)
    p.add_argument("--value-size", type=int, default=100)
    p.add_argument("--pipeline", type=int, default=1)
    p.add_argument("--targets", default="redis,standalone,replicated")
    benchlib.add_build_args(p)
    args = p.parse_args()
    q = args.quick
    duration = args.duration or (1.0 if q else 10.0)
    rounds = args.rounds or (1 if q else 3)
    keys = args.keys or (10000 if q else 100000)
    mixes = [int(x) for x in args.mixes.split(",")]
    wanted = [t.strip() for t in args.targets.split(",")]

    bins = benchlib.ensure_binaries(["petacore-server", "loader"], no_build=args.no_build)
    h = benchlib.harness()
    desc = benchlib.machine()
    started = time.monotonic()
    common = ["--clients", str(args.clients), "--duration", str(duration), "--keys", str(keys),
              "--zipf", str(args.zipf), "--value-size", str(args.value_size), "--pipeline",
              str(args.pipeline)]

    samples = {}  # (mix, target) -> [result dict or {"error": ...}]
    load_rates = {}
    servers = benchlib.Targets(h, wanted)
    targets = servers.ports()
    try:
        for name, port in targets:
            out = subprocess.run([bins["loader"], "--port", str(port), "--load", str(keys),
                                  "--value-size", str(args.value_size), "--clients", "50",
                                  "--pipeline", "20"], capture_output=True, text=True,
                                 timeout=3600)
            r = benchlib.parse_result_line(out.stdout)
            load_rates[name] = r.get("keys_per_sec")
            print(f"pre-load {name}: {out.stdout.strip().splitlines()[0] if out.stdout else ''}"
                  f"{out.stderr.strip()}", flush=True)
        for rnd in range(rounds):
            for mix in mixes:
                for name, port in targets:
                    cmd = [bins["loader"], "--port", str(port), "--read-ratio",
                           str(mix / 100), "--seed", str(rnd + 1), *common]
                    try:
                        out = subprocess.run(cmd, capture_output=True, text=True,
                                             timeout=duration + 300)
                        r = benchlib.parse_result_line(out.stdout)
                        if not r or r.get("failed"):
                            r = {"error": (out.stdout + out.stderr).strip()[-80:] or "failed"}
                        elif r.get("errors"):
                            r["error"] = f"{int(r['errors'])} error replies"
                    except subprocess.TimeoutExpired:
                        r = {"error": "timeout"}
                    samples.setdefault((mix, name), []).append(r)
                    print(f"round {rnd + 1}/{rounds} {mix}/{100 - mix} {name:20} " +
                          (f"{r['ops_per_sec']:>10,.0f} ops/s" if "ops_per_sec" in r
                           else f"error: {r['error']}"), flush=True)
    finally:
        servers.close()
    elapsed = time.monotonic() - started

    lines = [
        "## Mixed GET/SET workload (bench/loader)", "",
        f"Machine: {desc}", "",
        f"loader {' '.join(common)}: {args.clients} connections, Zipfian (s={args.zipf}) over "
        f"{keys} pre-loaded keys, {args.value_size}-byte values, pipeline {args.pipeline}; "
        f"{duration:g} s per run, median of {rounds} alternating round(s); took "
        f"{elapsed / 60:.1f} min.", "",
        "| GET/SET | target | ops/s | GET p50 ms | GET p99 ms | SET p50 ms | SET p99 ms "
        "| ops/s ÷ Redis |",
        "|---|---|---:|---:|---:|---:|---:|---:|"]
    keys_csv = ["ops_per_sec", "read_ops_per_sec", "write_ops_per_sec", "read_p50_ms",
                "read_p99_ms", "write_p50_ms", "write_p99_ms"]
    csv_rows = []
    for mix in mixes:
        base = None
        for name, _ in targets:
            rows = samples.get((mix, name), [])
            ok = [r for r in rows if "ops_per_sec" in r]
            err = next((r["error"] for r in rows if "error" in r), "")
            med = {k: benchlib.median(r[k] for r in ok) for k in keys_csv}
            if name == "redis":
                base = med["ops_per_sec"]
            cell = benchlib.fmt_rate(med["ops_per_sec"]) if ok else f"error: {err}"
            if ok and err:
                cell += f" ({err})"
            lines.append(
                f"| {mix}/{100 - mix} | {name} | {cell} | {benchlib.fmt_ms(med['read_p50_ms'])} |"
                f" {benchlib.fmt_ms(med['read_p99_ms'])} | {benchlib.fmt_ms(med['write_p50_ms'])}"
                f" | {benchlib.fmt_ms(med['write_p99_ms'])} | "
                f"{benchlib.fmt_ratio(med['ops_per_sec'], base)} |")
            csv_rows.append([f"{mix}/{100 - mix}", name, len(ok)] +
                            ["" if med[k] is None else f"{med[k]:.3f}" for k in keys_csv] +
                            [benchlib.fmt_ratio(med["ops_per_sec"], base), err, desc])
    lines += ["", "Pre-load (loader --load, 50 connections, pipeline 20): " +
              ", ".join(f"{name} {benchlib.fmt_rate(v)} keys/s" for name, v in load_rates.items())]
    benchlib.write_results("mixed", "\n".join(lines), csv_rows,
                           ["mix", "target", "ok_rounds", *keys_csv, "ratio_vs_redis", "error",
                            "machine"])


if __name__ == "__main__":
    main()
