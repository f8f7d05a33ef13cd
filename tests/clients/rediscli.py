#!/usr/bin/env python3
"""redis-cli scenario: the command sequence in rediscli_sequence.txt (one command a line, every
family, errors, MULTI), piped through `redis-cli -2|-3 --no-raw` (the formatted output names
each RESP3 type: `(double)`, `1#` map entries, `1~` set members ...) to a real redis-server
7.0 and to a PetaCore node replicated through etcd; fails unless both outputs are identical.

  rediscli.py [--protocol 2|3]

The sequence keeps replies out of hash order (hashes and sets it prints have one element).
Every process runs on free loopback ports and is stopped at the end; redis-cli is killed
after 60 s. Needs PETACORE_SERVER as the integration tests (default build/bin/...).
"""
import argparse
import difflib
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import harness  # noqa: E402  (tests/integration/harness.py: Etcd, Node, RealRedis)


def run_cli(port, protocol):
    """The sequence's output through redis-cli against 127.0.0.1:port."""
    with open(os.path.join(HERE, "rediscli_sequence.txt"), "rb") as seq:
        out = subprocess.run(["redis-cli", f"-{protocol}", "-p", str(port), "--no-raw"],
                             stdin=seq, capture_output=True, timeout=60)
    return (out.stdout + out.stderr).decode(errors="replace")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--protocol", choices=["2", "3"], default="3")
    args = ap.parse_args()
    redis = harness.RealRedis()
    try:
        expected = run_cli(redis.port, args.protocol)
    finally:
        redis.close()
    etcd = harness.Etcd()
    try:
        node = harness.Node(etcd)
        try:
            actual = run_cli(node.port, args.protocol)
        finally:
            node.close()
    finally:
        etcd.close()
    if actual != expected:
        print(f"redis-cli -{args.protocol}: petacore's output differs from redis-server's:")
        sys.stdout.writelines(difflib.unified_diff(expected.splitlines(True),
                                                   actual.splitlines(True), "redis-server",
                                                   "petacore"))
        return 1
    print(f"redis-cli -{args.protocol}: same {len(expected.splitlines())} lines as redis-server")
    return 0


if __name__ == "__main__":
    sys.exit(main())
