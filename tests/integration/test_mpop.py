"""LMPOP, ZMPOP, BLMPOP, BZMPOP against redis-server 7.0.15 (raw RESP bytes, RESP2 and RESP3):
every error text and the replies of the non-blocking paths, keyspace events, MULTI and scripts
(where the blocking forms answer at once), a blocked client woken by another client compared
with Redis, and two PetaCore nodes: BLMPOP / BZMPOP parked on B woken by a write on A."""
import os
import random
import sys
import time
import unittest

from differential import RawAgainstRedisTestCase, ReplicatedTestCase, replicated
from resp_wire import WireConn

WAIT = 20  # seconds: the bound of every wait for a blocked reply
DEFAULT_SEEDS = [16, 7000]  # PETACORE_MPOP_SEEDS=1,2 to rerun others
OPS_PER_SEED = 1200
LKEYS = ["l1", "l2", "l3"]
ZKEYS = ["z1", "z2", "z3"]


class MpopAgainstRedis(RawAgainstRedisTestCase):

    def fill(self):
        self.same("RPUSH", "l1", "a", "b", "c", "d")
        self.same("RPUSH", "l2", "x")
        self.same("ZADD", "z1", "1", "a", "2", "b", "3.5", "c", "-1", "d")
        self.same("ZADD", "z2", "5", "x")
        self.same("SET", "str", "v")

    def test_lmpop(self):
        self.fill()
        r3 = self.pair(3)
        for args in [
            ("LMPOP", "1", "l1", "LEFT"), ("LMPOP", "2", "nokey", "l1", "RIGHT", "COUNT", "2"),
            ("LMPOP", "2", "l1", "l2", "left", "count", "10"), ("EXISTS", "l1"),
            ("LMPOP", "2", "l1", "l2", "LEFT"), ("LMPOP", "2", "l1", "l2", "LEFT"),
            ("LMPOP", "1", "str", "LEFT"), ("LMPOP", "2", "nokey", "str", "LEFT"),
            ("LMPOP", "0", "l1", "LEFT"), ("LMPOP", "-1", "l1", "LEFT"), ("LMPOP", "x", "l1", "LEFT"),
            ("LMPOP", "2", "l1", "LEFT"), ("LMPOP", "1", "l1", "MIDDLE"), ("LMPOP", "1", "l1"),
            ("LMPOP", "1", "l1", "LEFT", "COUNT"), ("LMPOP", "1", "l1", "LEFT", "COUNT", "0"),
            ("LMPOP", "1", "l1", "LEFT", "COUNT", "-2"), ("LMPOP", "1", "l1", "LEFT", "COUNT", "x"),
            ("LMPOP", "1", "l1", "LEFT", "COUNT", "1", "COUNT", "2"), ("LMPOP", "1", "l1", "LEFT", "FOO"),
            ("LMPOP", "9223372036854775807", "l1", "LEFT"), ("LMPOP", "1", "l1", "LEFT", "COUNT", "9223372036854775807"),
            ("LMPOP", "1"), ("LMPOP", "1", "l1"),
        ]:
            self.same(*args)
        self.fill()
        self.same("LMPOP", "1", "l1", "RIGHT", "COUNT", "3", conns=r3)
        self.same("LMPOP", "1", "nokey", "RIGHT", conns=r3)

    def test_zmpop(self):
        self.fill()
        r3 = self.pair(3)
        for args in [
            ("ZMPOP", "1", "z1", "MIN"), ("ZMPOP", "2", "nokey", "z1", "MAX", "COUNT", "2"),
            ("ZMPOP", "2", "z1", "z2", "min", "count", "10"), ("EXISTS", "z1"),
            ("ZMPOP", "2", "z1", "z2", "MAX"), ("ZMPOP", "2", "z1", "z2", "MAX"),
            ("ZMPOP", "1", "str", "MIN"), ("ZMPOP", "1", "l1", "MIN"),
            ("ZMPOP", "0", "z1", "MIN"), ("ZMPOP", "x", "z1", "MIN"), ("ZMPOP", "2", "z1", "MIN"),
            ("ZMPOP", "1", "z1", "LEFT"), ("ZMPOP", "1", "z1", "MIN", "COUNT"),
            ("ZMPOP", "1", "z1", "MIN", "COUNT", "0"), ("ZMPOP", "1", "z1", "MIN", "COUNT", "1", "x"),
            ("ZMPOP", "1", "z1", "MIN", "COUNT", "1", "COUNT", "1"),
        ]:
            self.same(*args)
        self.fill()
        for args in [("ZMPOP", "1", "z1", "MAX", "COUNT", "3"), ("ZMPOP", "1", "z1", "MIN"),
                     ("ZMPOP", "1", "nokey", "MIN")]:
            self.same(*args, conns=r3)

    def test_blocking_forms_with_data_and_errors(self):
        self.fill()
        for args in [
            ("BLMPOP", "0", "2", "nokey", "l1", "LEFT", "COUNT", "2"), ("BLMPOP", "0", "1", "l2", "RIGHT"),
            ("BZMPOP", "0", "2", "nokey", "z1", "MAX", "COUNT", "2"), ("BZMPOP", "0.5", "1", "z2", "MIN"),
            ("BLMPOP", "x", "1", "l1", "LEFT"), ("BLMPOP", "-1", "1", "l1", "LEFT"),
            ("BLMPOP", "0", "0", "l1", "LEFT"), ("BLMPOP", "x", "0", "l1", "LEFT"),
            ("BLMPOP", "x", "1", "l1", "UP"), ("BLMPOP", "0", "1", "str", "LEFT"),
            ("BZMPOP", "x", "1", "z1", "MIN"), ("BZMPOP", "-1", "1", "z1", "MIN"),
            ("BZMPOP", "0", "1", "str", "MIN"), ("BZMPOP", "0", "1", "z1", "MIN", "COUNT", "0"),
            ("BLMPOP", "0", "1", "l1"), ("BZMPOP", "0", "1"),
            ("BLMPOP", "0.01", "1", "nokey", "LEFT"), ("BZMPOP", "0.01", "1", "nokey", "MIN"),
        ]:
            self.same(*args)

    def test_multi_and_scripts_answer_at_once(self):
        for args in [("MULTI",), ("BLMPOP", "0", "1", "nokey", "LEFT"),
                     ("BZMPOP", "0", "1", "nokey", "MIN"), ("RPUSH", "l", "a"),
                     ("BLMPOP", "0", "1", "l", "LEFT"), ("EXEC",),
                     ("EVAL", "return redis.call('blmpop', 0, 1, KEYS[1], 'LEFT')", "1", "nokey"),
                     ("EVAL", "return redis.call('bzmpop', 0, 1, KEYS[1], 'MIN')", "1", "nokey"),
                     ("ZADD", "z", "1", "m"),
                     ("EVAL", "return redis.call('zmpop', 1, KEYS[1], 'MIN')", "1", "z"),
                     ("EVAL", "return redis.call('lmpop', 1, KEYS[1], 'LEFT')", "1", "nokey")]:
            self.same(*args)

    def test_keyspace_events(self):
        self.same_events([("LMPOP", "1", "l1", "LEFT", "COUNT", "2"), ("LMPOP", "1", "l1", "RIGHT", "COUNT", "5"),
                         ("ZMPOP", "1", "z1", "MAX", "COUNT", "3"), ("ZMPOP", "1", "z1", "MIN"),
                         ("BLMPOP", "0", "1", "l2", "LEFT"), ("BZMPOP", "0", "1", "z2", "MIN")], setup=self.fill)

    def test_blocked_client_woken_as_redis(self):
        for protocol in (2, 3):
            blocked = self.pair(protocol)
            for b in blocked:
                b.send("BLMPOP", "0", "2", "q1", "q2", "RIGHT", "COUNT", "2")
            self.same("PING")  # both blocked commands reached their servers
            self.same("RPUSH", "q2", "a", "b", "c")
            got, want = (b.read_value(time.monotonic() + WAIT) for b in blocked)
            self.assertEqual(got, want)
            for b in blocked:
                b.send("BZMPOP", "0", "1", "zq", "MAX", "COUNT", "5")
            self.same("PING")
            self.same("ZADD", "zq", "1", "a", "2", "b")
            got, want = (b.read_value(time.monotonic() + WAIT) for b in blocked)
            self.assertEqual(got, want)
            self.assertIsNotNone(got)
            self.same("DEL", "q2")

    def gen(self, rng):
        def count():
            return [] if rng.random() < 0.4 else ["COUNT", rng.choice(["1", "2", "3", "10", "0", "x"])]
        def keys(pool):
            ks = [rng.choice(pool + ["str"]) for _ in range(rng.randint(1, 3))]
            n = len(ks) if rng.random() < 0.95 else rng.choice([0, len(ks) + 1])
            return [str(n)] + ks
        c = rng.random()
        if c < 0.2:
            return ["RPUSH", rng.choice(LKEYS)] + [rng.choice("abcdef") for _ in range(rng.randint(1, 4))]
        if c < 0.4:
            args = ["ZADD", rng.choice(ZKEYS)]
            for _ in range(rng.randint(1, 4)):
                args += [str(rng.randint(-5, 5)), rng.choice("abcdef")]
            return args
        if c < 0.55:
            return ["LMPOP"] + keys(LKEYS) + [rng.choice(["LEFT", "RIGHT", "right", "UP"])] + count()
        if c < 0.7:
            return ["ZMPOP"] + keys(ZKEYS) + [rng.choice(["MIN", "MAX", "max", "LEFT"])] + count()
        if c < 0.77:
            return ["BLMPOP", "0.01"] + keys(LKEYS) + [rng.choice(["LEFT", "RIGHT"])] + count()
        if c < 0.84:
            return ["BZMPOP", "0.01"] + keys(ZKEYS) + [rng.choice(["MIN", "MAX"])] + count()
        if c < 0.95:
            args = ["ZINTERCARD"] + keys(ZKEYS + ["s"])
            if rng.random() < 0.5:
                args += ["LIMIT", rng.choice(["0", "1", "2", "-1"])]
            return args
        if c < 0.98:
            return ["SADD", "s"] + [rng.choice("abcdef") for _ in range(3)]
        return ["SET", "str", "v"]

    def test_random_sequences(self):
        """A seeded mix of pushes, adds, the MPOP family (blocking forms with data or a short
        timeout) and ZINTERCARD, reply by reply, then the final lists and sets compared."""
        env = os.environ.get("PETACORE_MPOP_SEEDS")
        for seed in [int(s) for s in env.split(",")] if env else DEFAULT_SEEDS:
            with self.subTest(seed=seed):
                print(f"\n[test_mpop] seed={seed} ops={OPS_PER_SEED}", file=sys.stderr)
                self.both("FLUSHALL")
                rng = random.Random(seed)
                history = []
                for i in range(OPS_PER_SEED):
                    args = self.gen(rng)
                    history.append(args)
                    got, want = self.both(*args)
                    if got != want:
                        self.fail(f"seed {seed} op {i}: {args!r}\n  petacore: {got!r}\n"
                                  f"  redis:    {want!r}\n  last commands: {history[-8:]!r}")
                for k in LKEYS:
                    self.same("LRANGE", k, "0", "-1")
                for k in ZKEYS:
                    self.same("ZRANGE", k, "0", "-1", "WITHSCORES")

    def test_command_info(self):
        for name in ["lmpop", "blmpop", "zmpop", "bzmpop"]:
            self.same("COMMAND", "INFO", name)
        self.same("COMMAND", "GETKEYS", "BLMPOP", "0", "2", "a", "b", "LEFT")
        self.same("COMMAND", "GETKEYS", "ZMPOP", "3", "a", "b", "c", "MIN", "COUNT", "1")


class MpopReplicated(ReplicatedTestCase):
    """BLMPOP / BZMPOP parked on node B, woken by a write on node A."""

    def wait_parked(self, b_admin, n):
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            info = b_admin.call("INFO", "clients")[1][1]
            for line in info.split(b"\r\n"):
                if line.startswith(b"blocked_clients:") and int(line.split(b":")[1]) >= n:
                    return
            time.sleep(0.02)
        self.fail("the client on B never blocked")

    def test_woken_from_the_other_node(self):
        a, b, b_admin = WireConn(self.a.port), WireConn(self.b.port), WireConn(self.b.port)
        try:
            a.call("FLUSHALL")
            b.send("BLMPOP", "0", "2", "rl1", "rl2", "LEFT", "COUNT", "2")
            self.wait_parked(b_admin, 1)
            a.call("RPUSH", "rl2", "x", "y", "z")
            self.assertEqual(b.read_value(time.monotonic() + WAIT),
                             b"*2\r\n$3\r\nrl2\r\n*2\r\n$1\r\nx\r\n$1\r\ny\r\n")
            b.send("BZMPOP", "0", "1", "rz", "MIN")
            self.wait_parked(b_admin, 1)
            a.call("ZADD", "rz", "2", "two", "1", "one")
            self.assertEqual(b.read_value(time.monotonic() + WAIT),
                             b"*2\r\n$2\r\nrz\r\n*1\r\n*2\r\n$3\r\none\r\n$1\r\n1\r\n")
            self.assertEqual(a.call("LRANGE", "rl2", "0", "-1")[0], b"*1\r\n$1\r\nz\r\n")
        finally:
            for c in (a, b, b_admin):
                c.close()


# The random run against a node on etcd too (issue 20: the etcd encoding, compare guards
# and folding are what differ from standalone).
MpopAgainstRedisReplicated = replicated(MpopAgainstRedis)

if __name__ == "__main__":
    unittest.main()
