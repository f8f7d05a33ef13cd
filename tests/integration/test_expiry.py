"""Key expiry (TTL commands and lazy expiry): PetaCore (standalone) against redis-server 7.0
for the reply shapes, plus behaviour over time, and a replicated case on two nodes.

No assertion depends on how fast PetaCore is: expiry is polled with a bound."""
import time
import unittest

from differential import DifferentialTestCase, ReplicatedTestCase, raw_client
from harness import wait_for

FAR = 4102444800  # 2100-01-01, seconds


class ExpiryReplies(DifferentialTestCase):
    def test_ttl_missing_and_persistent(self):
        for cmd in ("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"):
            self.same(cmd, "nokey")
        self.both("SET", "k", "v")
        for cmd in ("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "PERSIST"):
            self.same(cmd, "k")

    def test_expire_options(self):
        self.both("SET", "k", "v")
        self.same("EXPIRE", "nokey", "100")
        self.same("EXPIRE", "k", "100", "XX")   # no TTL yet: 0
        self.same("EXPIRE", "k", "100", "GT")   # persistent counts as infinite: 0
        self.same("EXPIRE", "k", "1000", "LT")  # 1
        self.same("EXPIRE", "k", "100", "NX")   # has a TTL: 0
        self.same("EXPIRE", "k", "2000", "GT")  # 1
        self.same("EXPIRE", "k", "3000", "LT")  # 0
        self.same("EXPIRE", "k", "500", "XX", "LT")
        self.same("TTL", "k")
        self.same("EXPIRE", "k", "10", "NX", "XX")
        self.same("EXPIRE", "k", "10", "GT", "LT")
        self.same("EXPIRE", "k", "10", "BOGUS")
        self.same("EXPIRE", "k", "ten")
        self.same("EXPIRE", "k", "9223372036854775807")
        self.same("PEXPIRE", "k", "9223372036854775807")
        self.same("EXPIREAT", "k", str(FAR))
        self.same("EXPIRETIME", "k")
        self.same("PEXPIRETIME", "k")
        self.same("PEXPIREAT", "k", str(FAR * 1000 + 123))
        self.same("EXPIRETIME", "k")
        self.same("PEXPIRETIME", "k")
        self.same("PERSIST", "k")
        self.same("TTL", "k")
        self.same("PERSIST", "k")

    def test_past_time_deletes(self):
        self.both("SET", "k", "v")
        self.both("HSET", "h", "f", "v")
        self.same("EXPIRE", "k", "-1")
        self.same("EXISTS", "k")
        self.same("PEXPIREAT", "h", "1")
        self.same("EXISTS", "h")
        self.same("HGETALL", "h")

    def test_set_options(self):
        self.same("SET", "k", "v", "EX", "100")
        self.same("TTL", "k")
        self.same("SET", "k", "v2", "KEEPTTL")
        self.same("TTL", "k")
        self.same("GET", "k")
        self.same("SET", "k", "v3")  # a plain SET clears the TTL
        self.same("TTL", "k")
        self.same("SET", "k", "v", "PXAT", str(FAR * 1000))
        self.same("PEXPIRETIME", "k")
        self.same("SET", "k", "v", "EXAT", str(FAR), "XX", "GET")
        self.same("EXPIRETIME", "k")
        self.same("SET", "k", "v", "EX", "0")
        self.same("SET", "k", "v", "PX", "-1")
        self.same("SET", "k", "v", "EX", "10", "KEEPTTL")
        self.same("SETEX", "s", "100", "v")
        self.same("TTL", "s")
        self.same("SETEX", "s", "0", "v")
        self.same("SETEX", "s", "x", "v")
        self.same("PSETEX", "s", "100000", "v")
        self.same("TTL", "s")
        self.same("PSETEX", "s", "-3", "v")
        self.same("GETSET", "s", "w")  # replaces: TTL cleared
        self.same("TTL", "s")

    def test_modifying_writes_keep_ttl(self):
        self.both("SET", "n", "1", "EX", "100")
        self.same("INCR", "n")
        self.same("APPEND", "n", "0")
        self.same("TTL", "n")
        self.both("RPUSH", "l", "a")
        self.both("EXPIRE", "l", "100")
        self.same("LPUSH", "l", "b")
        self.same("TTL", "l")
        self.both("HSET", "h", "a", "1")
        self.both("EXPIRE", "h", "100")
        self.same("HSET", "h", "b", "2")
        self.same("TTL", "h")
        self.both("ZADD", "z", "1", "a")
        self.both("EXPIRE", "z", "100")
        self.same("ZADD", "z", "2", "b")
        self.same("TTL", "z")
        self.both("SADD", "s", "a")
        self.both("EXPIRE", "s", "100")
        self.same("SADD", "s", "b")
        self.same("TTL", "s")
        self.same("RENAME", "s", "s2")
        self.same("TTL", "s2")
        self.same("SUNIONSTORE", "s2", "s2")  # a *STORE destination is replaced: no TTL
        self.same("TTL", "s2")

    def test_getex(self):
        self.same("GETEX", "nokey")
        self.both("SET", "k", "v")
        self.same("GETEX", "k", "EX", "100")
        self.same("TTL", "k")
        self.same("GETEX", "k", "PERSIST")
        self.same("TTL", "k")
        self.same("GETEX", "k", "PXAT", str(FAR * 1000))
        self.same("PEXPIRETIME", "k")
        self.same("GETEX", "k")
        self.same("PEXPIRETIME", "k")
        self.same("GETEX", "k", "EX", "0")
        self.same("GETEX", "k", "EX", "10", "PERSIST")
        self.same("GETEX", "k", "BOGUS")
        self.both("HSET", "h", "f", "v")
        self.same("GETEX", "h")
        self.same("GETEX", "k", "EXAT", "1")  # in the past: returns the value, deletes
        self.same("EXISTS", "k")

    def test_key_expires(self):
        for c in (self.pc, self.rr):
            c.execute_command("SET", "t", "v", "PX", "300")
            c.execute_command("SET", "keep", "v")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.pc.execute_command("EXISTS", "t") == 0 and \
               self.rr.execute_command("EXISTS", "t") == 0:
                break
            time.sleep(0.05)
        for cmd in (("GET", "t"), ("EXISTS", "t"), ("TTL", "t"), ("TYPE", "t"),
                    ("KEYS", "*"), ("DBSIZE",), ("MGET", "t", "keep")):
            self.same(*cmd)

    def test_expired_collection_recreated_is_empty(self):
        for c in (self.pc, self.rr):
            c.execute_command("RPUSH", "l", "a", "b", "c")
            c.execute_command("HSET", "h", "f1", "1", "f2", "2")
            c.execute_command("PEXPIRE", "l", "200")
            c.execute_command("PEXPIRE", "h", "200")
        wait_for(lambda: self.pc.execute_command("EXISTS", "l", "h") == 0, timeout=10,
                 what="expiry on petacore")
        wait_for(lambda: self.rr.execute_command("EXISTS", "l", "h") == 0, timeout=10,
                 what="expiry on redis")
        self.same("RPUSH", "l", "x")
        self.same("LRANGE", "l", "0", "-1")
        self.same("HSET", "h", "f3", "3")
        self.same("HGETALL", "h")
        self.same("HLEN", "h")
        self.same("TTL", "l")


class ExpiryReplicated(ReplicatedTestCase):
    def test_set_px_replicates_and_expires_everywhere(self):
        self.flush_replicated()
        a, b = raw_client(self.a.port), raw_client(self.b.port)
        try:
            a.execute_command("SET", "k", "v", "PX", "1500")
            wait_for(lambda: b.execute_command("GET", "k") == b"v", timeout=10,
                     what="B sees the key")
            pttl = b.execute_command("PTTL", "k")
            if pttl != -2:  # it may already be gone on a very slow machine
                self.assertTrue(0 < pttl <= 1500, pttl)
            wait_for(lambda: a.execute_command("EXISTS", "k") == 0 and
                     b.execute_command("EXISTS", "k") == 0, timeout=15,
                     what="expired on both nodes")
            self.assertIsNone(b.execute_command("GET", "k"))
            self.assertEqual(b.execute_command("TTL", "k"), -2)
        finally:
            a.close()
            b.close()


if __name__ == "__main__":
    unittest.main()
