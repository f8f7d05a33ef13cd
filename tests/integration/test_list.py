"""Lists: a differential test of PetaCore (standalone) against Debian's redis-server 7.0, the
blocking pops on one node, and lists shared by two nodes over etcd.

The seeded generator mixes every list command (counts, negative and out-of-range indexes,
LPOS options, LMOVE with the same source and destination) with SET/DEL over a few keys so
WRONGTYPE and key deletion are exercised; replies must be identical (lists are ordered).
Rerun one seed with PETACORE_LIST_SEEDS=1234.
"""
import collections
import socket
import threading
import time
import unittest

from differential import (DifferentialTestCase, ReplicatedTestCase, incarnations, raw_client,
                          replicated, vary_arity)
from harness import wait_for

DEFAULT_SEEDS = [20240611, 3, 99]
OPS_PER_SEED = 3000

KEYS = [b"l1", b"l2", b"l3", b"\x00bin\xff"]
STRING_KEY = b"lstr"  # where most SETs go: a list key SET to a string stays so until a DEL
ELEMENTS = [b"a", b"b", b"c", b"", b"\x00\r\n", b"1", b"a" * 40]
INT64_MAX = 2**63 - 1
INT64_MIN = -2**63


def rand_index(rng):
    r = rng.random()
    if r < 0.96:
        return str(rng.randint(-12, 12)).encode()
    return rng.choice([str(INT64_MAX).encode(), str(INT64_MIN).encode(), b"x", b"1.0", b""])


def rand_count(rng):
    r = rng.random()
    if r < 0.96:
        return str(rng.randint(0, 6)).encode()
    return rng.choice([b"-1", b"x", str(INT64_MAX).encode(), b"100"])


def rand_end(rng):
    return rng.choice([b"LEFT", b"RIGHT", b"left", b"Right"] * 5 + [b"middle"])


def gen_command(rng):
    # Mostly the list keys; 4% the string key (WRONGTYPE replies, a small share).
    key = lambda: STRING_KEY if rng.random() < 0.04 else rng.choice(KEYS)  # noqa: E731
    elem = lambda: rng.choice(ELEMENTS)  # noqa: E731
    c = rng.choices(
        ["LPUSH", "RPUSH", "LPUSHX", "RPUSHX", "LPOP", "RPOP", "LLEN", "LRANGE", "LINDEX",
         "LSET", "LREM", "LTRIM", "LINSERT", "LPOS", "LMOVE", "RPOPLPUSH", "SET", "DEL",
         "BLPOP", "BRPOP", "BLMOVE", "BRPOPLPUSH", "EXISTS", "TYPE"],
        weights=[12, 12, 2, 2, 6, 6, 3, 10, 5, 4, 5, 3, 4, 6, 5, 3, 1, 3, 2, 2, 1, 1, 1,
                 1])[0]
    if c in ("LPUSH", "RPUSH", "LPUSHX", "RPUSHX"):
        args = [key()] + [elem() for _ in range(rng.randint(1, 5))]
    elif c in ("LPOP", "RPOP"):
        args = [key()] + ([rand_count(rng)] if rng.random() < 0.5 else [])
    elif c in ("LLEN", "DEL", "EXISTS", "TYPE"):
        args = [key()]
    elif c in ("LRANGE", "LTRIM"):
        args = [key(), rand_index(rng), rand_index(rng)]
    elif c == "LINDEX":
        args = [key(), rand_index(rng)]
    elif c == "LSET":  # mostly an index near the head or tail (in range more often)
        args = [key(), rng.choice([b"0", b"-1", b"1"]) if rng.random() < 0.6 else rand_index(rng),
                elem()]
    elif c == "LREM":
        args = [key(), str(rng.randint(-3, 3)).encode(), elem()]
    elif c == "LINSERT":
        where = rng.choice([b"BEFORE", b"AFTER", b"after", b"Before"] * 3 + [b"beside"])
        args = [key(), where, elem(), elem()]
    elif c == "LPOS":
        args = [key(), elem()]
        for opt in rng.sample([b"RANK", b"COUNT", b"MAXLEN"], rng.randint(0, 3)):
            if opt == b"RANK":
                v = rng.choice([b"1", b"2", b"-1", b"-2", b"3", b"0", b"x",
                                str(INT64_MIN).encode()])
            elif opt == b"COUNT":
                v = rng.choice([b"0", b"1", b"2", b"-1"])
            else:
                v = rng.choice([b"0", b"1", b"3", b"-1"])
            args += [opt, v]
        if rng.random() < 0.03:
            args.append(b"RANK")
    elif c == "LMOVE":
        args = [key(), key(), rand_end(rng), rand_end(rng)]
    elif c == "RPOPLPUSH":
        args = [key(), key()]
    elif c == "SET":
        args = [STRING_KEY if rng.random() < 0.95 else key(), b"str"]
    elif c in ("BLPOP", "BRPOP"):
        # A short timeout: when every key is empty both servers block for 10 ms, then nil.
        args = [key() for _ in range(rng.randint(1, 3))]
        args.append(rng.choice([b"0.01"] * 8 + [b"x", b"-1"]))
    elif c == "BLMOVE":
        args = [key(), key(), rand_end(rng), rand_end(rng), rng.choice([b"0.01", b"-1"])]
    else:  # BRPOPLPUSH
        args = [key(), key(), b"0.01"]
    args = vary_arity(rng, args)
    if rng.random() < 0.1:
        c = c.lower()
    return [c.encode()] + args


class ListDifferential(DifferentialTestCase):
    FAMILY = "list"
    DEFAULT_SEEDS = DEFAULT_SEEDS
    OPS_PER_SEED = OPS_PER_SEED
    DUMP_KEYS = KEYS + [STRING_KEY]

    def test_random_sequences(self):
        self.check_random_sequences(gen_command)

    def test_edge_cases(self):
        for args in (("RPUSH", "l", "a", "b", "c", "a", "b"), ("LPOP", "l", "-1"),
                     ("LPOP", "l", "abc"), ("LPOP", "nokey", "0"), ("LPOP", "l", "0"),
                     ("LPOP", "l", "1", "2"), ("RPOP", "nokey"), ("RPOP", "nokey", "3"),
                     ("LPOS", "l", "a", "RANK", "0"), ("LPOS", "l", "b", "RANK", "-1"),
                     ("LPOS", "l", "a", "RANK", str(INT64_MIN)), ("LPOS", "l", "a", "COUNT", "x"),
                     ("LPOS", "l", "a", "COUNT", "0", "RANK", "-1"),
                     ("LPOS", "l", "a", "COUNT", "0", "MAXLEN", "4"),
                     ("LPOS", "l", "a", "MAXLEN", "-1"), ("LPOS", "nokey", "a", "COUNT", "0"),
                     ("LPOS", "nokey", "a"), ("LSET", "nokey", "0", "x"), ("LSET", "l", "9", "x"),
                     ("LSET", "l", "x", "x"), ("LSET", "l", "-1", "z"), ("LINDEX", "l", "-1"),
                     ("LINSERT", "nokey", "BEFORE", "a", "x"), ("LINSERT", "l", "AFTER", "q", "x"),
                     ("LINSERT", "l", "AFTER", "b", "x"), ("LINSERT", "l", "over", "b", "x"),
                     ("LREM", "l", str(INT64_MIN), "a"), ("LRANGE", "l", "0", "-1"),
                     ("LTRIM", "l", "5", "1"), ("EXISTS", "l"), ("LTRIM", "nokey", "0", "1"),
                     ("SET", "s", "x"), ("LPUSH", "s", "a"), ("LPUSHX", "s", "a"),
                     ("LPUSHX", "nokey", "a"), ("LMOVE", "nokey", "s", "LEFT", "RIGHT"),
                     ("RPUSH", "m", "1"), ("LMOVE", "m", "s", "LEFT", "RIGHT"),
                     ("LMOVE", "s", "m", "LEFT", "RIGHT"), ("LMOVE", "m", "m", "LEFT", "RIGHT"),
                     ("LMOVE", "m", "m", "LEFT", "up"), ("RPOPLPUSH", "m", "n"),
                     ("LRANGE", "n", "0", "-1"), ("EXISTS", "m"),
                     ("BLPOP", "nokey", "abc"), ("BLPOP", "nokey", "-1"),
                     ("BLPOP", "nokey", "inf"), ("BLPOP", "nokey", "1e16"),
                     ("BLPOP", "s", "nokey", "1"), ("BLPOP", "nokey", "n", "s", "1"),
                     ("BLMOVE", "s", "n", "LEFT", "RIGHT", "1"),
                     ("BLMOVE", "n", "s", "LEFT", "RIGHT", "1"),
                     ("BRPOPLPUSH", "n", "s", "x"), ("BLPOP", "n")):
            self.same(*args)

    def test_blpop_timeout_returns_nil(self):
        self.assertIsNone(self.pc.execute_command("BLPOP", "empty", "0.2"))
        self.assertIsNone(self.pc.execute_command("BRPOPLPUSH", "empty", "dst", "0.05"))
        self.assertIsNone(self.pc.execute_command("BLMOVE", "empty", "d", "LEFT", "LEFT", "0.05"))
        self.assertEqual(self.pc.execute_command("EXISTS", "dst", "d"), 0)

    def test_blpop_served_by_push_from_other_connection(self):
        result = {}

        def waiter():
            c = raw_client(self.node.port)
            result["r"] = c.execute_command("BLPOP", "q1", "q2", "0")
            c.close()

        t = threading.Thread(target=waiter)
        t.start()
        time.sleep(0.3)  # let it park (if not, it pops at once: the reply is the same)
        self.assertEqual(self.pc.execute_command("RPUSH", "q2", "x", "y"), 2)
        t.join(30)
        self.assertFalse(t.is_alive())
        self.assertEqual(result["r"], [b"q2", b"x"])
        self.assertEqual(self.pc.execute_command("LRANGE", "q2", 0, -1), [b"y"])

    def test_blmove_served_by_push(self):
        result = {}

        def waiter():
            c = raw_client(self.node.port)
            result["r"] = c.execute_command("BLMOVE", "src", "dst", "RIGHT", "LEFT", "20")
            c.close()

        t = threading.Thread(target=waiter)
        t.start()
        time.sleep(0.3)
        self.pc.execute_command("RPUSH", "src", "a", "b")
        t.join(30)
        self.assertEqual(result["r"], b"b")
        self.assertEqual(self.pc.execute_command("LRANGE", "dst", 0, -1), [b"b"])

    def test_blocked_client_that_hangs_up_takes_nothing(self):
        """A client that disconnects while BLPOP waits is gone from the blocking registry (as
        Redis frees it): an element pushed afterwards stays in the list."""
        for port, c in ((self.node.port, self.pc), (self.redis.port, self.rr)):
            blocked = socket.create_connection(("127.0.0.1", port))
            blocked.sendall(b"*3\r\n$5\r\nBLPOP\r\n$4\r\nhang\r\n$1\r\n0\r\n")
            wait_for(lambda: b"blocked_clients:1" in c.execute_command("INFO", "clients"),
                     what="the client to block")
            blocked.close()
            wait_for(lambda: b"blocked_clients:0" in c.execute_command("INFO", "clients"),
                     what="the hung-up client to leave the registry")
            self.assertEqual(c.execute_command("RPUSH", "hang", "kept"), 1)
            self.assertEqual(c.execute_command("LRANGE", "hang", 0, -1), [b"kept"])

    def test_blpop_in_multi_returns_nil_at_once(self):
        for c in (self.pc, self.rr):
            c.execute_command("MULTI")
            c.execute_command("BLPOP", "empty", "0")
            c.execute_command("BRPOPLPUSH", "empty", "x", "0")
            c.execute_command("RPUSH", "full", "v")
            c.execute_command("BLPOP", "empty", "full", "0")
            self.assertEqual(c.execute_command("EXEC"), [None, None, 1, [b"full", b"v"]])


# One seed against a node on etcd (and its peer converging).
ListDifferentialReplicated = replicated(ListDifferential)
# The same run on collections moved into incarnations (keyspace/incarnation.h).
ListDifferentialIncarnations = incarnations(ListDifferential)


class ListReplicated(ReplicatedTestCase):
    def setUp(self):
        self.flush_replicated()

    def test_push_on_a_pop_on_b(self):
        ca, cb = self.a.client(), self.b.client()
        self.assertEqual(ca.rpush("x", "1", "2", "3"), 3)
        wait_for(lambda: cb.llen("x") == 3, what="replication")
        self.assertEqual(cb.lpop("x"), b"1")
        self.assertEqual(cb.rpop("x", 2), [b"3", b"2"])
        wait_for(lambda: ca.exists("x") == 0, what="delete replicated")

    def test_blpop_on_a_woken_by_push_on_b(self):
        result = {}

        def waiter():
            result["r"] = self.a.client().blpop(["wq"], timeout=0)

        t = threading.Thread(target=waiter)
        t.start()
        time.sleep(0.3)
        self.b.client().rpush("wq", "hello")
        t.join(30)
        self.assertFalse(t.is_alive())
        self.assertEqual(result["r"], (b"wq", b"hello"))
        wait_for(lambda: self.b.client().exists("wq") == 0, what="pop replicated")

    def test_hung_up_waiter_on_a_leaves_the_push_from_b(self):
        blocked = socket.create_connection(("127.0.0.1", self.a.port))
        blocked.sendall(b"*3\r\n$5\r\nBLPOP\r\n$5\r\nhangr\r\n$1\r\n0\r\n")
        wait_for(lambda: self.a.client().info("clients")["blocked_clients"] == 1,
                 what="the client to block")
        blocked.close()
        wait_for(lambda: self.a.client().info("clients")["blocked_clients"] == 0,
                 what="the hung-up client to leave the registry")
        self.b.client().rpush("hangr", "kept")
        wait_for(lambda: self.a.client().lrange("hangr", 0, -1) == [b"kept"], what="replication")
        self.assertEqual(self.b.client().lpop("hangr"), b"kept")

    def test_each_element_delivered_once(self):
        results = []
        lock = threading.Lock()

        def waiter(node):
            r = node.client().blpop(["jobs"], timeout=20)
            with lock:
                results.append(r)

        threads = [threading.Thread(target=waiter, args=(n,))
                   for n in (self.a, self.a, self.b, self.b)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        pushed = [b"e1", b"e2", b"e3", b"e4"]
        self.a.client().rpush("jobs", pushed[0], pushed[1])
        self.b.client().rpush("jobs", pushed[2])
        self.a.client().lpush("jobs", pushed[3])
        for t in threads:
            t.join(40)
        self.assertEqual(len(results), 4)
        self.assertNotIn(None, results, "a blocked client timed out: an element was lost")
        self.assertEqual(collections.Counter(v for _, v in results), collections.Counter(pushed))
        # The last pop may have run on b: a's replica shows it once applied (slow under ASan).
        wait_for(lambda: self.a.client().llen("jobs") == 0, what="a to apply every pop")

    def test_concurrent_lpush_from_both_nodes(self):
        errors = []

        def pusher(node, tid):
            c = node.client()
            try:
                for i in range(50):
                    c.lpush("cl", f"{node.port}-{tid}-{i}")
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        threads = [threading.Thread(target=pusher, args=(n, i))
                   for n in (self.a, self.b) for i in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(100)
        self.assertEqual(errors, [])
        # Each node reads its own replica: the other node's last pushes may still be on
        # their way to it (reads are local by default).
        wait_for(lambda: self.a.client().llen("cl") == 500, what="a to apply every push")
        wait_for(lambda: self.b.client().llen("cl") == 500, what="replication")
        items = self.b.client().lrange("cl", 0, -1)
        self.assertEqual(len(set(items)), 500)
        # Each thread's own pushes stay in order (LPUSH: newest first).
        for n in (self.a, self.b):
            for tid in range(5):
                mine = [x for x in items if x.startswith(f"{n.port}-{tid}-".encode())]
                self.assertEqual(mine, [f"{n.port}-{tid}-{i}".encode() for i in range(49, -1, -1)])


if __name__ == "__main__":
    unittest.main()
