#!/usr/bin/env python3
"""bench/startup: how fast a replicated PetaCore node comes up on a populated etcd.

Starts an etcd member (scripts/start-etcd.sh, free loopback ports) and puts --keys string keys
(key:0 .. key:N-1, --value-size bytes) under PetaCore's prefix: by default straight into etcd
with `etcd_put --bulk --petacore` (Txns of 1000 Puts in PetaCore's encoding), or with
--load-with petacore through a replicated node and `loader --load`. Then, --rounds times,
starts petacore-server on that etcd and times process start -> first +PONG; reports that,
the server's own "keys_loaded=... load_time=..." line and keys/s. The first round also checks
DBSIZE and one value.

  bench/startup           # 1,000,000 keys of 100 bytes, 3 rounds
  bench/startup --quick   # 100,000 keys, 1 round
"""
import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

PREFIX = "/petacore/"


def ping(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def start_and_time(server, h, etcd, timeout):
    """Starts a replicated node; returns (seconds to +PONG, keys_loaded, load_time, port, proc,
    log path)."""
    port = h.free_port()
    log_path = tempfile.mktemp(prefix="petacore-startup-", suffix=".log")
    log = open(log_path, "wb")
    args = [server, "--port", str(port), "--threads", "2", "--etcd-endpoints", etcd.endpoint,
            "--etcd-prefix", PREFIX, "--etcd-max-txn-ops", "10000",
            "--etcd-max-request-bytes", "10485760"]
    t0 = time.monotonic()
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    elapsed = None
    while time.monotonic() - t0 < timeout:
        if ping(port):
            elapsed = time.monotonic() - t0
            break
        if proc.poll() is not None:
            break
        time.sleep(0.005)
    keys_loaded = load_time = None
    for _ in range(100):  # the log line is written right after listen(); wait for the flush
        with open(log_path, "rb") as f:
            text = f.read().decode(errors="replace")
        m = re.search(r"keys_loaded=(\d+) load_time=([\d.]+)s", text)
        if m:
            keys_loaded, load_time = int(m.group(1)), float(m.group(2))
            break
        if elapsed is None:
            break
        time.sleep(0.02)
    return elapsed, keys_loaded, load_time, port, proc, log_path


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smoke preset: 100000 keys, 1 round")
    p.add_argument("--keys", type=int, help="default 1000000")
    p.add_argument("--value-size", type=int, default=100)
    p.add_argument("--rounds", type=int, help="default 3")
    p.add_argument("--load-with", choices=["etcd", "petacore"], default="etcd")
    p.add_argument("--timeout", type=float, default=1800, help="max seconds to wait for PONG")
    benchlib.add_build_args(p)
    args = p.parse_args()
    keys = args.keys or (100000 if args.quick else 1000000)
    rounds = args.rounds or (1 if args.quick else 3)

    bins = benchlib.ensure_binaries(["petacore-server", "etcd_put", "loader"],
                                    no_build=args.no_build)
    h = benchlib.harness()
    desc = benchlib.machine()
    started = time.monotonic()
    runs, notes, load_line = [], [], ""
    etcd = h.Etcd()
    try:
        if args.load_with == "etcd":
            out = subprocess.run([bins["etcd_put"], "--endpoints", etcd.endpoint, "--bulk",
                                  str(keys), "--batch", "1000", "--clients", "2", "--petacore",
                                  "--prefix", PREFIX, "--value-size", str(args.value_size)],
                                 capture_output=True, text=True, timeout=7200)
        else:
            node = h.Node(etcd, prefix=PREFIX)
            try:
                out = subprocess.run([bins["loader"], "--port", str(node.port), "--load",
                                      str(keys), "--value-size", str(args.value_size),
                                      "--clients", "50", "--pipeline", "20"],
                                     capture_output=True, text=True, timeout=7200)
            finally:
                node.close()
        r = benchlib.parse_result_line(out.stdout)
        how = ("etcd_put --bulk (Txns of 1000)" if args.load_with == "etcd"
               else "loader --load through a replicated node")
        load_line = f"loaded with {how}: {benchlib.fmt_rate(r.get('keys_per_sec'))} keys/s"
        print(out.stdout.strip(), out.stderr.strip(), flush=True)
        if out.returncode != 0 or not r:
            notes.append(f"loading failed: {(out.stdout + out.stderr).strip()[-200:]}")
        for rnd in range(rounds):
            elapsed, loaded, load_time, port, proc, log_path = start_and_time(
                bins["petacore-server"], h, etcd, args.timeout)
            try:
                if rnd == 0 and elapsed is not None:
                    dbsize = subprocess.run(["redis-cli", "-p", str(port), "dbsize"],
                                            capture_output=True, text=True,
                                            timeout=60).stdout.strip()
                    strlen = subprocess.run(["redis-cli", "-p", str(port), "strlen", "key:0"],
                                            capture_output=True, text=True,
                                            timeout=60).stdout.strip()
                    notes.append(f"check: DBSIZE {dbsize} (expected {keys}), STRLEN key:0 "
                                 f"{strlen} (expected {args.value_size})")
                rss = benchlib.rss_bytes(proc.pid) if proc.poll() is None else None
            finally:
                stop(proc)
            if elapsed is None:
                with open(log_path, "rb") as f:
                    tail = f.read().decode(errors="replace").strip()[-300:]
                notes.append(f"round {rnd + 1}: no PONG (exit {proc.returncode}): {tail}")
            os.unlink(log_path)
            runs.append((elapsed, loaded, load_time, rss))
            print(f"round {rnd + 1}/{rounds}: PONG after "
                  f"{'-' if elapsed is None else f'{elapsed:.3f} s'}, keys_loaded={loaded} "
                  f"load_time={load_time}", flush=True)
    finally:
        etcd.close()
    took = time.monotonic() - started

    lines = ["## Start-up: replicated node on a populated etcd", "",
             f"Machine: {desc}", "",
             f"{keys:,} string keys of {args.value_size} bytes under {PREFIX} ({load_line}). "
             f"Time from process start to the first +PONG, and the server's own "
             f"keys_loaded/load_time line; took {took / 60:.1f} min.", "",
             "| round | to PONG s | keys_loaded | load_time s | keys/s (to PONG) "
             "| keys/s (load_time) | RSS |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    csv_rows = []

    def row(label, elapsed, loaded, load_time, rss):
        loaded = None if loaded is None else int(loaded)
        rss = None if rss is None else int(rss)
        kps = loaded / elapsed if loaded and elapsed else None
        kpl = loaded / load_time if loaded and load_time else None
        lines.append(f"| {label} | {'' if elapsed is None else f'{elapsed:.3f}'} | "
                     f"{'' if loaded is None else loaded} | "
                     f"{'' if load_time is None else f'{load_time:.3f}'} | "
                     f"{benchlib.fmt_rate(kps)} | {benchlib.fmt_rate(kpl)} | "
                     f"{benchlib.human_bytes(rss)} |")
        csv_rows.append([label, keys, args.value_size, "" if elapsed is None else f"{elapsed:.3f}",
                         "" if loaded is None else loaded,
                         "" if load_time is None else f"{load_time:.3f}",
                         "" if kps is None else f"{kps:.0f}", "" if kpl is None else f"{kpl:.0f}",
                         "" if rss is None else rss, desc])

    for i, run in enumerate(runs):
        row(str(i + 1), *run)
    if len(runs) > 1:
        row("median", *(benchlib.median(r[k] for r in runs) for k in range(4)))
    if notes:
        lines += [""] + [f"- {n}" for n in notes]
    benchlib.write_results("startup", "\n".join(lines), csv_rows,
                           ["round", "keys", "value_size", "seconds_to_pong", "keys_loaded",
                            "load_time_s", "keys_per_sec_to_pong", "keys_per_sec_load_time",
                            "rss_bytes", "machine"])


if __name__ == "__main__":
    main()
