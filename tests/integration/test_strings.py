"""Differential test of the string and key-space commands: PetaCore (standalone) against
Debian's redis-server 7.0.

A seeded generator produces a few thousand commands over a small key space; each command
goes to both servers and the replies (including error texts) must be identical. The seeds
are printed; rerun one with PETACORE_STRINGS_SEEDS=1234,5678. Expiry options (EX/PX/...)
are left out of the generator (timing-dependent); test_expiry.py covers them.
"""
import socket
import unittest

import redis

from differential import DifferentialTestCase, vary_arity, vary_case, replicated

DEFAULT_SEEDS = [20240611, 1, 7, 424242]
OPS_PER_SEED = 4000

KEYS = [b"a", b"b", b"c", b"ab", b"abc", b"b1", b"c?", b"k*", b"x\\y", b"[k]", b"",
        b"\xffbin\x00", b"num", b"f", b"a-b", b"]"]

INT64_MAX = 2**63 - 1
INT64_MIN = -2**63

FIXED_VALUES = [
    b"", b"0", b"1", b"-1", b"10", b"42", b"-0", b"+1", b"007", b" 1", b"1 ", b"0x10",
    b"1e3", b"1E3", b"-1.5e2", b"3.14", b"0.1", b".5", b"5.", b"inf", b"-inf", b"+inf",
    b"Infinity", b"nan", b"1e309", b"1e-5000", b"1e-4940", b"1.7976931348623157e308",
    str(INT64_MAX).encode(), str(INT64_MIN).encode(), str(INT64_MAX - 1).encode(),
    str(INT64_MIN + 1).encode(), str(INT64_MAX + 1).encode(), str(INT64_MIN - 1).encode(),
    b"99999999999999999999", b"hello", b"\x00", b"\x00\x01\xff\r\n", b"1\x00", b"a b c",
    b"\r\n", b"12345678901234567890123",
]

GLOB_PATTERNS = [b"*", b"a*", b"*b", b"?", b"??", b"a?c", b"[a-c]", b"[a-c]*", b"[^a]*",
                 b"[c-a]", b"[a-]*", b"[]]", b"\\[k\\]", b"[[]k]", b"k\\*", b"k*", b"x\\\\y",
                 b"c\\?", b"*\\?", b"[abc", b"a[", b"\\", b"**", b"*a*b*", b"", b"[\\]]",
                 b"[\\-]*", b"[a\\-c]*", b"\xff*", b"*\x00", b"[!a]*", b"a-b", b"[^]",
                 b"[a-\xff]*", b"[\x7f-\x80]*", b"[\x00-\x7f]"]


def rand_value(rng):
    r = rng.random()
    if r < 0.45:
        return rng.choice(FIXED_VALUES)
    if r < 0.7:
        return str(rng.randint(-1000, 1000)).encode()
    if r < 0.8:
        return str(rng.choice([INT64_MAX, INT64_MIN]) - rng.randint(-3, 3)).encode()
    if r < 0.88:
        return repr(rng.uniform(-1e6, 1e6)).encode()
    if r < 0.94:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 12)))
    return rng.choice([b"x", b"yz", b"hello", b"\x00\xff"]) * rng.randint(1, 20)


def rand_int_arg(rng):
    r = rng.random()
    if r < 0.6:
        return str(rng.randint(-20, 20)).encode()
    if r < 0.75:
        return str(rng.choice([INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1, 0])).encode()
    return rng.choice([b"", b"1.5", b"abc", b" 1", b"+1", b"-0", b"01", b"0x10", b"1e3",
                       str(INT64_MAX + 1).encode(), str(INT64_MIN - 1).encode(), b"-"])


def rand_float_arg(rng):
    r = rng.random()
    if r < 0.5:
        return rng.choice([b"1", b"-1", b"0.1", b"1.5", b"-2.25", b"1e3", b"1E-3", b"10",
                           b"0", b"5.0e3", b"0.0000001"])
    if r < 0.8:
        return repr(rng.uniform(-1e4, 1e4)).encode()
    return rng.choice([b"inf", b"-inf", b"nan", b"abc", b"", b" 1", b"1 ", b"0x10", b"1e400",
                       b"1e-400", b"1\x00", str(INT64_MAX).encode()])


def rand_offset(rng):
    r = rng.random()
    if r < 0.85:
        return str(rng.randint(0, 40)).encode()
    # Never 0 < offset+len <= 512 MB with a big offset: both servers would allocate it.
    return rng.choice([b"-1", b"abc", b"536870912", b"536870913", str(INT64_MAX).encode(),
                       str(INT64_MAX - 1).encode(), b"9999999999999"])


def rand_range_idx(rng):
    r = rng.random()
    if r < 0.8:
        return str(rng.randint(-15, 15)).encode()
    return rng.choice([str(INT64_MAX).encode(), str(INT64_MIN).encode(), b"x", b"1.0"])


def gen_command(rng):
    key = lambda: rng.choice(KEYS)  # noqa: E731
    nkeys = lambda: [key() for _ in range(rng.randint(1, 4))]  # noqa: E731
    c = rng.choices(
        ["GET", "SET", "SETNX", "GETSET", "GETDEL", "MGET", "MSET", "MSETNX", "INCR", "DECR",
         "INCRBY", "DECRBY", "INCRBYFLOAT", "APPEND", "STRLEN", "GETRANGE", "SUBSTR",
         "SETRANGE", "DEL", "UNLINK", "EXISTS", "TYPE", "DBSIZE", "KEYS", "SELECT", "FLUSHDB",
         "FLUSHALL", "ECHO", "PING"],
        weights=[10, 14, 3, 3, 2, 3, 3, 2, 5, 3, 4, 3, 5, 4, 2, 3, 1, 3, 3, 1, 3, 2, 1, 4, 3,
                 0.3, 0.05, 1, 1])[0]
    if c == "GET":
        args = [key()]
    elif c == "SET":
        args = [key(), rand_value(rng)]
        opts = [o for o in [b"NX", b"XX", b"GET"] if rng.random() < 0.3]
        if rng.random() < 0.05:
            opts.append(rng.choice([b"nx", b"get", b"Xx", b"FOO", b"NX"]))
        rng.shuffle(opts)
        args += opts
    elif c in ("SETNX", "GETSET", "APPEND"):
        args = [key(), rand_value(rng)]
    elif c in ("GETDEL", "INCR", "DECR", "STRLEN", "TYPE"):
        args = [key()]
    elif c in ("MGET", "DEL", "UNLINK", "EXISTS"):
        args = nkeys()
    elif c in ("MSET", "MSETNX"):
        args = []
        for _ in range(rng.randint(1, 3)):
            args += [key(), rand_value(rng)]
    elif c in ("INCRBY", "DECRBY"):
        args = [key(), rand_int_arg(rng)]
    elif c == "INCRBYFLOAT":
        args = [key(), rand_float_arg(rng)]
    elif c in ("GETRANGE", "SUBSTR"):
        args = [key(), rand_range_idx(rng), rand_range_idx(rng)]
    elif c == "SETRANGE":
        args = [key(), rand_offset(rng), rng.choice([b"", b"x", b"hello", b"\x00\xff"])]
    elif c in ("DBSIZE", "FLUSHALL"):
        args = []
    elif c == "FLUSHDB":
        args = rng.choice([[], [], [b"SYNC"], [b"async"], [b"bogus"]])
    elif c == "KEYS":
        args = [rng.choice(GLOB_PATTERNS)]
    elif c == "SELECT":
        args = [rng.choice([str(rng.randint(0, 15)).encode(), b"0", b"0", b"1",
                            b"16", b"-1", b"abc", b"1.5", b"99999999999"])]
    elif c == "ECHO":
        args = [rand_value(rng)]
    else:  # PING
        args = rng.choice([[], [rand_value(rng)]])
    # Now and then a wrong argument count, to compare the arity errors too.
    args = vary_arity(rng, args)
    return [vary_case(rng, c).encode()] + args


class StringsDifferential(DifferentialTestCase):
    FAMILY = "strings"
    DEFAULT_SEEDS = DEFAULT_SEEDS
    OPS_PER_SEED = OPS_PER_SEED
    DUMP_ALL_DBS = True
    WITH_ERROR_TYPE = True
    UNORDERED = {b"KEYS": sorted}

    def test_random_sequences(self):
        self.check_random_sequences(gen_command)

    # --- targeted edge cases -----------------------------------------------------------

    def test_arity_errors(self):
        for args in (["GET"], ["GET", "a", "b"], ["SET", "a"], ["SETNX", "a"], ["GETSET", "a"],
                     ["GETDEL"], ["MGET"], ["MSET"], ["MSET", "a"], ["MSET", "a", "1", "b"],
                     ["MSETNX", "a", "1", "b"], ["INCR"], ["DECR", "a", "b"], ["INCRBY", "a"],
                     ["DECRBY", "a"], ["INCRBYFLOAT", "a"], ["APPEND", "a"], ["STRLEN"],
                     ["GETRANGE", "a", "0"], ["SUBSTR", "a"], ["SETRANGE", "a", "0"], ["DEL"],
                     ["UNLINK"], ["EXISTS"], ["TYPE"], ["DBSIZE", "x"], ["KEYS"],
                     ["SELECT"], ["ECHO"], ["ECHO", "a", "b"], ["PING", "a", "b"]):
            got = self.same(*args)
            self.assertEqual(got[0], "error", args)
            self.assertIn("wrong number of arguments", got[1], args)

    def test_unknown_command(self):
        got = self.same("NOSUCHCMD", "a", "b")
        self.assertEqual(got[0], "error")
        self.same("nosuchcmd")
        self.same("GETT", "x" * 10)

    def test_unknown_command_long_args(self):
        self.same("NOSUCHCMD", "x" * 200, "y" * 50)
        self.same("NOSUCHCMD", *["arg%d" % i for i in range(60)])

    def test_set_expiry_options(self):
        """SET's expiry options answer as Redis does (the TTLs themselves: test_expiry.py)."""
        for opt in (["EX", "10"], ["PX", "100000"], ["EXAT", "99999999999"], ["KEEPTTL"],
                    ["EX", "0"], ["PX", "-5"], ["EX", "x"], ["EX"], ["EX", "10", "PX", "10"],
                    ["KEEPTTL", "EX", "10"], ["EX", "10", "KEEPTTL"], ["NX", "EX", "10"],
                    ["EX", "9223372036854775807"], ["PXAT", "9223372036854775807"]):
            self.same("DEL", "expkey")
            self.same("SET", "expkey", "v", *opt)
            self.same("GET", "expkey")

    def test_set_option_combinations(self):
        for opts in ([], ["NX"], ["XX"], ["GET"], ["NX", "GET"], ["XX", "GET"], ["NX", "XX"],
                     ["XX", "NX"], ["GET", "GET"], ["NX", "NX"], ["nx"], ["BOGUS"]):
            for preset in (None, b"old"):
                for c in (self.pc, self.rr):
                    c.execute_command("DEL", "k")
                    if preset is not None:
                        c.execute_command("SET", "k", preset)
                self.same("SET", "k", "new", *opts, note=f"preset={preset!r} ")
                self.same("GET", "k")

    def test_integer_edges(self):
        cases = [
            ("SET", "n", str(INT64_MAX)), ("INCR", "n"), ("GET", "n"),
            ("SET", "n", str(INT64_MIN)), ("DECR", "n"), ("DECRBY", "n", "1"),
            ("INCRBY", "n", str(INT64_MIN)), ("SET", "n", "0"),
            ("DECRBY", "n", str(INT64_MIN)), ("INCRBY", "n", str(INT64_MAX)), ("INCR", "n"),
            ("SET", "n", " 1"), ("INCR", "n"), ("SET", "n", "1e3"), ("INCR", "n"),
            ("INCRBYFLOAT", "n", "1"), ("SET", "n", "0x10"), ("INCRBYFLOAT", "n", "1"),
            ("SET", "n", "inf"), ("INCRBYFLOAT", "n", "1"), ("INCRBYFLOAT", "m", "inf"),
            ("INCRBYFLOAT", "m", "1e-400"), ("INCRBYFLOAT", "m", "10.5"),
            ("INCRBYFLOAT", "m", "0.1"), ("INCRBYFLOAT", "m", "-10.6"), ("GET", "m"),
            ("INCRBYFLOAT", "m", "5.0e3"), ("INCRBYFLOAT", "m", "1.7976931348623157e308"),
            ("SET", "z", b"\x00"), ("INCRBYFLOAT", "z", "1"),
            ("SET", "z", b"2\x00x"), ("INCRBYFLOAT", "z", "1"), ("GET", "z"),
        ]
        for args in cases:
            self.same(*args)

    def test_setrange_getrange_edges(self):
        for args in (("SETRANGE", "s", "5", "hi"), ("GET", "s"), ("SETRANGE", "s", "-1", "x"),
                     ("SETRANGE", "s", "536870912", "x"), ("SETRANGE", "s", str(INT64_MAX), "x"),
                     ("SETRANGE", "s", str(INT64_MAX - 1), "xyz"),
                     ("SETRANGE", "missing", "100", ""), ("EXISTS", "missing"),
                     ("GETRANGE", "s", "0", "-1"), ("GETRANGE", "s", "-3", "-5"),
                     ("GETRANGE", "s", str(INT64_MIN), str(INT64_MAX)),
                     ("GETRANGE", "missing", "0", "-1"), ("SUBSTR", "s", "1", "2"),
                     ("STRLEN", "s"), ("PING",)):
            self.same(*args)

    def test_keys_globs(self):
        for c in (self.pc, self.rr):
            c.execute_command("MSET", *[x for k in KEYS for x in (k, b"v")])
        for pat in GLOB_PATTERNS:
            self.same("KEYS", pat)

    def test_select_and_flush(self):
        for args in (("SET", "a", "0"), ("SELECT", "3"), ("SET", "a", "3"), ("DBSIZE",),
                     ("SELECT", "16"), ("SELECT", "-1"), ("SELECT", "x"),
                     ("SELECT", "99999999999"), ("GET", "a"), ("FLUSHDB",), ("GET", "a"),
                     ("SELECT", "0"), ("GET", "a"), ("FLUSHDB", "ASYNC"), ("FLUSHDB", "x"),
                     ("FLUSHDB", "SYNC", "x"), ("FLUSHALL", "x"), ("DBSIZE",)):
            self.same(*args)


# One seed against a node on etcd (and its peer converging).
StringsDifferentialReplicated = replicated(StringsDifferential)


if __name__ == "__main__":
    unittest.main()
