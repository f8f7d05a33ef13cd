#!/usr/bin/env python3
"""bench/pubsub: PUBLISH throughput, publish->deliver latency and the cost of keyspace
notifications, PetaCore (2 nodes A, B on one etcd) next to redis-server 7.0 in the same run.

- PUBLISH throughput: redis-benchmark -c {1, 50} PUBLISH bench:ch <16 bytes> while {1, 100}
  subscriber connections (on node B for PetaCore: every delivery crosses etcd's watch) drain
  their sockets. ops/s is the publishers' rate (redis-benchmark's); "delivered/s" counts
  every message every subscriber got, from the start until an end marker published after the
  run reached all subscribers (in order, so all before it were delivered too).
- publish->deliver latency: one publisher, one subscriber, one message at a time (the next
  is sent once the previous arrived): same node (A->A; Redis: itself) and across nodes (A->B).
- SET throughput: redis-benchmark -t set -c 50 -r 100000 with notify-keyspace-events "" and
  "KEA" (one PSUBSCRIBE __key*__:* connection draining).

Every cell is the median of ROUNDS runs (servers alternating within a round); ratio is
PetaCore / Redis. CPU us/op is the CPU time (user + system, from /proc) of the server
processes during the cell divided by the publishes (Redis: redis-server; PetaCore: both nodes
and etcd). Prints a Markdown table and writes bench/results/pubsub-<timestamp>.md. Nothing
is asserted; numbers depend on the machine's load. Not run by ctest.

Usage: bench/pubsub.py [--rounds 3] [--publishes 20000] [--latency-samples 1000]
                       [--set-requests 50000] [--no-build]
"""
import argparse
import os
import selectors
import socket
import subprocess
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import cpu_seconds, fmt, percentile, redis_benchmark  # noqa: E402

PAYLOAD = "p" * 16
CHANNEL = "bench:ch"






def command(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def read_reply_line(sock):
    """Reads until CRLF (for the simple replies the driver waits for); returns the bytes."""
    buf = b""
    while not buf.endswith(b"\r\n"):
        chunk = sock.recv(1)
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


class Drainers:
    """n subscriber connections to `port`, each SUBSCRIBEd to `channel` (or PSUBSCRIBEd to
    `pattern`), read by one thread that only counts bytes and looks for an end marker."""

    def __init__(self, port, n, channel=None, pattern=None):
        self.socks = []
        self.marker = None
        self.done = set()
        self.tails = {}
        self.bytes = 0
        self.stop_flag = False
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port), timeout=30)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            s.sendall(command("PSUBSCRIBE", pattern) if pattern else command("SUBSCRIBE", channel))
            self.socks.append(s)
        # Each confirmation is one frame; read them before the thread takes over.
        for s in self.socks:
            got = b""
            while got.count(b"\r\n") < 6:  # *3 $9 subscribe $len channel :1
                got += s.recv(4096)
            s.setblocking(False)
        self.sel = selectors.DefaultSelector()
        for s in self.socks:
            self.sel.register(s, selectors.EVENT_READ)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def expect(self, marker):
        """From now on, a connection is done once `marker` (bytes) arrived on it."""
        self.done = set()
        self.tails = {s: b"" for s in self.socks}
        self.marker = marker

    def _run(self):
        while not self.stop_flag:
            for key, _ in self.sel.select(timeout=0.2):
                s = key.fileobj
                try:
                    data = s.recv(1 << 20)
                except BlockingIOError:
                    continue
                if not data:
                    self.sel.unregister(s)
                    continue
                self.bytes += len(data)
                m = self.marker
                if m is not None and s not in self.done:
                    window = self.tails.get(s, b"") + data
                    if m in window:
                        self.done.add(s)
                    self.tails[s] = window[-len(m):]

    def wait_all(self, timeout=300):
        deadline = time.monotonic() + timeout
        while len(self.done) < len(self.socks):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)
        return True

    def close(self):
        self.stop_flag = True
        self.thread.join(timeout=10)
        for s in self.socks:
            s.close()




def publish_cell(target, publishers, subscribers, n):
    """One PUBLISH throughput measurement: (ops/s, delivered/s, CPU us/op, all delivered)."""
    drain = Drainers(target["sub_port"], subscribers, channel=CHANNEL)
    try:
        cpu0, t0 = cpu_seconds(target["pids"]), time.monotonic()
        rate = redis_benchmark(target["pub_port"], publishers, n, "PUBLISH", CHANNEL, PAYLOAD)
        marker = f"end-{uuid.uuid4().hex}".encode()
        drain.expect(marker)
        pub = socket.create_connection(("127.0.0.1", target["pub_port"]), timeout=60)
        pub.sendall(command("PUBLISH", CHANNEL, marker))
        read_reply_line(pub)
        pub.close()
        complete = drain.wait_all()
        t1, cpu1 = time.monotonic(), cpu_seconds(target["pids"])
    finally:
        drain.close()
    delivered = n * subscribers / (t1 - t0)
    return rate, delivered, (cpu1 - cpu0) / n * 1e6, complete


def latency(pub_port, sub_port, samples):
    """publish->deliver times (ms, sorted): one message in flight at a time."""
    sub = socket.create_connection(("127.0.0.1", sub_port), timeout=30)
    sub.sendall(command("SUBSCRIBE", "bench:lat"))
    got = b""
    while got.count(b"\r\n") < 6:
        got += sub.recv(4096)
    pub = socket.create_connection(("127.0.0.1", pub_port), timeout=30)
    # Wait until the publisher's node counts the subscriber (PetaCore: applied on A).
    for _ in range(600):
        pub.sendall(command("PUBSUB", "NUMSUB", "bench:lat"))
        reply = b""
        while reply.count(b"\r\n") < 4:
            reply += pub.recv(4096)
        if reply.endswith(b":1\r\n"):
            break
        time.sleep(0.05)
    out = []
    buf = b""
    for i in range(samples):
        body = f"{i:08d}".encode()
        t0 = time.perf_counter()
        pub.sendall(command("PUBLISH", "bench:lat", body))
        while body + b"\r\n" not in buf:
            buf += sub.recv(65536)
        t1 = time.perf_counter()
        buf = buf.split(body + b"\r\n", 1)[1]
        read_reply_line(pub)
        out.append((t1 - t0) * 1000)
    pub.close()
    sub.close()
    return sorted(out)


def set_cell(target, events, n):
    """SET throughput with notify-keyspace-events = events and one psubscriber draining."""
    for port in target["config_ports"]:
        subprocess.run(["redis-cli", "-p", str(port), "CONFIG", "SET", "notify-keyspace-events",
                        events], check=True, capture_output=True, timeout=60)
    drain = Drainers(target["sub_port"], 1, pattern="__key*__:*")
    try:
        cpu0 = cpu_seconds(target["pids"])
        rate = redis_benchmark(target["pub_port"], 50, n, "-t", "set", "-r", "100000")
        # With "KEA" the marker key's own notifications end the drain; with "" nothing comes.
        marker = f"end-{uuid.uuid4().hex}".encode()
        complete = True
        if events:
            drain.expect(marker)
            subprocess.run(["redis-cli", "-p", str(target["pub_port"]), "SET", marker, "1"],
                           check=True, capture_output=True, timeout=60)
            complete = drain.wait_all(timeout=60)
        cpu1 = cpu_seconds(target["pids"])
    finally:
        drain.close()
        for port in target["config_ports"]:
            subprocess.run(["redis-cli", "-p", str(port), "CONFIG", "SET",
                            "notify-keyspace-events", ""], capture_output=True, timeout=60)
    return rate, (cpu1 - cpu0) / n * 1e6, complete




def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--publishes", type=int, default=20000)
    p.add_argument("--latency-samples", type=int, default=1000)
    p.add_argument("--set-requests", type=int, default=50000)
    benchlib.add_build_args(p)
    args = p.parse_args()
    benchlib.ensure_binaries(["petacore-server"], no_build=args.no_build)
    h = benchlib.harness()

    redis = h.RealRedis()
    etcd = h.Etcd()
    a = b = None
    try:
        a, b = h.Node(etcd), h.Node(etcd)
        targets = {
            "redis": {"pub_port": redis.port, "sub_port": redis.port,
                      "config_ports": [redis.port], "pids": [redis.proc.pid]},
            "petacore": {"pub_port": a.port, "sub_port": b.port,
                         "config_ports": [a.port, b.port],
                         "pids": [a.proc.pid, b.proc.pid, etcd.pid]},
        }
        pub_cells, lat_cells, set_cells = {}, {}, {}
        for rnd in range(args.rounds):
            print(f"round {rnd + 1}/{args.rounds}", flush=True)
            for publishers in (1, 50):
                for subscribers in (1, 100):
                    for name, t in targets.items():
                        pub_cells.setdefault((publishers, subscribers, name), []).append(
                            publish_cell(t, publishers, subscribers, args.publishes))
            for name, t in targets.items():
                lat_cells.setdefault(("same node", name), []).append(
                    latency(t["pub_port"], t["pub_port"], args.latency_samples))
            lat_cells.setdefault(("across nodes", "petacore"), []).append(
                latency(a.port, b.port, args.latency_samples))
            for events in ("", "KEA"):
                for name, t in targets.items():
                    set_cells.setdefault((events, name), []).append(
                        set_cell(t, events, args.set_requests))
    finally:
        for n in (a, b):
            if n is not None:
                n.close()
        etcd.close()
        redis.close()

    med = benchlib.median
    md = [f"# Pub/sub: PetaCore (2 nodes on one etcd) vs Redis ({benchlib.stamp()})", "",
          benchlib.machine(), "",
          f"Median of {args.rounds} rounds. PetaCore publishes on node A, subscribers on "
          "node B; Redis: one server. CPU: server processes (PetaCore: A + B + etcd).", "",
          f"## PUBLISH throughput ({args.publishes} publishes of 16 bytes per cell)", "",
          "| publishers | subscribers | redis ops/s | petacore ops/s | ratio | redis delivered/s "
          "| petacore delivered/s | redis CPU us/op | petacore CPU us/op | all delivered |",
          "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    csv_rows = []
    for publishers in (1, 50):
        for subscribers in (1, 100):
            r = pub_cells[(publishers, subscribers, "redis")]
            q = pub_cells[(publishers, subscribers, "petacore")]
            rr, qr = med([x[0] for x in r]), med([x[0] for x in q])
            ok = all(x[3] for x in r + q)
            md.append(f"| {publishers} | {subscribers} | {fmt(rr)} | {fmt(qr)} | "
                      f"{benchlib.fmt_ratio(qr, rr)} | {fmt(med([x[1] for x in r]))} | "
                      f"{fmt(med([x[1] for x in q]))} | {fmt(med([x[2] for x in r]), '.1f')} | "
                      f"{fmt(med([x[2] for x in q]), '.1f')} | {'yes' if ok else 'NO'} |")
            csv_rows.append(["publish", publishers, subscribers, rr, qr])
    md += ["", f"## publish -> deliver latency ({args.latency_samples} messages, one in flight)",
           "", "| path | server | p50 ms | p99 ms | max ms |", "|---|---|---:|---:|---:|"]
    for (path, name), runs in lat_cells.items():
        p50 = med([percentile(v, 50) for v in runs])
        p99 = med([percentile(v, 99) for v in runs])
        mx = med([v[-1] for v in runs])
        md.append(f"| {path} | {name} | {p50:.3f} | {p99:.3f} | {mx:.3f} |")
        csv_rows.append(["latency", path, name, p50, p99])
    md += ["", f"## SET throughput with keyspace notifications (-c 50, {args.set_requests} "
           "requests, one PSUBSCRIBE __key*__:* draining)", "",
           "| notify-keyspace-events | redis ops/s | petacore ops/s | ratio | redis CPU us/op "
           "| petacore CPU us/op | notifications drained |", "|---|---:|---:|---:|---:|---:|---|"]
    for events in ("", "KEA"):
        r, q = set_cells[(events, "redis")], set_cells[(events, "petacore")]
        rr, qr = med([x[0] for x in r]), med([x[0] for x in q])
        ok = all(x[2] for x in r + q)
        md.append(f"| \"{events}\" | {fmt(rr)} | {fmt(qr)} | {benchlib.fmt_ratio(qr, rr)} | "
                  f"{fmt(med([x[1] for x in r]), '.1f')} | {fmt(med([x[1] for x in q]), '.1f')} "
                  f"| {'yes' if ok else 'NO'} |")
        csv_rows.append(["set", events or '""', "", rr, qr])
    benchlib.write_results("pubsub", "\n".join(md), csv_rows,
                           ["measure", "a", "b", "redis", "petacore"])


if __name__ == "__main__":
    main()
