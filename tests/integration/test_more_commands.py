"""Differential tests of LCS, TOUCH, ZRANDMEMBER and ZINTERCARD: PetaCore (standalone) against
redis-server 7.0.15, compared as raw RESP bytes (RESP2 and RESP3). ZRANDMEMBER's picks are
random on both sides, so its replies are compared by shape (count, distinctness, members
and scores from the set) and its errors exactly. LCS also gets a seeded random comparison
(PETACORE_LCS_SEEDS=1,2)."""
import os
import random
import sys
import unittest

from differential import RawAgainstRedisTestCase
from resp_wire import WireConn

LCS_SEEDS = [16, 1606]


def plain(tree):
    """A parsed reply as Python values: arrays as lists, doubles as floats, integers as ints."""
    kind, value = tree
    if isinstance(value, list):
        return [plain(t) for t in value]
    if kind == b",":
        return float(value)
    if kind == b":":
        return int(value)
    return value


class MoreCommandsAgainstRedis(RawAgainstRedisTestCase):

    def test_lcs(self):
        self.same("MSET", "a", "ohmytext", "b", "mynewtext", "e", "", "n", "12345", "m", "1x3y5")
        self.same("RPUSH", "l", "x")
        r3 = self.pair(3)
        for args in [
            ("LCS", "a", "b"), ("LCS", "a", "b", "LEN"), ("LCS", "a", "b", "IDX"),
            ("LCS", "a", "b", "IDX", "MINMATCHLEN", "4"), ("LCS", "a", "b", "IDX", "WITHMATCHLEN"),
            ("LCS", "a", "b", "idx", "minmatchlen", "2", "withmatchlen"),
            ("LCS", "a", "b", "IDX", "MINMATCHLEN", "-3"), ("LCS", "a", "b", "LEN", "IDX"),
            ("LCS", "a", "b", "MINMATCHLEN"), ("LCS", "a", "b", "MINMATCHLEN", "x"),
            ("LCS", "a", "b", "FOO"), ("LCS", "a", "missing"), ("LCS", "missing", "missing2", "IDX"),
            ("LCS", "a", "e", "LEN"), ("LCS", "a", "l"), ("LCS", "l", "missing"),
            ("LCS", "l", "a", "BAD"), ("LCS", "a"), ("LCS", "n", "m", "IDX", "WITHMATCHLEN"),
            ("LCS", "a", "a", "IDX"), ("LCS", "a", "b", "LEN", "WITHMATCHLEN"),
        ]:
            self.same(*args)
            self.same(*args, conns=r3)
        self.both("CONFIG", "SET", "proto-max-bulk-len", "1mb")
        try:
            self.same("SET", "big", "x" * 600)
            self.same("LCS", "big", "big", "LEN")
        finally:
            self.both("CONFIG", "SET", "proto-max-bulk-len", "512mb")

    def test_lcs_random(self):
        env = os.environ.get("PETACORE_LCS_SEEDS")
        for seed in [int(s) for s in env.split(",")] if env else LCS_SEEDS:
            print(f"\n[test_more_commands] lcs seed={seed}", file=sys.stderr)
            rng = random.Random(seed)
            for i in range(300):
                a = bytes(rng.choice(b"abcd") for _ in range(rng.randint(0, 30)))
                b = bytes(rng.choice(b"abcd") for _ in range(rng.randint(0, 30)))
                self.same("MSET", "a", a, "b", b)
                opts = rng.choice([[], ["LEN"], ["IDX"], ["IDX", "WITHMATCHLEN"],
                                   ["IDX", "MINMATCHLEN", str(rng.randint(0, 4))]])
                self.same("LCS", "a", "b", *opts)

    def test_touch(self):
        self.same("MSET", "a", "1", "b", "2")
        self.same("SADD", "s", "x")
        for args in [("TOUCH", "a"), ("TOUCH", "a", "b", "s", "nokey"), ("TOUCH", "a", "a"),
                     ("TOUCH",), ("TOUCH", "nokey"), ("COMMAND", "INFO", "touch"),
                     ("COMMAND", "GETKEYS", "TOUCH", "a", "b")]:
            self.same(*args)

    def test_zintercard(self):
        self.same("ZADD", "z1", "1", "a", "2", "b", "3", "c", "4", "d")
        self.same("ZADD", "z2", "1", "b", "2", "c", "3", "d", "4", "e")
        self.same("SADD", "s", "c", "d", "x")
        self.same("SET", "str", "v")
        for args in [
            ("ZINTERCARD", "1", "z1"), ("ZINTERCARD", "2", "z1", "z2"),
            ("ZINTERCARD", "3", "z1", "z2", "s"), ("ZINTERCARD", "2", "z1", "z2", "LIMIT", "2"),
            ("ZINTERCARD", "2", "z1", "z2", "LIMIT", "0"), ("ZINTERCARD", "2", "z1", "z2", "limit", "100"),
            ("ZINTERCARD", "2", "z1", "z2", "LIMIT", "-1"), ("ZINTERCARD", "2", "z1", "z2", "LIMIT", "x"),
            ("ZINTERCARD", "2", "z1", "z2", "LIMIT"), ("ZINTERCARD", "2", "z1", "z2", "WEIGHTS", "1", "2"),
            ("ZINTERCARD", "2", "z1", "z2", "LIMIT", "1", "LIMIT", "3"),
            ("ZINTERCARD", "0", "z1"), ("ZINTERCARD", "-1", "z1"), ("ZINTERCARD", "x", "z1"),
            ("ZINTERCARD", "3", "z1", "z2"), ("ZINTERCARD", "2", "z1", "str"),
            ("ZINTERCARD", "2", "z1", "nokey"), ("ZINTERCARD", "1", "nokey"), ("ZINTERCARD", "1"),
            ("ZINTERCARD", "2", "z1", "z1"), ("COMMAND", "INFO", "zintercard"),
            ("COMMAND", "GETKEYS", "ZINTERCARD", "2", "z1", "z2", "LIMIT", "1"),
        ]:
            self.same(*args)

    def test_zrandmember_errors_and_edges(self):
        self.same("ZADD", "z", "1", "a", "2.5", "b", "-3", "c")
        self.same("SET", "str", "v")
        r3 = self.pair(3)
        for args in [
            ("ZRANDMEMBER", "nokey"), ("ZRANDMEMBER", "nokey", "5"), ("ZRANDMEMBER", "nokey", "-5", "WITHSCORES"),
            ("ZRANDMEMBER", "str"), ("ZRANDMEMBER", "str", "1"), ("ZRANDMEMBER", "z", "0"),
            ("ZRANDMEMBER", "z", "0", "WITHSCORES"), ("ZRANDMEMBER", "z", "x"),
            ("ZRANDMEMBER", "z", "1", "FOO"), ("ZRANDMEMBER", "z", "1", "WITHSCORES", "x"),
            ("ZRANDMEMBER", "z", "-9223372036854775808"), ("ZRANDMEMBER", "z", "9223372036854775807", "WITHSCORES"),
            ("ZRANDMEMBER", "z", "-4611686018427387904", "WITHSCORES"),
            ("ZRANDMEMBER", "z", "3", "WITHSCORES"), ("ZRANDMEMBER", "str", "0"),
            ("ZRANDMEMBER",), ("COMMAND", "INFO", "zrandmember"),
        ]:
            if args[1:3] == ("z", "3"):
                # the whole set: the same members and scores, in any order
                for conns in [None, r3]:
                    (got, gt), (want, wt) = self.both_trees(*args, conns=conns)
                    self.assertEqual(gt[0], wt[0])
                    norm = (lambda t: sorted(map(repr, t[1])))
                    self.assertEqual(norm(gt), norm(wt), f"{args!r} {got!r} vs {want!r}")
                continue
            self.same(*args)
            self.same(*args, conns=r3)

    def test_zrandmember_shapes(self):
        scores = {b"m%d" % i: float(i) / 2 for i in range(20)}
        flat = []
        for m, s in scores.items():
            flat += [repr(s), m]
        self.same("ZADD", "z", *flat)
        pc3 = WireConn(self.node.port, 3)
        self.conns.append(pc3)
        for _ in range(30):
            one = plain(self.pc.call("ZRANDMEMBER", "z")[1])
            self.assertIn(one, scores)
            for count in [1, 5, 19, 20, 25, -1, -5, -40]:
                tree = plain(self.pc.call("ZRANDMEMBER", "z", str(count))[1])
                self.assertEqual(len(tree), min(count, 20) if count > 0 else -count)
                self.assertTrue(all(m in scores for m in tree))
                if count > 0:
                    self.assertEqual(len(set(tree)), len(tree), "positive count: distinct")
                ws = plain(self.pc.call("ZRANDMEMBER", "z", str(count), "WITHSCORES")[1])
                pairs = list(zip(ws[0::2], ws[1::2]))
                self.assertEqual(len(pairs), len(tree))
                for m, s in pairs:
                    self.assertEqual(float(s), scores[m])
                ws3 = plain(pc3.call("ZRANDMEMBER", "z", str(count), "WITHSCORES")[1])
                for m, s in ws3:
                    self.assertEqual(s, scores[m])  # a RESP3 double
        # a negative count repeats: 200 picks from 20 members must repeat one
        many = plain(self.pc.call("ZRANDMEMBER", "z", "-200")[1])
        self.assertLess(len(set(many)), 200)

if __name__ == "__main__":
    unittest.main()
