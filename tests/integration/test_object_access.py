"""Key access data: OBJECT IDLETIME and OBJECT FREQ against redis-server 7.0.15 (raw RESP),
maxmemory-policy's eight names, and the per-node record on two replicated nodes.

- OBJECT HELP, the policy errors of IDLETIME / FREQ, CONFIG SET of the policy and of
  lfu-log-factor / lfu-decay-time compared with Redis;
- with an LFU policy and lfu-log-factor 0 (every access increments the counter, so the
  numbers are exact), OBJECT FREQ after reads, writes, TOUCH, a script and EXEC equals
  Redis's; OBJECT itself is not an access;
- IDLETIME: at most 1 right after an access, at least 2 after a bounded wait of 2.1 s without
  one, and OBJECT itself does not reset it (ordering facts, no speed assertion);
- two nodes: reads on B change B's counter, not A's (the record is per node).
"""
import time
import unittest

from differential import RawAgainstRedisTestCase, ReplicatedTestCase
from harness import Node, wait_for
from resp_wire import WireConn


def integer(conn, *args):
    raw = conn.call(*args)[0]
    assert raw.startswith(b":"), raw
    return int(raw[1:-2])


class ObjectAccessAgainstRedis(RawAgainstRedisTestCase):

    def tearDown(self):
        self.same("CONFIG", "SET", "maxmemory-policy", "noeviction")
        self.same("CONFIG", "SET", "lfu-log-factor", "10")
        self.same("CONFIG", "SET", "lfu-decay-time", "1")
        super().tearDown()

    def test_help_and_policy_errors(self):
        self.same("SET", "k", "v")
        for args in [("OBJECT", "HELP"), ("OBJECT", "FREQ", "k"), ("OBJECT", "FREQ", "nokey"),
                     ("OBJECT", "IDLETIME", "nokey"), ("OBJECT", "IDLETIME"),
                     ("OBJECT", "FREQ", "k", "x"), ("CONFIG", "SET", "maxmemory-policy", "bad"),
                     ("CONFIG", "SET", "lfu-log-factor", "-1"),
                     ("CONFIG", "SET", "lfu-decay-time", "x"), ("CONFIG", "GET", "lfu-log-factor"),
                     ("CONFIG", "GET", "lfu-decay-time")]:
            self.same(*args)
        for policy in ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
                       "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction",
                       "ALLKEYS-LFU"]:
            self.same("CONFIG", "SET", "maxmemory-policy", policy)
            self.same("CONFIG", "GET", "maxmemory-policy")
            self.same("OBJECT", "FREQ", "nokey")
            if "lfu" in policy.lower():
                self.same("OBJECT", "IDLETIME", "k")  # the error
                # a key created under LFU (an older key's counter is Redis's reused LRU bits)
                self.same("DEL", "k2")
                self.same("SET", "k2", policy)
                self.same("OBJECT", "FREQ", "k2")

    def test_freq_exact_with_log_factor_0(self):
        self.same("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
        self.same("CONFIG", "SET", "lfu-log-factor", "0")
        self.same("CONFIG", "SET", "lfu-decay-time", "1000")
        steps = [
            ("SET", "k", "v"), ("OBJECT", "FREQ", "k"), ("GET", "k"), ("GET", "k"),
            ("OBJECT", "FREQ", "k"), ("OBJECT", "FREQ", "k"), ("STRLEN", "k"),
            ("OBJECT", "FREQ", "k"), ("TOUCH", "k", "k"), ("OBJECT", "FREQ", "k"),
            ("SET", "k", "v2"), ("OBJECT", "FREQ", "k"), ("APPEND", "k", "x"),
            ("OBJECT", "FREQ", "k"), ("OBJECT", "TYPE", "k"), ("OBJECT", "FREQ", "k"),
            ("RPUSH", "l", "a", "b"), ("OBJECT", "FREQ", "l"), ("LRANGE", "l", "0", "-1"),
            ("LPUSH", "l", "c"), ("OBJECT", "FREQ", "l"), ("HSET", "h", "f", "1"),
            ("HGET", "h", "f"), ("HGETALL", "h"), ("OBJECT", "FREQ", "h"),
            ("EVAL", "redis.call('get', KEYS[1]) return redis.call('get', KEYS[1])", "1", "k"),
            ("OBJECT", "FREQ", "k"), ("MULTI",), ("GET", "k"), ("SET", "n", "100000"), ("EXEC",),
            ("OBJECT", "FREQ", "k"), ("OBJECT", "FREQ", "n"), ("INCRBY", "n", "100000"),
            ("OBJECT", "FREQ", "n"), ("DEL", "k"), ("SET", "k", "new"), ("OBJECT", "FREQ", "k"),
        ]
        for args in steps:
            self.same(*args)
        for _ in range(300):  # the counter saturates at 255
            self.same("GET", "h2")
            self.pc.call("HGET", "h", "f")
            self.rr.call("HGET", "h", "f")
        self.same("OBJECT", "FREQ", "h")

    def test_idletime_orders(self):
        self.same("SET", "k", "v")
        self.pc.call("GET", "k")
        first = integer(self.pc, "OBJECT", "IDLETIME", "k")
        self.assertLessEqual(first, 1)
        time.sleep(2.1)
        idle = integer(self.pc, "OBJECT", "IDLETIME", "k")
        self.assertGreaterEqual(idle, 2)
        # OBJECT is not an access; EXISTS-free reads are
        self.assertGreaterEqual(integer(self.pc, "OBJECT", "IDLETIME", "k"), 2)
        self.pc.call("GET", "k")
        self.assertLessEqual(integer(self.pc, "OBJECT", "IDLETIME", "k"), 1)
        # TOUCH is an access too
        self.pc.call("SET", "t", "v")
        time.sleep(2.1)
        self.assertGreaterEqual(integer(self.pc, "OBJECT", "IDLETIME", "t"), 2)
        self.pc.call("TOUCH", "t")
        self.assertLessEqual(integer(self.pc, "OBJECT", "IDLETIME", "t"), 1)

    def test_restore_idletime_and_freq(self):
        """RESTORE ... IDLETIME / FREQ set the restored key's record as Redis's
        objectSetLRUOrLFU: the same OBJECT IDLETIME (within the second the two servers may
        straddle) and the exact OBJECT FREQ; the option of the other policy is ignored."""
        self.same("SET", "src", "value")
        payload = self.rr.call("DUMP", "src")[1][1]  # (raw, (type, bytes))
        self.same("RESTORE", "idle", "0", payload, "IDLETIME", "1000")
        got, want = (integer(c, "OBJECT", "IDLETIME", "idle") for c in (self.pc, self.rr))
        self.assertTrue(1000 <= got <= 1001 and 1000 <= want <= 1001, (got, want))
        self.same("RESTORE", "idle-freq", "0", payload, "FREQ", "77")  # ignored under LRU
        self.assertLessEqual(integer(self.pc, "OBJECT", "IDLETIME", "idle-freq"), 1)
        self.same("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
        self.same("RESTORE", "freq", "0", payload, "FREQ", "77")
        self.same("OBJECT", "FREQ", "freq")
        self.same("RESTORE", "freq", "0", payload, "REPLACE", "FREQ", "3")
        self.same("OBJECT", "FREQ", "freq")
        self.same("RESTORE", "freq-idle", "0", payload, "IDLETIME", "50")  # ignored under LFU
        self.same("OBJECT", "FREQ", "freq-idle")


class ObjectAccessStartupPolicy(unittest.TestCase):
    """The policy and lfu-log-factor from the command line apply from the first command."""

    def test_flags(self):
        node = Node(extra_args=["--maxmemory-policy", "allkeys-lfu", "--lfu-log-factor", "0"])
        c = WireConn(node.port)
        try:
            c.call("SET", "k", "v")
            c.call("GET", "k")
            self.assertEqual(c.call("OBJECT", "FREQ", "k")[0], b":6\r\n")
            self.assertTrue(c.call("OBJECT", "IDLETIME", "k")[0].startswith(b"-ERR An LFU"))
        finally:
            c.close()
            node.close()


class ObjectAccessReplicated(ReplicatedTestCase):
    """The access record is per node: reads on B count on B only."""

    def test_per_node(self):
        a, b = WireConn(self.a.port), WireConn(self.b.port)
        try:
            a.call("FLUSHALL")
            self.assertEqual(a.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")[0],
                             b"+OK\r\n")
            a.call("CONFIG", "SET", "lfu-log-factor", "0")
            a.call("CONFIG", "SET", "lfu-decay-time", "1000")
            a.call("SET", "k", "v")
            wait_for(lambda: b.call("OBJECT", "FREQ", "k")[0] == b":5\r\n", what="key on B")
            for _ in range(4):
                b.call("GET", "k")
            self.assertEqual(b.call("OBJECT", "FREQ", "k")[0], b":9\r\n")
            self.assertEqual(a.call("OBJECT", "FREQ", "k")[0], b":5\r\n")
            a.call("GET", "k")
            self.assertEqual(a.call("OBJECT", "FREQ", "k")[0], b":6\r\n")
            self.assertEqual(b.call("OBJECT", "FREQ", "k")[0], b":9\r\n")
        finally:
            a.call("CONFIG", "SET", "maxmemory-policy", "noeviction")
            a.close()
            b.close()


if __name__ == "__main__":
    unittest.main()
