#!/usr/bin/env python3
"""bench/memory: resident memory of Redis and PetaCore holding the same keys.

Starts a real redis-server (persistence off), PetaCore standalone and (unless
--no-replicated) an etcd member with PetaCore replicated on it. Loads --keys string keys
(key:0 .. key:N-1, --value-size byte values) into each with `loader --load` (pipelined),
then reports INFO memory used_memory_rss (and /proc VmRSS) before and after, DBSIZE, bytes
per key and the ratio PetaCore/Redis. "After" is the settled RSS: sampled every 2 s until it
falls by less than 1 % between samples (at most 30 s), since the allocator (jemalloc, as
Redis's) returns the pages of transient allocations — a replicated node's watch batches —
over its decay time; the RSS 1 s after the load is reported beside it. Targets are loaded one
after the other.

  bench/memory            # 1,000,000 keys of 100 bytes
  bench/memory --quick    # 100,000 keys
"""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402


def measure(port, pid):
    rss = benchlib.info_field(port, "memory", "used_memory_rss")
    return (int(rss) if rss and rss.isdigit() else None), benchlib.rss_bytes(pid)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smoke preset: 100000 keys")
    p.add_argument("--keys", type=int, help="default 1000000")
    p.add_argument("--value-size", type=int, default=100)
    p.add_argument("--no-replicated", action="store_true")
    benchlib.add_build_args(p)
    args = p.parse_args()
    keys = args.keys or (100000 if args.quick else 1000000)

    bins = benchlib.ensure_binaries(["petacore-server", "loader"], no_build=args.no_build)
    h = benchlib.harness()
    desc = benchlib.machine()
    results = []  # (name, before_rss, after_rss, vmrss_after, dbsize, load keys/s, error)
    etcd_rss = None
    started = time.monotonic()
    wanted = ["redis", "standalone"] + ([] if args.no_replicated else ["replicated"])
    servers = benchlib.Targets(h, wanted)
    targets = servers.list
    etcd = servers.etcd
    try:
        for name, port, pid in targets:
            before, _ = measure(port, pid)
            out = subprocess.run([bins["loader"], "--port", str(port), "--load", str(keys),
                                  "--value-size", str(args.value_size), "--clients", "50",
                                  "--pipeline", "20"], capture_output=True, text=True,
                                 timeout=7200)
            r = benchlib.parse_result_line(out.stdout)
            err = "" if r and not r.get("errors") and not r.get("failed") else (
                (out.stdout + out.stderr).strip()[-100:] or "load failed")
            time.sleep(1.0)  # let lazy work (replicated: the watch applying) settle
            dbsize = subprocess.run(["redis-cli", "-p", str(port), "dbsize"], capture_output=True,
                                    text=True, timeout=60).stdout.strip()
            right_after, _ = measure(port, pid)
            after, vmrss = right_after, None
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                time.sleep(2.0)
                now, vmrss = measure(port, pid)
                settled = after is not None and now is not None and now > after * 0.99
                after = now
                if settled:
                    break
            results.append((name, before, after, vmrss, dbsize, r.get("keys_per_sec"), err,
                            right_after))
            print(f"{name}: {out.stdout.strip().splitlines()[0] if out.stdout else err}; "
                  f"DBSIZE {dbsize}; used_memory_rss {benchlib.human_bytes(after)}", flush=True)
        if etcd is not None:
            etcd_rss = benchlib.rss_bytes(etcd.pid)
    finally:
        servers.close()
    elapsed = time.monotonic() - started

    base = next((r[2] for r in results if r[0] == "redis"), None)
    lines = ["## Memory: the same keys in Redis and PetaCore", "",
             f"Machine: {desc}", "",
             f"{keys:,} string keys of {args.value_size} bytes loaded with `loader --load` "
             f"(50 connections, pipeline 20); RSS = INFO memory used_memory_rss (VmRSS in "
             f"brackets), 1 s after loading and settled (every 2 s until it falls by less than "
             f"1 %, at most 30 s); bytes/key and the ratio from the settled RSS; took "
             f"{elapsed / 60:.1f} min.", "",
             "| target | DBSIZE | RSS empty | RSS 1 s after | RSS settled | bytes/key | "
             "load keys/s | RSS ÷ Redis |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    csv_rows = []
    for name, before, after, vmrss, dbsize, rate, err, right_after in results:
        per_key = (after - before) / keys if after and before is not None else None
        lines.append(
            f"| {name} | {dbsize}{' (' + err + ')' if err else ''} | "
            f"{benchlib.human_bytes(before)} | {benchlib.human_bytes(right_after)} | "
            f"{benchlib.human_bytes(after)} ({benchlib.human_bytes(vmrss)}) | "
            f"{'' if per_key is None else f'{per_key:.0f}'} | "
            f"{benchlib.fmt_rate(rate)} | {benchlib.fmt_ratio(after, base)} |")
        csv_rows.append([name, keys, args.value_size, dbsize, before, after, vmrss,
                         "" if per_key is None else f"{per_key:.1f}",
                         "" if rate is None else f"{rate:.0f}", benchlib.fmt_ratio(after, base),
                         err, desc, right_after])
    if etcd_rss:
        lines += ["", f"etcd's own RSS (for the replicated node) at the end: "
                      f"{benchlib.human_bytes(etcd_rss)}."]
    benchlib.write_results("memory", "\n".join(lines), csv_rows,
                           ["target", "keys", "value_size", "dbsize", "rss_empty", "rss_loaded",
                            "vmrss_loaded", "bytes_per_key", "load_keys_per_sec",
                            "ratio_vs_redis", "error", "machine", "rss_1s_after_load"])


if __name__ == "__main__":
    main()
