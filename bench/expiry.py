#!/usr/bin/env python3
"""bench/expiry: how soon active expiry deletes keys after they expire, and what a burst costs.

Replicated (one etcd member, --nodes PetaCore nodes, the expiry leader elected among them):
 1. delay: --keys string keys with SET ... PXAT at random times --min-ms..--max-ms ahead; an
    etcd watch (bench tool expiry_watch) timestamps each key's delete; delay = seen - PXAT.
 2. burst: --burst keys expiring within one wall-clock second (PXAT base + 0..999 ms); time
    from that second's start to the last delete, and the etcd Txns / commit requests the
    expiry leader used (INFO etcd_txns / etcd_commit_requests deltas; nothing else writes
    meanwhile) and the distinct etcd revisions carrying the deletes.
Standalone:
 3. burst: the same --burst keys in one second; time until INFO memory mvcc_live_keys is 0
    (polled every 10 ms).
No key is read by a client while it waits to expire.

  bench/expiry                     # 10,000 keys over 1-5 s; bursts of 100,000
  bench/expiry --quick             # 1,000 keys; bursts of 10,000
"""
import argparse
import math
import os
import random
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

PREFIX = "/petacore/"


def now_ms():
    return int(time.time() * 1000)


def info(node, section):
    return node.client().info(section)


def leader_of(h, nodes):
    found = []

    def one():
        found[:] = [n for n in nodes if info(n, "petacore")["expiry_is_leader"] == 1]
        return len(found) == 1
    h.wait_for(one, timeout=30, what="one expiry leader")
    return found[0]


def load(node, keys_pxat, chunk=2000):
    """SET key v PXAT t for every (key, t), pipelined; returns seconds taken."""
    c = node.client()
    t0 = time.monotonic()
    items = list(keys_pxat.items())
    for i in range(0, len(items), chunk):
        pipe = c.pipeline(transaction=False)
        for k, t in items[i:i + chunk]:
            pipe.execute_command("SET", k, "v", "PXAT", str(t))
        pipe.execute()
    return time.monotonic() - t0


def start_watch(tool, etcd, expect, timeout_s):
    p = subprocess.Popen([tool, "--endpoints", etcd.endpoint, "--prefix", PREFIX,
                          "--expect", str(expect), "--timeout-s", str(timeout_s)],
                         stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if not line.startswith("READY"):
        p.kill()
        raise RuntimeError(f"expiry_watch: {line!r}")
    return p


def finish_watch(p, timeout_s):
    out, _ = p.communicate(timeout=timeout_s + 30)
    seen, result = {}, {}
    for line in out.splitlines():
        if line.startswith("D "):
            _, rev, ms, key = line.split(" ", 3)
            seen[key] = (int(rev), int(ms))
        elif line.startswith("RESULT "):
            result = benchlib.parse_result_line(line)
    return seen, result


def cpu_s(pid):
    """User + system CPU seconds a process has used so far (/proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_all(etcd, nodes):
    return [cpu_s(etcd.pid)] + [cpu_s(n.proc.pid) for n in nodes]


class Prober:
    """SETs one key after the other on a node, recording each latency (ms), until stopped:
    what a client writing meanwhile sees."""

    def __init__(self, node):
        self.c = node.client()
        self.lat, self.stop = [], threading.Event()
        self.t = threading.Thread(target=self.run)
        self.t.start()

    def run(self):
        i = 0
        while not self.stop.is_set():
            t0 = time.perf_counter()
            self.c.set(f"probe:{i % 100}", "v")
            self.lat.append((time.perf_counter() - t0) * 1000)
            i += 1

    def finish(self):
        self.stop.set()
        self.t.join()
        return self.lat


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(math.ceil(p / 100 * len(s))) - 1)]


def delay_phase(h, tools, etcd, nodes, n, lo, hi):
    leader = leader_of(h, nodes)
    base = now_ms()
    keys = {f"d:{i}": base + random.randint(lo, hi) for i in range(n)}
    timeout = hi / 1000 + 120
    watch = start_watch(tools["expiry_watch"], etcd, n, timeout)
    load_s = load(nodes[0], keys)
    before = info(leader, "petacore")
    seen, result = finish_watch(watch, timeout)
    after = info(leader, "petacore")
    delays = [seen[k][1] - t for k, t in keys.items() if k in seen]
    return {
        "keys": n, "deleted": len(delays), "load_s": load_s,
        "late_writes": sum(1 for k, t in keys.items() if t < base + load_s * 1000),
        "median": statistics.median(delays), "p90": pct(delays, 90), "p99": pct(delays, 99),
        "max": max(delays), "min": min(delays),
        "revisions": int(result.get("revisions", 0)),
        "txns": after["etcd_txns"] - before["etcd_txns"],
        "requests": after["etcd_commit_requests"] - before["etcd_commit_requests"],
    }


def handover(h, nodes, sig, rounds):
    """Stops the expiry leader with `sig` `rounds` times (restarting it as a follower after
    each); returns the seconds from the signal until another node says it leads."""
    import signal as _signal  # noqa: F401 - sig values come from the caller
    times = []
    for _ in range(rounds):
        leader = leader_of(h, nodes)
        others = [n for n in nodes if n is not leader]
        t0 = time.monotonic()
        leader.proc.send_signal(sig)
        while not any(info(n, "petacore")["expiry_is_leader"] == 1 for n in others):
            if time.monotonic() - t0 > 60:
                raise TimeoutError("no new expiry leader")
            time.sleep(0.01)
        times.append(time.monotonic() - t0)
        leader.kill()  # reap
        leader.start()
    return times


def burst_keys(n, base):
    return {f"b:{i}": base + random.randint(0, 999) for i in range(n)}


def base_after(seconds):
    return int(math.ceil((now_ms() + seconds * 1000) / 1000) * 1000)


def replicated_burst(h, tools, etcd, nodes, n, est_rate):
    leader = leader_of(h, nodes)
    base = base_after(n / est_rate * 4 + 5)
    keys = burst_keys(n, base)
    timeout = (base - now_ms()) / 1000 + 300
    watch = start_watch(tools["expiry_watch"], etcd, n, timeout)
    load_s = load(nodes[0], keys)
    loaded_before_base = now_ms() < base
    time.sleep(max(0, (base - now_ms() - 2300) / 1000))
    quiet = Prober(nodes[0])  # the same client load without a burst, as a baseline
    time.sleep(max(0, (base - now_ms() - 300) / 1000))
    quiet_lat = quiet.finish()
    before = info(leader, "petacore")
    cpu0 = cpu_all(etcd, nodes)
    probe = Prober(nodes[0])
    seen, result = finish_watch(watch, timeout)
    burst_lat = probe.finish()
    cpu1 = cpu_all(etcd, nodes)
    after = info(leader, "petacore")
    cpu = [b - a for a, b in zip(cpu0, cpu1)]
    last = max(ms for _, ms in seen.values())
    first = min(ms for _, ms in seen.values())
    delays = [seen[k][1] - t for k, t in keys.items() if k in seen]
    return {
        "keys": n, "deleted": len(seen), "load_s": load_s, "loaded_before_base": loaded_before_base,
        "first_ms": first - base, "last_ms": last - base, "clear_s": (last - base) / 1000,
        "median": statistics.median(delays), "max": max(delays),
        "revisions": int(result.get("revisions", 0)),
        "txns": after["etcd_txns"] - before["etcd_txns"],
        "requests": after["etcd_commit_requests"] - before["etcd_commit_requests"],
        "stale": after["expiry_stale_skips"] - before["expiry_stale_skips"],
        "cpu_etcd": cpu[0], "cpu_leader": cpu[1 + nodes.index(leader)],
        "cpu_nodes": sum(cpu[1:]), "load": os.getloadavg()[0],
        "quiet": (len(quiet_lat), statistics.median(quiet_lat), pct(quiet_lat, 99),
                  max(quiet_lat)),
        "during": (len(burst_lat), statistics.median(burst_lat), pct(burst_lat, 99),
                   max(burst_lat)),
    }


def standalone_burst(h, n):
    node = h.Node()
    try:
        # Calibrate: the keys must all be written before their second starts.
        calib = {f"c:{i}": now_ms() + 3600000 for i in range(min(n, 5000))}
        rate = len(calib) / load(node, calib)
        node.client().flushall()
        base = base_after(n / rate * 4 + 5)  # a shared machine's rate varies a lot
        keys = burst_keys(n, base)
        load_s = load(node, keys)
        loaded_before_base = now_ms() < base
        live0 = info(node, "memory")["mvcc_live_keys"]
        while True:
            live = info(node, "memory")["mvcc_live_keys"]
            if live == 0 or now_ms() > base + 300000:
                break
            time.sleep(0.01)
        done = now_ms()
        return {"keys": n, "live_before": live0, "live_after": live, "load_s": load_s,
                "loaded_before_base": loaded_before_base, "clear_s": (done - base) / 1000,
                "expired_keys": info(node, "stats")["expired_keys"]}
    finally:
        node.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--keys", type=int, default=10000)
    ap.add_argument("--min-ms", type=int, default=1000)
    ap.add_argument("--max-ms", type=int, default=5000)
    ap.add_argument("--burst", type=int, default=100000)
    ap.add_argument("--nodes", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="--keys 1000 --burst 10000")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--handovers", type=int, default=3,
                    help="rounds of stopping the expiry leader (kill -9, then SIGTERM)")
    ap.add_argument("--expiry-max-inflight", type=int, default=None,
                    help="passed to the replicated nodes (default: the server's)")
    benchlib.add_build_args(ap)
    args = ap.parse_args()
    if args.quick:
        args.keys, args.burst = 1000, 10000
    random.seed(args.seed)
    tools = benchlib.ensure_binaries(["petacore-server", "expiry_watch"], args.no_build)
    h = benchlib.harness()
    header = benchlib.machine()

    etcd = h.Etcd()
    nodes = []
    try:
        for i in range(args.nodes):
            extra = ["--node-id", f"bench-{i}"]
            if args.expiry_max_inflight:
                extra += ["--expiry-max-inflight", str(args.expiry_max_inflight)]
            nodes.append(h.Node(etcd, extra_args=extra))
        d = delay_phase(h, tools, etcd, nodes, args.keys, args.min_ms, args.max_ms)
        rate = d["keys"] / d["load_s"]
        b = replicated_burst(h, tools, etcd, nodes, args.burst, rate)
        import signal
        hk = handover(h, nodes, signal.SIGKILL, args.handovers)
        ht = handover(h, nodes, signal.SIGTERM, args.handovers)
    finally:
        for n in nodes:
            n.close()
        etcd.close()
    s = standalone_burst(h, args.burst)

    cmd = "bench/expiry " + " ".join(sys.argv[1:])
    md = f"""# bench/expiry

`{cmd}`

{header}

## Replicated ({args.nodes} nodes, 1 etcd member): delay from expire-at to the delete in etcd

{d['keys']:,} keys, `SET k v PXAT t`, t uniform in now+{args.min_ms}..{args.max_ms} ms (loaded \
in {d['load_s']:.2f} s through node 0; {d['late_writes']} keys were written after their \
expire-at). Delete time = when an etcd watch (bench tool expiry_watch) saw it.

| deleted | min ms | median ms | p90 ms | p99 ms | max ms | etcd revisions | leader Txns | commit requests |
|---|---|---|---|---|---|---|---|---|
| {d['deleted']:,} | {d['min']} | {d['median']:.0f} | {d['p90']} | {d['p99']} | {d['max']} | \
{d['revisions']:,} | {d['txns']:,} | {d['requests']:,} |

## Replicated: {b['keys']:,} keys expiring within one second

PXAT = second S + 0..999 ms (loaded in {b['load_s']:.1f} s, all before S: \
{b['loaded_before_base']}).

Leader Txns / commit requests include the probe client's SETs below when node 0 leads.

| deleted | first delete (ms after S) | last delete (ms after S) | median delay ms | max delay ms | etcd revisions | leader Txns | commit requests | stale skips |
|---|---|---|---|---|---|---|---|---|
| {b['deleted']:,} | {b['first_ms']} | {b['last_ms']} | {b['median']:.0f} | {b['max']} | \
{b['revisions']:,} | {b['txns']:,} | {b['requests']:,} | {b['stale']} |

CPU used from S - 0.3 s until the last delete was seen: etcd {b['cpu_etcd']:.2f} s, expiry leader {b['cpu_leader']:.2f} s, all PetaCore nodes {b['cpu_nodes']:.2f} s (1-minute load average at the end: {b['load']:.1f} on {os.cpu_count()} cores).

One client doing SETs one after the other on node 0 (probe keys without TTL):

| when | SETs | p50 ms | p99 ms | max ms |
|---|---|---|---|---|
| 2 s before S (no expiry) | {b['quiet'][0]:,} | {b['quiet'][1]:.2f} | {b['quiet'][2]:.2f} | {b['quiet'][3]:.1f} |
| during the burst | {b['during'][0]:,} | {b['during'][1]:.2f} | {b['during'][2]:.2f} | {b['during'][3]:.1f} |

## Replicated: hand-over of the expiry leadership

Seconds from signalling the leader until the other node's INFO says `expiry_is_leader:1`
(lease TTL 3 s, {args.handovers} rounds each; the stopped node restarts as a follower):

| stop | each round | max |
|---|---|---|
| kill -9 (lease runs out) | {", ".join(f"{x:.2f}" for x in hk)} | {max(hk):.2f} |
| SIGTERM (lease revoked) | {", ".join(f"{x:.2f}" for x in ht)} | {max(ht):.2f} |

## Standalone: {s['keys']:,} keys expiring within one second

Loaded in {s['load_s']:.1f} s (all before S: {s['loaded_before_base']}); live keys \
{s['live_before']:,} -> {s['live_after']:,} after {s['clear_s']:.2f} s from S \
(INFO memory mvcc_live_keys polled every 10 ms); expired_keys {s['expired_keys']:,}.
"""
    benchlib.write_results("expiry", md)


if __name__ == "__main__":
    main()
