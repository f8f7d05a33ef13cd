#!/usr/bin/env python3
"""Runs one Node.js client scenario (a .mjs file in this folder) against a real redis-server
and, unless --redis-only, against PetaCore node(s) replicated through etcd, and fails unless
every run succeeds and PetaCore's record equals Redis's.

A scenario prints a JSON record (one [step, value] per step, see common.mjs) and exits
non-zero when one of its own checks fails. Redis's record proves the scenario itself; the
comparison proves PetaCore answers the client library as Redis does.

  run_scenario.py SCENARIO.mjs [--nodes N] [--redis-only] [--timeout SECONDS]

--nodes 2 passes both nodes' endpoints (HOST:PORT_A HOST:PORT_B) to the scenario; the
reference run against Redis then gets the one server twice. Every process (etcd, PetaCore,
redis-server, node) runs on free loopback ports and is stopped at the end; each node run is
killed after --timeout seconds (default 120). Exit status 0 on success, 1 on any failure.
Needs tests/clients/node_modules (scripts/install-node-clients.sh) and, as the integration
tests, PETACORE_SERVER (default build/bin/petacore-server).
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import harness  # noqa: E402  (tests/integration/harness.py: Etcd, Node, RealRedis)


def run_node(scenario, endpoints, timeout):
    """Runs `node SCENARIO endpoints...`; returns its parsed record or raises with its stderr."""
    cmd = ["node", os.path.join(HERE, scenario), *endpoints]
    try:
        out = subprocess.run(cmd, cwd=HERE, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{' '.join(cmd)}: no answer within {timeout} s")
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {out.returncode}:\n{out.stderr}{out.stdout}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def differences(expected, actual):
    """Human-readable lines for every step whose name or value differs."""
    lines = []
    for i in range(max(len(expected), len(actual))):
        e = expected[i] if i < len(expected) else None
        a = actual[i] if i < len(actual) else None
        if e != a:
            lines.append(f"  step {i}: redis {json.dumps(e)}\n          petacore {json.dumps(a)}")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario")
    ap.add_argument("--nodes", type=int, default=1)
    ap.add_argument("--redis-only", action="store_true")
    ap.add_argument("--timeout", type=float, default=120)
    args = ap.parse_args()
    if not os.path.isdir(os.path.join(HERE, "node_modules")):
        print("tests/clients/node_modules is missing: run scripts/install-node-clients.sh",
              file=sys.stderr)
        return 1

    redis = harness.RealRedis()
    try:
        reference = run_node(args.scenario, [f"127.0.0.1:{redis.port}"] * args.nodes,
                             args.timeout)
    finally:
        redis.close()
    print(f"redis-server: {len(reference)} steps")
    if args.redis_only:
        return 0

    etcd = harness.Etcd()
    nodes = []
    try:
        for _ in range(args.nodes):
            nodes.append(harness.Node(etcd))
        try:
            record = run_node(args.scenario, [f"127.0.0.1:{n.port}" for n in nodes],
                              args.timeout)
        except Exception:
            for n in nodes:
                sys.stderr.write(f"--- node {n.port} log (tail)\n{n.log_text()[-4000:]}\n")
            raise
    finally:
        for n in nodes:
            n.close()
        etcd.close()
    diff = differences(reference, record)
    if diff:
        print(f"petacore ({args.nodes} node(s)) differs from redis-server:", *diff, sep="\n")
        return 1
    print(f"petacore ({args.nodes} node(s)): same {len(record)} steps as redis-server")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # a scenario or process failure: report it, exit 1
        print(e, file=sys.stderr)
        sys.exit(1)
