"""DUMP / RESTORE / RESTORE-ASKING / MIGRATE against redis-server 7.0.15 (raw RESP compared).

- every type, small and large (the encodings switch: intset / listpack / plain, one or
  many quicklist and stream nodes): DUMP on Redis -> RESTORE here -> the type's reads
  equal Redis's, and DUMP here -> RESTORE on Redis -> equal;
- small values whose encoding is the same on both: DUMP's bytes equal Redis's;
- TTL / ABSTTL / REPLACE / BUSYKEY / IDLETIME / FREQ errors compared with Redis;
- corrupt payloads (flipped CRC, truncated, wrong version, garbage under a valid CRC)
  answer Redis's texts and never crash the server (seeded mutations; PETACORE_DUMP_SEEDS);
- MIGRATE PetaCore -> Redis (COPY, REPLACE, KEYS, AUTH, AUTH2, errors) and Redis ->
  PetaCore.
"""
import os
import random
import struct
import sys

from differential import RawAgainstRedisTestCase, ReplicatedTestCase
from harness import wait_for
from resp_wire import WireConn

DEFAULT_SEEDS = [16, 2026, 7]
# A ziplist (Redis before 7.0) of "a" and 2: header (16 bytes, tail at 13, 2 entries),
# [prevlen 0, 6-bit string "a"], [prevlen 3, immediate 2], end.
ZIPLIST_A_2 = "10000000" "0d000000" "0200" "00" "01" "61" "03" "f3" "ff"


def crc64(data):
    """Redis's CRC-64 (Jones, reflected), for re-sealing mutated payloads."""
    poly = 0x95AC9329AC4BC9B5
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
    return crc


def reseal(body, version=10):
    """body (type byte + value) + version + CRC-64."""
    data = body + struct.pack("<H", version)
    return data + struct.pack("<Q", crc64(data))


def pairs_sorted(tree):
    items = [v for _, v in tree[1]]
    return sorted(zip(items[::2], items[1::2]))


# Builders: (type, size) -> commands creating key "k" with that content.
def build(kind, size, key="k"):
    cmds = []
    if kind == "int":
        cmds.append(("SET", key, str({"small": 7, "large": -2147483648}[size])))
    elif kind == "bigint":
        cmds.append(("SET", key, "12345678901"))
    elif kind == "raw":
        cmds.append(("SET", key, "hello world" if size == "small" else "x" * 20000 + "tail"))
    elif kind == "list":
        n = 3 if size == "small" else 3000
        for i in range(0, n, 100):
            cmds.append(("RPUSH", key) + tuple(f"e{j}" * (1 + j % 7) if j % 3 else str(j)
                                               for j in range(i, min(n, i + 100))))
        if size == "large":
            cmds.append(("RPUSH", key, "y" * 10000))
    elif kind == "hash":
        n = 2 if size == "small" else 300
        for i in range(n):
            cmds.append(("HSET", key, f"f{i}", str(i) if i % 2 else f"v{i}"))
        if size == "long":
            cmds.append(("HSET", key, "long", "z" * 100))
    elif kind == "setint":
        n = 5 if size == "small" else 600
        cmds.append(("SADD", key) + tuple(str(i * 37 - 1000) for i in range(n)))
        if size == "wide":
            cmds.append(("SADD", key, "9223372036854775807", "-5"))
    elif kind == "setstr":
        n = 4 if size == "small" else 700
        cmds.append(("SADD", key) + tuple(f"m{i}" for i in range(n)))
    elif kind == "zset":
        n = 3 if size == "small" else 400
        args = []
        for i in range(n):
            args += [repr(i * 0.5 - 3) if i % 3 else str(i), f"z{i % 97}-{i}"]
        cmds.append(("ZADD", key) + tuple(args))
        cmds.append(("ZADD", key, "-inf", "ninf", "inf", "pinf", "1.2345678901234567", "f"))
    elif kind == "stream":
        n = 3 if size == "small" else 450
        for i in range(n):
            fields = ("a", str(i), "b", "x" * (i % 5)) if i % 4 else ("c", f"v{i}")
            cmds.append(("XADD", key, f"{1000 + i // 3}-{i % 3}") + fields)
        cmds.append(("XGROUP", "CREATE", key, "g1", "0"))
        cmds.append(("XGROUP", "CREATE", key, "g2", "$"))
        cmds.append(("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "2", "STREAMS", key, ">"))
        cmds.append(("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "1", "STREAMS", key, ">"))
        cmds.append(("XGROUP", "CREATECONSUMER", key, "g2", "carol"))
        cmds.append(("XDEL", key, "1000-1"))
    return cmds


def reads(kind, key="k"):
    """(command, unordered?) pairs that show the whole value of a key."""
    if kind in ("int", "bigint", "raw"):
        return [(("GET", key), False), (("TYPE", key), False)]
    if kind == "list":
        return [(("LRANGE", key, "0", "-1"), False), (("LLEN", key), False)]
    if kind == "hash":
        return [(("HGETALL", key), "pairs"), (("HLEN", key), False)]
    if kind in ("setint", "setstr"):
        return [(("SMEMBERS", key), "set"), (("SCARD", key), False)]
    if kind == "zset":
        return [(("ZRANGE", key, "0", "-1", "WITHSCORES"), False), (("ZCARD", key), False)]
    if kind == "stream":
        return [(("XRANGE", key, "-", "+"), False), (("XLEN", key), False),
                (("XINFO", "GROUPS", key), False), (("XPENDING", key, "g1"), False),
                (("XPENDING", key, "g1", "-", "+", "10", "alice"), "pel"),
                (("XINFO", "STREAM", key), "stream")]
    raise ValueError(kind)


KINDS = [("int", "small"), ("int", "large"), ("bigint", "small"), ("raw", "small"),
         ("raw", "large"), ("list", "small"), ("list", "large"), ("hash", "small"),
         ("hash", "large"), ("hash", "long"), ("setint", "small"), ("setint", "large"),
         ("setint", "wide"), ("setstr", "small"), ("setstr", "large"), ("zset", "small"),
         ("zset", "large"), ("stream", "small"), ("stream", "large")]


class DumpRestoreAgainstRedis(RawAgainstRedisTestCase):

    def comparable(self, conn, cmd, how):
        raw, tree = conn.call(*cmd)
        if how == "pairs":
            return pairs_sorted(tree)
        if how == "set":
            return sorted(v for _, v in tree[1])
        if how == "pel":  # drop the idle times (they move), keep id, consumer, deliveries
            return [(e[1][0], e[1][1], e[1][3]) for e in tree[1]]
        if how == "stream":  # XINFO STREAM minus the radix tree sizes (node layout)
            items = tree[1]
            out = {}
            for i in range(0, len(items), 2):
                name = items[i][1]
                if name not in (b"radix-tree-keys", b"radix-tree-nodes"):
                    out[name] = items[i + 1]
            return out
        return raw

    def assert_same_value(self, kind, a, b, key_a="k", key_b="k"):
        for cmd, how in reads(kind, key_a):
            cmd_b = tuple(key_b if x == key_a else x for x in cmd)
            got = self.comparable(a, cmd, how)
            want = self.comparable(b, cmd_b, how)
            self.assertEqual(got, want, f"{kind}: {cmd}")

    def populate(self, conn, kind, size, key="k"):
        for cmd in build(kind, size, key):
            raw, _ = conn.call(*cmd)
            self.assertFalse(raw.startswith(b"-"), f"{cmd[:3]}: {raw[:200]!r}")

    def test_redis_dump_restores_here(self):
        for kind, size in KINDS:
            with self.subTest(kind=kind, size=size):
                self.both("FLUSHALL")
                self.populate(self.rr, kind, size)
                payload = self.rr.call("DUMP", "k")[1][1]
                self.assertEqual(self.pc.call("RESTORE", "k", "0", payload)[0], b"+OK\r\n")
                self.assert_same_value(kind, self.pc, self.rr)

    def test_dump_here_restores_on_redis(self):
        for kind, size in KINDS:
            with self.subTest(kind=kind, size=size):
                self.both("FLUSHALL")
                self.populate(self.pc, kind, size)
                payload = self.pc.call("DUMP", "k")[1][1]
                self.assertEqual(self.rr.call("RESTORE", "k", "0", payload)[0], b"+OK\r\n")
                self.assert_same_value(kind, self.pc, self.rr)
                # and back: Redis's DUMP of what it loaded restores here to the same value
                again = self.rr.call("DUMP", "k")[1][1]
                self.assertEqual(self.pc.call("RESTORE", "k2", "0", again)[0], b"+OK\r\n")
                self.assert_same_value(kind, self.pc, self.pc, "k", "k2")

    def test_dump_bytes_equal_redis(self):
        # Values whose encoding Redis keeps uncompressed and ordered as we do.
        for cmds in [[("SET", "k", "7")], [("SET", "k", "-300")], [("SET", "k", "70000")],
                     [("SET", "k", "12345678901")], [("SET", "k", "hello")],
                     [("SET", "k", "")], [("RPUSH", "k", "a", "12")],
                     [("HSET", "k", "f", "v")], [("SADD", "k", "3", "1", "-2")],
                     [("SADD", "k", "1", "100000")], [("ZADD", "k", "1.5", "m")],
                     [("ZADD", "k", "2", "m")]]:
            with self.subTest(cmds=cmds):
                self.both("FLUSHALL")
                for c in cmds:
                    self.same(*c)
                self.same("DUMP", "k")
        self.same("DUMP", "nokey")

    def test_dump_bytes_equal_redis_uncompressed(self):
        # With rdbcompression off Redis writes its listpacks raw: lists of many quicklist
        # nodes, streams of many nodes, listpack and skiplist sorted sets compare byte for byte.
        self.rr.call("CONFIG", "SET", "rdbcompression", "no")
        try:
            cases = [build("list", "large"), build("zset", "small"), build("zset", "large"),
                     build("raw", "large"), build("hash", "small"), build("setint", "small"),
                     [c for c in build("stream", "large") if c[0] == "XADD"] +
                     [("XGROUP", "CREATE", "k", "g1", "0"), ("XGROUP", "CREATE", "k", "g0", "$"),
                      ("XDEL", "k", "nosuch-0")]]
            cases.append([("XADD", "k", f"5-{i}", "a" * (i % 3 + 1), "v" * (i * 40))
                          for i in range(60)])
            for cmds in cases:
                with self.subTest(first=cmds[0][:3], n=len(cmds)):
                    self.both("FLUSHALL")
                    for c in cmds:
                        self.same(*c)
                    self.same("DUMP", "k")
        finally:
            self.rr.call("CONFIG", "SET", "rdbcompression", "yes")

    def test_ttl_replace_busykey(self):
        self.same("SET", "src", "v")
        payload = self.rr.call("DUMP", "src")[1][1]
        for args in [
            ("RESTORE", "k", "0", payload), ("RESTORE", "k", "0", payload),
            ("RESTORE", "k", "0", payload, "REPLACE"), ("TTL", "k"),
            ("RESTORE", "k", "-1", payload, "REPLACE"), ("RESTORE", "k", "x", payload, "REPLACE"),
            ("RESTORE", "k", "-1", payload), ("RESTORE", "k2", "x", payload),
            ("RESTORE", "t", "100000", payload), ("TYPE", "t"),
            ("RESTORE", "t2", "1", payload, "ABSTTL"), ("EXISTS", "t2"),
            ("RESTORE", "t", "1", payload, "ABSTTL", "REPLACE"), ("EXISTS", "t"),
            ("RESTORE", "a", "4102444800000", payload, "ABSTTL"), ("PEXPIRETIME", "a"),
            ("RESTORE", "i", "0", payload, "IDLETIME", "10"), ("EXISTS", "i"),
            ("RESTORE", "i", "0", payload, "REPLACE", "IDLETIME", "-1"),
            ("RESTORE", "i", "0", payload, "REPLACE", "IDLETIME", "x"),
            ("RESTORE", "i", "0", payload, "REPLACE", "FREQ", "256"),
            ("RESTORE", "i", "0", payload, "REPLACE", "FREQ", "-1"),
            ("RESTORE", "i", "0", payload, "REPLACE", "FREQ", "255"),
            ("RESTORE", "i", "0", payload, "REPLACE", "FREQ", "1", "IDLETIME", "1"),
            ("RESTORE", "i", "0", payload, "REPLACE", "IDLETIME"),
            ("RESTORE", "i", "0", payload, "REPLACE", "BOGUS"),
            ("RESTORE-ASKING", "ra", "0", payload), ("GET", "ra"),
            ("RESTORE", "k"), ("DUMP",), ("DUMP", "a", "b"),
        ]:
            self.same(*args)
        raw, tree = self.pc.call("PTTL", "t")
        self.assertEqual(tree, (b":", b"-2"))
        _, tree = self.pc.call("PTTL", "k")
        self.assertEqual(tree, (b":", b"-1"))
        self.pc.call("RESTORE", "p", "50000", payload)
        ttl = int(self.pc.call("PTTL", "p")[1][1])
        self.assertTrue(0 < ttl <= 50000, ttl)

    def test_corrupt_payloads(self):
        self.same("RPUSH", "l", "a", "b", "c")
        good = self.rr.call("DUMP", "l")[1][1]
        body = good[:-10]
        flipped = good[:-1] + bytes([good[-1] ^ 1])
        for payload in [flipped, good[:-3], good[:5], b"", b"x" * 9, reseal(body, version=11),
                        reseal(body, version=255)]:
            self.same("RESTORE", "k", "0", payload)
        # Under a valid CRC: Redis itself answers these (shallow checks suffice).
        nan = struct.pack("<d", float("nan"))
        for bad in [b"\x63" + body[1:], body[:3], b"\x00", b"", b"\x12\x00",
                    b"\x05\x01\x01m" + nan,                        # NaN score
                    b"\x09\x00"]:                                   # zipmap hash
            self.same("RESTORE", "k", "0", reseal(bad))
        # Duplicates Redis only catches with sanitize-dump-payload yes: always here.
        for bad in [bytes.fromhex("0402016101620161016" "3"),      # hash field twice
                    bytes.fromhex("020201610161"),                  # set member twice
                    b"\x05\x02\x01m" + struct.pack("<d", 1) + b"\x01m" + struct.pack("<d", 2)]:
            self.assertEqual(self.pc.call("RESTORE", "k", "0", reseal(bad))[0],
                             b"-ERR Bad data format\r\n")
        self.same("EXISTS", "k")

    def test_garbage_never_crashes(self):
        seeds = [int(s) for s in os.environ.get("PETACORE_DUMP_SEEDS", "").split(",") if s] \
            or DEFAULT_SEEDS
        print(f"[test_dump_restore] seeds {seeds}", file=sys.stderr)
        samples = []
        for kind, size in KINDS:
            if size == "large" and kind in ("list", "stream", "setstr"):
                continue
            self.rr.call("FLUSHALL")
            self.populate(self.rr, kind, size)
            samples.append(self.rr.call("DUMP", "k")[1][1][:-10])
        # older encodings Redis 7.0 still loads: ziplist list / hash / zset, quicklist v1
        zl = bytes.fromhex(ZIPLIST_A_2)
        for t in (b"\x0a", b"\x0c", b"\x0d"):
            samples.append(t + bytes([len(zl)]) + zl)
        samples.append(b"\x0e\x01" + bytes([len(zl)]) + zl)
        for seed in seeds:
            rng = random.Random(seed)
            for i in range(300):
                body = bytearray(rng.choice(samples))
                for _ in range(rng.randint(1, 4)):
                    op = rng.random()
                    pos = rng.randrange(len(body))
                    if op < 0.6:
                        body[pos] = rng.randrange(256)
                    elif op < 0.8:
                        del body[pos]
                    else:
                        body.insert(pos, rng.randrange(256))
                raw, tree = self.pc.call("RESTORE", "g", "0", reseal(bytes(body)), "REPLACE")
                self.assertIn(raw, (b"+OK\r\n", b"-ERR Bad data format\r\n"), (seed, i))
                if raw == b"+OK\r\n":
                    dump = self.pc.call("DUMP", "g")[1][1]
                    self.assertEqual(self.pc.call("RESTORE", "g2", "0", dump, "REPLACE")[0],
                                     b"+OK\r\n")
        self.assertEqual(self.pc.call("PING")[0], b"+PONG\r\n")

    def test_ziplist_payloads(self):
        # A Redis 6-style ziplist list: [ "a", 2 ] (RDB type 10).
        zl = bytes.fromhex(ZIPLIST_A_2)
        self.assertEqual(self.same("RESTORE", "zl", "0", reseal(b"\x0a" + bytes([len(zl)]) + zl)),
                         b"+OK\r\n")
        self.same("LRANGE", "zl", "0", "-1")
        # The same as a v1 quicklist (type 14) of one ziplist node.
        self.assertEqual(self.same("RESTORE", "ql", "0", reseal(b"\x0e\x01" + bytes([len(zl)]) + zl)), b"+OK\r\n")
        self.same("LRANGE", "ql", "0", "-1")
        # A ziplist hash (type 13) and sorted set (type 12): f -> 2, and member a score 2.
        self.assertEqual(self.same("RESTORE", "zh", "0", reseal(b"\x0d" + bytes([len(zl)]) + zl)), b"+OK\r\n")
        self.same("HGETALL", "zh")
        self.assertEqual(self.same("RESTORE", "zz", "0", reseal(b"\x0c" + bytes([len(zl)]) + zl)), b"+OK\r\n")
        self.same("ZRANGE", "zz", "0", "-1", "WITHSCORES")
        # An LZF-compressed string (Redis compresses strings above 20 bytes).
        self.rr.call("SET", "lz", "ab" * 40)
        lz = self.rr.call("DUMP", "lz")[1][1]
        self.assertEqual(lz[1], 0xC3)  # RDB_ENC_LZF
        self.assertEqual(self.pc.call("RESTORE", "lz", "0", lz)[0], b"+OK\r\n")
        self.same("GET", "lz")

    def test_keyspace_events(self):
        """RESTORE's new + restore, REPLACE's, an expired RESTORE's del, as Redis."""
        self.same("SET", "src", "v")
        payload = self.rr.call("DUMP", "src")[1][1]
        self.same_events([("RESTORE", "k", "0", payload), ("RESTORE", "k", "0", payload),
                         ("RESTORE", "k", "0", payload, "REPLACE"),
                         ("RESTORE", "k", "1", payload, "REPLACE", "ABSTTL"),
                         ("RESTORE", "k", "1", payload, "ABSTTL"),
                         ("RESTORE-ASKING", "a", "10000", payload),
                         ("RESTORE", "b", "0", b"bad")])

    def test_command_info_multi_script(self):
        for name in ["dump", "restore", "restore-asking", "migrate"]:
            self.same("COMMAND", "INFO", name)
        for args in [("COMMAND", "GETKEYS", "MIGRATE", "h", "1", "", "0", "5", "KEYS", "a", "b"),
                     ("COMMAND", "GETKEYS", "MIGRATE", "h", "1", "k", "0", "5"),
                     ("COMMAND", "GETKEYS", "RESTORE", "k", "0", "x")]:
            self.same(*args)
        self.same("HSET", "h", "f", "v")
        payload = self.rr.call("DUMP", "h")[1][1]
        for args in [("MULTI",), ("RESTORE", "m", "0", payload), ("DUMP", "m"), ("HGETALL", "m"),
                     ("RESTORE", "m", "0", payload), ("EXEC",),
                     ("EVAL", "redis.call('restore', KEYS[1], 0, ARGV[1]); "
                      "return redis.call('hgetall', KEYS[1])", "1", "e", payload),
                     ("EVAL", "return redis.call('dump', KEYS[1])", "1", "e")]:
            self.same(*args)

    def test_migrate_to_redis(self):
        rport = str(self.redis.port)
        self.pc.call("RPUSH", "l", "a", "b")
        self.pc.call("SET", "s", "v", "EX", "1000")
        self.assertEqual(self.pc.call("MIGRATE", "127.0.0.1", rport, "l", "0", "5000")[0],
                         b"+OK\r\n")
        self.assertEqual(self.pc.call("EXISTS", "l")[0], b":0\r\n")
        self.assertEqual(self.rr.call("LRANGE", "l", "0", "-1")[0], b"*2\r\n$1\r\na\r\n$1\r\nb\r\n")
        # COPY keeps the source; the target's BUSYKEY comes back prefixed
        self.assertEqual(self.pc.call("MIGRATE", "127.0.0.1", rport, "s", "0", "5000", "COPY")[0],
                         b"+OK\r\n")
        self.assertEqual(self.pc.call("GET", "s")[0], b"$1\r\nv\r\n")
        ttl = int(self.rr.call("TTL", "s")[1][1])
        self.assertTrue(900 < ttl <= 1000, ttl)
        self.assertEqual(
            self.pc.call("MIGRATE", "127.0.0.1", rport, "s", "0", "5000", "COPY")[0],
            b"-ERR Target instance replied with error: BUSYKEY Target key name already exists.\r\n")
        self.pc.call("SET", "s", "v2")
        self.assertEqual(self.pc.call("MIGRATE", "127.0.0.1", rport, "s", "0", "5000",
                                      "REPLACE")[0], b"+OK\r\n")
        self.assertEqual(self.rr.call("GET", "s")[0], b"$2\r\nv2\r\n")
        # KEYS, a missing key among them, into db 3
        self.pc.call("SET", "k1", "1")
        self.pc.call("HSET", "k2", "f", "v")
        self.assertEqual(self.pc.call("MIGRATE", "127.0.0.1", rport, "", "3", "5000", "KEYS",
                                      "k1", "nokey", "k2")[0], b"+OK\r\n")
        self.rr.call("SELECT", "3")
        self.assertEqual(self.rr.call("MGET", "k1")[0], b"*1\r\n$1\r\n1\r\n")
        self.assertEqual(self.rr.call("HGETALL", "k2")[0], b"*2\r\n$1\r\nf\r\n$1\r\nv\r\n")
        self.rr.call("SELECT", "0")
        self.assertEqual(self.pc.call("EXISTS", "k1", "k2")[0], b":0\r\n")
        # errors as Redis answers them
        self.pc.call("SET", "e", "1")
        self.rr.call("SET", "e", "1")
        for args in [("MIGRATE", "127.0.0.1", rport, "nokey", "0", "5000"),
                     ("MIGRATE", "127.0.0.1", rport, "e", "0", "5000", "KEYS", "e"),
                     ("MIGRATE", "127.0.0.1", rport, "e", "0", "x"),
                     ("MIGRATE", "127.0.0.1", rport, "e", "x", "100"),
                     ("MIGRATE", "127.0.0.1", rport, "e", "0", "100", "AUTH"),
                     ("MIGRATE", "127.0.0.1", rport, "e", "0", "100", "AUTH2", "u"),
                     ("MIGRATE", "127.0.0.1", rport, "e", "0", "100", "BOGUS"),
                     ("MIGRATE", "127.0.0.1", "1", "e", "0", "100")]:
            self.same(*args)
        # (Redis migrating to itself would block itself: this one is checked here only.)
        self.assertEqual(
            self.pc.call("MIGRATE", "127.0.0.1", rport, "e", "99", "1000", "COPY")[0],
            b"-ERR Target instance replied with error: ERR DB index is out of range\r\n")

    def test_migrate_silent_target(self):
        """A target that accepts and never answers: IOERR reading, the key stays."""
        import socket
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        try:
            port = str(silent.getsockname()[1])
            self.pc.call("SET", "q", "1")
            self.assertEqual(self.pc.call("MIGRATE", "127.0.0.1", port, "q", "0", "200")[0],
                             b"-IOERR error or timeout reading to target instance\r\n")
            self.assertEqual(self.pc.call("GET", "q")[0], b"$1\r\n1\r\n")
        finally:
            silent.close()

    def test_migrate_auth(self):
        rport = str(self.redis.port)
        admin = WireConn(self.redis.port)
        self.conns.append(admin)
        admin.call("ACL", "SETUSER", "mig", "on", ">pw", "+@all", "~*")
        admin.call("CONFIG", "SET", "requirepass", "secret")
        try:
            self.pc.call("SET", "a", "1")
            self.pc.call("SET", "b", "2")
            self.assertEqual(self.pc.call("MIGRATE", "127.0.0.1", rport, "a", "0", "5000",
                                          "AUTH", "secret")[0], b"+OK\r\n")
            self.assertEqual(self.pc.call("MIGRATE", "127.0.0.1", rport, "b", "0", "5000",
                                          "AUTH2", "mig", "pw")[0], b"+OK\r\n")
            raw = self.pc.call("MIGRATE", "127.0.0.1", rport, "b", "0", "5000", "AUTH", "no")[0]
            self.assertEqual(raw, b"+NOKEY\r\n")
            self.pc.call("SET", "c", "3")
            raw = self.pc.call("MIGRATE", "127.0.0.1", rport, "c", "0", "5000", "AUTH", "no")[0]
            self.assertTrue(raw.startswith(b"-ERR Target instance replied with error: WRONGPASS"),
                            raw)
            self.assertEqual(self.pc.call("EXISTS", "c")[0], b":1\r\n")
        finally:
            admin.call("AUTH", "secret")
            admin.call("CONFIG", "SET", "requirepass", "")
            admin.call("ACL", "DELUSER", "mig")
        self.assertEqual(self.rr.call("MGET", "a", "b")[0], b"*2\r\n$1\r\n1\r\n$1\r\n2\r\n")

    def test_migrate_from_redis(self):
        pport = str(self.node.port)
        for kind, size in [("hash", "large"), ("stream", "small"), ("zset", "small")]:
            with self.subTest(kind=kind):
                self.both("FLUSHALL")
                self.populate(self.rr, kind, size)
                self.populate(self.rr, kind, size, key="ref")
                self.assertEqual(self.rr.call("MIGRATE", "127.0.0.1", pport, "k", "0", "5000")[0],
                                 b"+OK\r\n")
                self.assertEqual(self.rr.call("EXISTS", "k")[0], b":0\r\n")
                self.rr.call("RENAME", "ref", "k")
                self.assert_same_value(kind, self.pc, self.rr)


if __name__ == "__main__":
    import unittest
    unittest.main()


class DumpRestoreReplicated(ReplicatedTestCase):

    def test_restore_on_a_reads_on_b(self):
        self.flush_replicated()
        a, b = WireConn(self.a.port), WireConn(self.b.port)
        try:
            for cmd in build("stream", "small") + build("zset", "large", key="z"):
                a.call(*cmd)
            for key in ("k", "z"):
                payload = a.call("DUMP", key)[1][1]
                self.assertEqual(a.call("RESTORE", key + "2", "0", payload)[0], b"+OK\r\n")
                wait_for(lambda: b.call("EXISTS", key + "2")[0] == b":1\r\n",
                         what="restore replicated")
                self.assertEqual(b.call("DUMP", key + "2")[0], a.call("DUMP", key)[0])
        finally:
            a.close()
            b.close()
