"""Sets: a differential test of PetaCore (standalone) against Debian's redis-server 7.0,
invariant tests of the random commands, and the set commands on two replicated nodes.

A seeded generator produces a few thousand set commands over a small key and member space
(binary and empty members, integers that Redis keeps in an intset), mixed with string
SET/GET/DEL/TYPE on the same keys to hit WRONGTYPE. Each command goes to both servers;
replies must match exactly, except where Redis leaves the order unspecified (SMEMBERS,
SINTER, SUNION, SDIFF, SSCAN: compared sorted). SPOP and SRANDMEMBER are random by design:
they are left out of the stream and checked for their invariants instead. The seeds are
printed; rerun one with PETACORE_SET_SEEDS=1234,5678.
"""
import random
import threading
import unittest

from differential import (DifferentialTestCase, ReplicatedTestCase, call, compare_full_scans,
                          full_scan, incarnations, scan_options, vary_arity, vary_case,
                          replicated)
from harness import wait_for

DEFAULT_SEEDS = [20240613, 3, 77, 4242]
OPS_PER_SEED = 4000

KEYS = [b"s1", b"s2", b"s3", b"", b"\x00k\xff", b"d"]
MEMBERS = [b"a", b"b", b"c", b"ab", b"1", b"2", b"-1", b"10", b"01", b"", b"\x00",
           b"m\x00\xff", b"x y", b"\r\n", b"9223372036854775807", b"-9223372036854775808",
           b"9223372036854775808", b"*", b"[a]"]
PATTERNS = [b"*", b"a*", b"?", b"[ab]", b"*\x00*", b"\\*", b"", b"1*", b"[0-9]"]

# Orders Redis leaves unspecified: compared sorted.
UNORDERED = {b"SMEMBERS": sorted, b"SINTER": sorted, b"SUNION": sorted, b"SDIFF": sorted}


def gen_command(rng):
    # b"d" is where most SETs go (a string): 3% of the picks, so WRONGTYPE stays a small share.
    key = lambda: b"d" if rng.random() < 0.03 else rng.choice(KEYS[:-1])  # noqa: E731
    keys = lambda: [key() for _ in range(rng.randint(1, 4))]  # noqa: E731
    member = lambda: rng.choice(MEMBERS)  # noqa: E731
    members = lambda: [member() for _ in range(rng.randint(1, 5))]  # noqa: E731
    c = rng.choices(
        ["SADD", "SREM", "SMEMBERS", "SISMEMBER", "SMISMEMBER", "SCARD", "SMOVE", "SINTER",
         "SINTERCARD", "SUNION", "SDIFF", "SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE", "SSCAN",
         "SET", "GET", "DEL", "TYPE", "EXISTS"],
        weights=[18, 9, 4, 4, 3, 3, 5, 4, 3, 3, 3, 3, 3, 3, 2, 1, 1, 3, 2, 1])[0]
    if c in ("SADD", "SREM"):
        args = [key()] + members()
    elif c == "GET":  # GET of a set key: WRONGTYPE; mostly the string key
        args = [b"d" if rng.random() < 0.7 else key()]
    elif c in ("SMEMBERS", "SCARD", "DEL", "TYPE", "EXISTS"):
        args = [key()]
    elif c == "SISMEMBER":
        args = [key(), member()]
    elif c == "SMISMEMBER":
        args = [key()] + members()
    elif c == "SMOVE":
        args = [key(), key(), member()]
    elif c in ("SINTER", "SUNION", "SDIFF"):
        args = keys()
    elif c in ("SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"):
        args = [key()] + keys()
    elif c == "SINTERCARD":
        ks = keys()
        numkeys = str(len(ks)).encode()
        if rng.random() < 0.1:
            numkeys = rng.choice([b"0", b"-1", b"x", str(len(ks) + 1).encode(), b"1"])
        args = [numkeys] + ks
        if rng.random() < 0.4:
            args += [rng.choice([b"LIMIT", b"limit"]),
                     rng.choice([b"0", b"1", b"2", b"5", b"-1", b"x"])]
        elif rng.random() < 0.05:
            args += [b"bogus"]
    elif c == "SSCAN":
        args = [key()] + scan_options(rng, PATTERNS)  # the runner adds the cursor
    else:  # SET
        args = [b"d" if rng.random() < 0.95 else key(), rng.choice([b"v", b"1", b""])]
    # Now and then a wrong argument count, to compare the arity errors too.
    args = vary_arity(rng, args, c != "SSCAN")
    return [vary_case(rng, c).encode()] + args


class SetDifferential(DifferentialTestCase):
    FAMILY = "set"
    DEFAULT_SEEDS = DEFAULT_SEEDS
    OPS_PER_SEED = OPS_PER_SEED
    UNORDERED = UNORDERED

    def run_both(self, args):
        """As DifferentialTestCase.run_both, with SSCAN as a full iteration."""
        if args[0].upper() == b"SSCAN" and len(args) >= 2:
            return compare_full_scans(self.pc, self.rr, b"SSCAN", args, list, "a member")
        return super().run_both(args)

    def test_random_sequences(self):
        self.check_random_sequences(gen_command)

    # --- targeted edge cases -----------------------------------------------------------

    def test_arity_errors(self):
        for args in (["SADD", "s"], ["SREM", "s"], ["SMEMBERS"], ["SISMEMBER", "s"],
                     ["SMISMEMBER", "s"], ["SCARD", "s", "x"], ["SPOP"], ["SRANDMEMBER"],
                     ["SMOVE", "a", "b"], ["SINTER"], ["SINTERCARD", "1"], ["SUNION"],
                     ["SDIFF"], ["SINTERSTORE", "d"], ["SUNIONSTORE", "d"],
                     ["SDIFFSTORE", "d"]):
            got = self.same(*args)
            self.assertEqual(got[0], "error", args)
        for args in ([b"SSCAN"], [b"SSCAN", b"s"]):  # run_both would add a cursor
            self.assertEqual(call(self.pc, args), call(self.rr, args))

    def test_store_replaces_destination(self):
        self.both("SADD", "a", "1", "2", "3")
        self.both("SADD", "b", "2", "3", "4")
        for args in (("SET", "d", "string"), ("SINTERSTORE", "d", "a", "b"), ("TYPE", "d"),
                     ("SMEMBERS", "d"), ("SUNIONSTORE", "d", "d", "a", "b"), ("SMEMBERS", "d"),
                     ("SDIFFSTORE", "d", "d", "b"), ("SMEMBERS", "d"),
                     ("SDIFFSTORE", "d", "a", "a"), ("EXISTS", "d"),
                     ("SET", "d", "x"), ("SINTERSTORE", "d", "a", "nokey"), ("EXISTS", "d"),
                     ("SUNIONSTORE", "a", "a"), ("SMEMBERS", "a"),
                     ("SINTERSTORE", "a", "a", "a"), ("SCARD", "a")):
            self.same(*args)

    def test_sscan_pages(self):
        """A big set (Redis: a hashtable, so COUNT pages there too): every member once."""
        self.both("SADD", "big", *[f"m{i}" for i in range(500)])
        got, pages = full_scan(self.pc, b"SSCAN", b"big", [b"COUNT", b"9"])
        self.assertEqual(len(got), 500)
        self.assertEqual(len(set(got)), 500)
        self.assertEqual(pages, (500 + 8) // 9)
        self.same("SSCAN", "big", "MATCH", "m1*", "COUNT", "3")
        self.same("SSCAN", "big", "MATCH", "nothing")

    def test_spop_and_srandmember_invariants(self):
        """Random by design: the same errors and sizes as Redis; popped members come from
        the set and leave it."""
        for args in (("SPOP", "nokey"), ("SPOP", "nokey", "3"), ("SPOP", "nokey", "0"),
                     ("SRANDMEMBER", "nokey"), ("SRANDMEMBER", "nokey", "-3"),
                     ("SPOP", "s", "-1"), ("SPOP", "s", "x"), ("SPOP", "s", "1", "2"),
                     ("SRANDMEMBER", "s", "x"), ("SRANDMEMBER", "s", "1", "2"),
                     ("SRANDMEMBER", "s", str(-2**63))):
            self.same(*args)
        self.both("SET", "str", "v")
        for args in (("SPOP", "str"), ("SPOP", "str", "0"), ("SRANDMEMBER", "str"),
                     ("SRANDMEMBER", "str", "0")):
            self.same(*args)
        members = {f"m{i}".encode() for i in range(50)} | {b"", b"\x00\xff"}
        self.both("SADD", "s", *members)
        for count in (0, 1, 5, 51, 52, 60, -1, -5, -100):
            got = call(self.pc, [b"SRANDMEMBER", b"s", str(count).encode()])
            want = call(self.rr, [b"SRANDMEMBER", b"s", str(count).encode()])
            self.assertEqual(len(got), len(want), count)
            self.assertTrue(set(got) <= members, count)
            if count >= 0:
                self.assertEqual(len(set(got)), len(got), count)
        self.assertIn(call(self.pc, [b"SRANDMEMBER", b"s"]), members)
        left = set(members)
        one = call(self.pc, [b"SPOP", b"s"])
        self.assertIn(one, left)
        left.discard(one)
        for count in (0, 1, 7, 20):
            popped = call(self.pc, [b"SPOP", b"s", str(count).encode()])
            self.assertEqual(len(popped), count)
            self.assertEqual(len(set(popped)), count)
            self.assertTrue(set(popped) <= left)
            left -= set(popped)
            self.assertEqual(set(call(self.pc, [b"SMEMBERS", b"s"])), left)
            self.assertEqual(call(self.pc, [b"SCARD", b"s"]), len(left))
        rest = call(self.pc, [b"SPOP", b"s", b"100"])
        self.assertEqual(set(rest), left)
        self.assertEqual(len(rest), len(left))
        self.assertEqual(call(self.pc, [b"EXISTS", b"s"]), 0)
        self.assertIsNone(call(self.pc, [b"SPOP", b"s"]))


# One seed against a node on etcd (and its peer converging).
SetDifferentialReplicated = replicated(SetDifferential)
# The same run on collections moved into incarnations (keyspace/incarnation.h).
SetDifferentialIncarnations = incarnations(SetDifferential)


class SetReplicated(ReplicatedTestCase):
    """Two PetaCore nodes on one etcd."""

    def setUp(self):
        self.flush_replicated()

    def etcd_keys(self):
        # Redis keys only (databases 0..15), not internal 0xFF keys such as the expiry leader.
        return self.etcd.ctl("get", "/petacore/", "/petacore/\x10", "--keys-only").split()

    def test_sadd_on_a_srem_on_b_converge(self):
        ca, cb = self.a.client(), self.b.client()
        all_members = [f"m{i}" for i in range(200)]
        errors = []

        def adder():
            try:
                for m in all_members:
                    ca.sadd("s", m)
            except Exception as e:  # surfaced below
                errors.append(e)

        def remover():
            try:
                rng = random.Random(5)
                for _ in range(200):
                    cb.srem("s", rng.choice(all_members))
            except Exception as e:
                errors.append(e)

        threads = [threading.Thread(target=adder), threading.Thread(target=remover)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        # Whatever interleaving happened, both nodes agree, and SCARD matches the members.
        wait_for(lambda: ca.smembers("s") == cb.smembers("s"), what="nodes agree")
        for c in (ca, cb):
            self.assertEqual(c.scard("s"), len(c.smembers("s")))
        # Then a deterministic end: the odd members on A, the even ones removed on B.
        ca.sadd("s", *all_members[1::2])
        cb.srem("s", *all_members[0::2])
        want = {m.encode() for m in all_members[1::2]}
        wait_for(lambda: ca.smembers("s") == want and cb.smembers("s") == want,
                 what="both nodes hold the odd members")
        self.assertEqual(ca.scard("s"), 100)
        self.assertEqual(cb.scard("s"), 100)
        self.assertEqual(len(self.etcd_keys()), 101)  # the meta key and one per member

    def test_concurrent_spop_from_both_nodes_never_pops_twice(self):
        members = {f"m{i}".encode() for i in range(200)}
        self.a.client().sadd("pool", *members)
        wait_for(lambda: self.b.client().scard("pool") == 200, what="B sees the pool")
        popped, errors = [], []
        lock = threading.Lock()

        def worker(node, count):
            c = node.client()
            try:
                while True:
                    got = c.spop("pool", count) if count else c.spop("pool")
                    if count:
                        if not got:
                            return
                        got = list(got)
                    else:
                        if got is None:
                            return
                        got = [got]
                    with lock:
                        popped.extend(got)
            except Exception as e:  # surfaced below
                errors.append(e)

        threads = [threading.Thread(target=worker, args=(n, count))
                   for n in (self.a, self.b) for count in (None, None, 3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(popped), len(set(popped)), "a member was popped twice")
        self.assertEqual(set(popped), members)
        for node in (self.a, self.b):
            wait_for(lambda: node.client().exists("pool") == 0, what="the pool is gone")
        self.assertEqual(self.etcd_keys(), [])


if __name__ == "__main__":
    unittest.main()
