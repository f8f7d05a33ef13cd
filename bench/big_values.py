#!/usr/bin/env python3
"""SET / cross-node visibility / GET times of 2, 12 and 100 MB strings on an etcd with its
DEFAULT limits (1.5 MiB requests, 128 ops), two PetaCore nodes (issue 18, large values).

  PETACORE_SERVER=build/bin/petacore-server /usr/bin/python3 bench/big_values.py
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness  # noqa: E402
import test_big_values as t  # noqa: E402


def main():
    etcd = t.DefaultLimitsEtcd()
    a = t.DefaultLimitsNode(etcd, extra_args=t.NODE_ARGS)
    b = t.DefaultLimitsNode(etcd, extra_args=t.NODE_ARGS)
    try:
        ca, cb = a.client(socket_timeout=300), b.client(socket_timeout=300)
        for mb in (2, 12, 100):
            v = os.urandom(mb * t.MB)
            t0 = time.monotonic()
            ca.set(f"v{mb}", v)
            t1 = time.monotonic()
            harness.wait_for(lambda: cb.strlen(f"v{mb}") == len(v), timeout=120)
            t2 = time.monotonic()
            got = cb.get(f"v{mb}")
            t3 = time.monotonic()
            assert got == v
            print(f"{mb} MB: SET on A {t1 - t0:.2f} s ({mb / (t1 - t0):.1f} MB/s), "
                  f"visible on B +{t2 - t1:.2f} s, GET on B {t3 - t2:.2f} s")
        print("chunks_staged", a.client().info("petacore")["chunks_staged"])
    finally:
        a.close()
        b.close()
        etcd.close()


if __name__ == "__main__":
    main()
