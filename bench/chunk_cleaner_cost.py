#!/usr/bin/env python3
"""What the chunk cleaner costs an idle node that holds many keys and one big value, for two
petacore-server binaries side by side (issue 18; expiry/chunk_cleaner.h).

Per binary, rounds alternating which goes first: a fresh etcd member and one node; --keys
small keys (MSET of 1,000 at a time) and one 3 MB string (chunked, so a write id exists and
the cleaner has work to look for); `chunk-cleaner-interval-ms` set to --interval-ms; then the
node's CPU (user + system, /proc) over --seconds of no client traffic, divided by the cleaner
rounds INFO counted in that time (`chunk_cleaner_scans`). Reported: CPU ms per round and CPU %
of one core, medians of the rounds. Nothing else runs on the node, so its idle CPU is the
cleaner's plus the watch's progress notifications and timers (the same for both binaries).

  /usr/bin/python3 bench/chunk_cleaner_cost.py --a OLD_BINARY --b NEW_BINARY [--rounds 2]
      [--keys 300000] [--interval-ms 100] [--seconds 10]
"""
import datetime
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchlib  # noqa: E402


def one_round(binary, keys, interval_ms, seconds):
    """(CPU ms per cleaner round, CPU % of one core, rounds counted)."""
    with benchlib.EtcdAndNode(binary) as (_, node):
        c = node.client(socket_timeout=120)
        for s in range(0, keys, 1000):
            c.mset({f"key:{i}": "v" * 20 for i in range(s, min(keys, s + 1000))})
        c.set("big", os.urandom(3 * 1024 * 1024))
        c.config_set("chunk-cleaner-interval-ms", interval_ms)
        # Measure once rounds come at the new interval (the node leads expiry, and the round
        # that was waiting out the old interval has run).
        scans = lambda: int(c.info("petacore")["chunk_cleaner_scans"])  # noqa: E731
        first = scans()
        benchlib.harness().wait_for(lambda: scans() >= first + 3, timeout=60,
                                    what="cleaner rounds at the new interval")
        scans0 = scans()
        cpu0 = benchlib.cpu_seconds([node.proc.pid])
        time.sleep(seconds)
        cpu1 = benchlib.cpu_seconds([node.proc.pid])
        rounds = scans() - scans0
        assert c.dbsize() == keys + 1
        return (cpu1 - cpu0) * 1000 / max(1, rounds), (cpu1 - cpu0) * 100 / seconds, rounds


def main():
    ap = benchlib.ab_parser()
    ap.add_argument("--keys", type=int, default=300000)
    ap.add_argument("--interval-ms", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=10)
    args = ap.parse_args()
    lines = [f"# chunk cleaner cost, {datetime.datetime.now().isoformat(timespec='seconds')}",
             f"command: bench/chunk_cleaner_cost.py --rounds {args.rounds} --keys {args.keys} "
             f"--interval-ms {args.interval_ms} --seconds {args.seconds}",
             f"a: {args.a}", f"b: {args.b}"]
    print("\n".join(lines), flush=True)
    def report(r, side, res):
        line = (f"round {r} {side}: {res[0]:.2f} CPU ms per cleaner round, "
                f"{res[1]:.1f}% of a core idle, {res[2]} rounds")
        print(line, flush=True)
        lines.append(line)

    results = benchlib.ab_rounds(
        args, lambda binary: one_round(binary, args.keys, args.interval_ms, args.seconds), report)
    for side in ("a", "b"):
        line = (f"{side}: median {statistics.median(x[0] for x in results[side]):.2f} CPU ms "
                f"per round, {statistics.median(x[1] for x in results[side]):.1f}% of a core")
        print(line, flush=True)
        lines.append(line)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = os.path.join(HERE, "results", f"chunk_cleaner_cost-{stamp}.txt")
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
