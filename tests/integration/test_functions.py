"""Redis 7.0 functions (issue 14): FUNCTION LOAD / DELETE / FLUSH / LIST / DUMP / RESTORE /
STATS / KILL / HELP, FCALL, FCALL_RO, and the script flags of EVAL shebang lines and of
functions — differentially against redis-server 7.0.15 (raw RESP bytes, so error texts must
match exactly; FUNCTION LIST compared without Redis's dictionary order), FUNCTION DUMP
payloads moved both ways between Redis and PetaCore, and on two nodes of one etcd: libraries
are cluster-wide and survive a restart.
"""
import threading
import unittest

import redis

from differential import AgainstRedisTestCase, ReplicatedTestCase
from harness import wait_for
from resp_wire import RawConn


def crc64(data):
    """Redis's CRC-64 (Jones polynomial, reflected), bit by bit: an independent check of the
    server's table-driven one."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x95AC9329AC4BC9B5 if crc & 1 else crc >> 1
    return crc


def seal(body, version=10):
    """A DUMP-style payload: body, RDB version (2 bytes LE), CRC-64 (8 bytes LE)."""
    body = body + version.to_bytes(2, "little")
    return body + crc64(body).to_bytes(8, "little")


def rdb_string(data):
    """An uncompressed RDB string (lengths below 16384)."""
    n = len(data)
    head = bytes([n]) if n < 64 else bytes([0x40 | (n >> 8), n & 0xFF])
    return head + data


def library(name, body):
    return f"#!lua name={name}\n{body}"


# Libraries whose FUNCTION LOAD fails, each with its own error text.
BAD_LIBRARIES = [
    "return 1",
    "#!lua name=a",
    "#!lua\nx",
    "#!js name=j\nx",
    "#!lua name=a name=b\nx",
    "#!lua name=a foo=b\nx",
    "#!lua name=a-b\nx",
    '#!lua name="q q"\nx',
    '#!lua name="unbalanced\nx',
    library("bad", "return 1 +"),
    library("e", "redis.register_function('f', function() return 1 end)\n"
                 "local x = redis.call('get', 'x')"),
    library("e", "error('boom')"),
    library("e", "x = 5"),
    library("e", "redis.x = 5"),
    library("e", "local s = string.format('x')"),
    library("e", "local t = KEYS"),
    library("e", "redis.register_function()"),
    library("e", "redis.register_function(1, 2, 3)"),
    library("e", "redis.register_function('f', 2)"),
    library("e", "redis.register_function({})"),
    library("e", "redis.register_function('x')"),
    library("e", "redis.register_function{function_name='x'}"),
    library("e", "redis.register_function{callback=function() end}"),
    library("e", "redis.register_function{function_name='x', callback=function() end, foo=1}"),
    library("e", "redis.register_function{function_name='x', callback=function() end, "
                 "flags='no-writes'}"),
    library("e", "redis.register_function{function_name='x', callback=function() end, "
                 "flags={'no-writes', 'bad'}}"),
    library("e", "redis.register_function{function_name={}, callback=function() end}"),
    library("e", "redis.register_function{function_name='x', callback=1}"),
    library("e", "redis.register_function{function_name='y', callback=function() end, "
                 "description={}}"),
    library("e", "redis.register_function('f-x', function() return 1 end)"),
    library("e", "redis.register_function('f', function() return 1 end)\n"
                 "redis.register_function('f', function() return 2 end)"),
    library("e", "local t = redis.LOG_DEBUG; redis.log(redis.LOG_WARNING, 'hi'); return 5"),
    library("e", "while true do end"),
]

# One library of functions returning each kind of value, and failing in each way.
MAIN_LIBRARY = library("main", """
local function echo(keys, args) return {keys, args, #keys, #args} end
redis.register_function('echo', echo)
redis.register_function('types', function(keys, args)
  return {1, -7, 3.99, 'str', true, false, nil, {ok='fine'}, {1, {2, 'x'}}, redis.status_reply('S')}
end)
redis.register_function('errtable', function() return {err='MYERR custom'} end)
redis.register_function('status', function() return redis.status_reply('PONG') end)
redis.register_function('raise', function() error('bad') end)
redis.register_function('raise_table', function() error({err='XERR tbl'}) end)
redis.register_function('unknown_cmd', function() return redis.call('nope') end)
redis.register_function('pcall_err', function() return redis.pcall('incr', 'str') end)
redis.register_function('set_global', function() y = 1 end)
redis.register_function('keys_global', function() return KEYS end)
redis.register_function('register_at_runtime', function()
  return redis.register_function('g', function() end)
end)
redis.register_function('rw', function(keys, args)
  redis.call('set', keys[1], args[1])
  return redis.call('get', keys[1])
end)
redis.register_function('incr', function(keys) return redis.call('incr', keys[1]) end)
redis.register_function{function_name='ro', callback=function(keys)
  return redis.call('get', keys[1])
end, flags={'no-writes'}, description='reads a key'}
redis.register_function{function_name='ro_writes', callback=function(keys)
  return redis.call('set', keys[1], 'x')
end, flags={'NO-WRITES'}}
redis.register_function{function_name='oom_ok', callback=function(keys)
  return redis.call('set', keys[1], 'y')
end, flags={'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'}}
redis.register_function('ctx', function(keys, args)
  return {type(KEYS), type(ARGV), type(cjson), type(redis.sha1hex), redis.REDIS_VERSION}
end)
""")

FCALLS = [
    ("FCALL", "echo", 2, "k1", "k2", "a1", "a2"), ("FCALL", "echo", 0),
    ("FCALL", "echo", 1, "k"), ("FCALL_RO", "echo", 0, "a"), ("FCALL", "types", 0),
    ("FCALL", "errtable", 0), ("FCALL", "status", 0), ("FCALL", "raise", 0),
    ("FCALL", "raise_table", 0), ("FCALL", "unknown_cmd", 0), ("FCALL", "pcall_err", 0),
    ("FCALL", "set_global", 0), ("FCALL", "keys_global", 0),
    ("FCALL", "register_at_runtime", 0), ("FCALL", "rw", 1, "k", "v"), ("GET", "k"),
    ("FCALL", "incr", 1, "n"), ("FCALL", "incr", 1, "n"), ("FCALL_RO", "rw", 1, "k", "v"),
    ("FCALL", "ro", 1, "k"), ("FCALL_RO", "ro", 1, "k"), ("FCALL", "ro_writes", 1, "k"),
    ("FCALL_RO", "ro_writes", 1, "k"), ("FCALL", "oom_ok", 1, "k"), ("FCALL_RO", "oom_ok", 1, "k"),
    ("FCALL", "ctx", 0), ("FCALL", "nosuch", 0), ("FCALL", "echo", "x"),
    ("FCALL", "echo", -1), ("FCALL", "echo", 3, "a"), ("FCALL", "echo", "1.0", "a"),
    ("FCALL", "nosuch", "x"), ("FCALL", "echo"), ("FCALL_RO", "nosuch", 0),
]

# EVAL shebang lines and their flags.
SHEBANG_EVALS = [
    ("EVAL", "#!lua flags=no-writes\nreturn redis.call('set','x',1)", 0),
    ("EVAL", "#!lua\nreturn redis.call('set','x',1)", 0),
    ("EVAL_RO", "#!lua\nreturn redis.call('set','x',1)", 0),
    ("EVAL_RO", "#!lua flags=no-writes\nreturn redis.call('get','x')", 0),
    ("EVAL_RO", "#!lua flags=no-writes\nreturn redis.call('set','x',2)", 0),
    ("EVAL_RO", "return redis.call('set','x',2)", 0),
    ("EVAL", "#!lua flags=bad\nreturn 1", 0),
    ("EVAL", "#!lua flags=No-Writes\nreturn 1", 0),
    ("EVAL", "#!lua foo=bar\nreturn 1", 0),
    ("EVAL", "#!luax\nreturn 1", 0),
    ("EVAL", "#!lua", 0),
    ("EVAL", "#! \nreturn 1", 0),
    ("EVAL", "#!lua flags=\nreturn 1", 0),
    ("EVAL", "#!lua flags=no-writes,\nreturn 1", 0),
    ("EVAL", "#!lua flags=no-writes,allow-oom,allow-stale,no-cluster,allow-cross-slot-keys\n"
             "return 1", 0),
    ("EVAL", "#!lua  flags=no-writes   \nreturn 2", 0),
    ("EVAL", '#!lua "flags=no-writes"\nreturn 3', 0),
    ("EVAL", '#!lua "flags=no-writes\nreturn 3', 0),
    ("EVAL", "#!lua name=x\nreturn 1", 0),
    ("EVAL", "#!lua\nreturn redis.call('get', KEYS[1])", 1, "x"),
    ("EVAL", "#!lua\nreturn {KEYS[1], ARGV[1]}", 1, "x", "y"),
    ("EVAL", "#!lua\n\nerror('line 3')", 0),
    ("EVAL", "#!lua\nretur", 0),
    ("SCRIPT", "LOAD", "#!lua flags=bad\nreturn 1"),
    ("SCRIPT", "LOAD", "#!lua flags=no-writes\nreturn redis.call('get', 'x')"),
    ("EVALSHA_RO", "1ef703120f46addcaf764557aa696cd34545df9f", 0),
    ("EVALSHA", "1ef703120f46addcaf764557aa696cd34545df9f", 0),
    ("SCRIPT", "LOAD", "#!lua\nreturn redis.call('set', 'x', 'y')"),
    ("EVALSHA_RO", "d25d5bd6c8e8f6c3d4c5ef2e1f7e3b3b9d2a0c4e", 0),
]


class FunctionsAgainstRedis(AgainstRedisTestCase):
    """Every reply, byte for byte, against redis-server 7.0.15."""

    def setUp(self):
        self.pc = RawConn(self.node.port)
        self.rr = RawConn(self.redis.port)
        for c in (self.pc, self.rr):
            c.call("FLUSHALL")
            c.call("SCRIPT", "FLUSH")
            c.call("FUNCTION", "FLUSH")
        self.pc_py = self.node.client()
        self.rr_py = self.redis.client()

    def tearDown(self):
        for c in (self.pc, self.rr):
            c.call("CONFIG", "SET", "maxmemory", "0")
        self.pc.close()
        self.rr.close()

    def same(self, *args):
        want = self.rr.call(*args)
        got = self.pc.call(*args)
        self.assertEqual(got, want, f"{args!r}")
        return got

    def listing(self, client, *args):
        """FUNCTION LIST through redis-py, in name order (Redis's is its dict's order)."""
        out = []
        for lib in client.execute_command("FUNCTION", "LIST", *args):
            lib = dict(zip(lib[::2], lib[1::2]))
            fns = [dict(zip(f[::2], f[1::2])) for f in lib[b"functions"]]
            lib[b"functions"] = sorted(fns, key=lambda f: f[b"name"])
            out.append(lib)
        return sorted(out, key=lambda lib: lib[b"library_name"])

    def same_listing(self, *args):
        want = self.listing(self.rr_py, *args)
        got = self.listing(self.pc_py, *args)
        self.assertEqual(got, want, f"FUNCTION LIST {args!r}")
        return got

    def test_load_errors(self):
        for code in BAD_LIBRARIES:
            with self.subTest(code=code):
                self.assertTrue(self.same("FUNCTION", "LOAD", code).startswith(b"-"))
        self.same("FUNCTION", "STATS")
        self.same_listing()

    def test_load_replace_delete(self):
        lib_a = library("a", "redis.register_function('fa', function() return 'a1' end)")
        self.same("FUNCTION", "LOAD", lib_a)
        self.same("FUNCTION", "LOAD", lib_a)  # already exists
        self.same("FUNCTION", "LOAD", "REPLACE", library(
            "a", "redis.register_function('fa', function() return 'a2' end)"))
        self.same("FCALL", "fa", 0)
        self.same("FUNCTION", "LOAD", "replace", library(
            "b", "redis.register_function('fa', function() return 'b' end)"))  # collision
        self.same("FUNCTION", "LOAD", "REPLACE", library(
            "a", "redis.register_function('fa2', function() return 'a3' end)"))
        self.same("FCALL", "fa", 0)  # gone with its library's old code
        self.same("FCALL", "fa2", 0)
        self.same("FUNCTION", "LOAD", "#!LUA name=up\nredis.register_function('u', "
                                      "function() return 1 end)")
        self.same("FUNCTION", "LOAD", "#!lua NAME=up2\nredis.register_function('u2', "
                                      "function() return 2 end)")
        self.same("FUNCTION", "LOAD", "FOO", lib_a)
        self.same("FUNCTION", "LOAD", "REPLACE")
        self.same("FUNCTION", "DELETE", "nosuch")
        self.same("FUNCTION", "DELETE", "a")
        self.same("FCALL", "fa2", 0)
        self.same("FUNCTION", "DELETE", "a")
        self.same("FUNCTION", "STATS")
        self.same_listing()
        self.same("FUNCTION", "FLUSH", "bad")
        self.same("FUNCTION", "FLUSH", "a", "b")
        self.same("FUNCTION", "FLUSH", "ASYNC")
        self.same("FUNCTION", "STATS")
        self.same("FUNCTION", "LIST")

    def test_fcall_replies_and_errors(self):
        self.same("FUNCTION", "LOAD", MAIN_LIBRARY)
        self.same("SET", "str", "abc")
        for args in FCALLS:
            with self.subTest(args=args):
                self.same(*args)
        self.same_listing()
        self.same_listing("WITHCODE")
        self.same_listing("LIBRARYNAME", "ma*")
        self.same_listing("LIBRARYNAME", "x*", "WITHCODE")
        self.same("FUNCTION", "LIST", "LIBRARYNAME")
        self.same("FUNCTION", "LIST", "FOO")
        self.same("FUNCTION", "LIST", "WITHCODE", "WITHCODE")
        self.same("FUNCTION", "STATS")
        self.same("FUNCTION", "KILL")
        self.same("FUNCTION", "HELP")
        self.same("FUNCTION", "NOSUCH")
        self.same("FUNCTION")
        self.same("FUNCTION", "DUMP", "x")

    def test_fcall_in_multi(self):
        self.same("FUNCTION", "LOAD", MAIN_LIBRARY)
        self.same("MULTI")
        self.same("FCALL", "incr", 1, "m")
        self.same("FCALL", "incr", 1, "m")
        self.same("FCALL_RO", "ro", 1, "m")
        self.same("EXEC")

    def test_shebang_flags(self):
        self.same("SET", "x", "v")
        for args in SHEBANG_EVALS:
            with self.subTest(args=args):
                self.same(*args)
        self.same("GET", "x")
        # Scripts that do not compile are not cached.
        self.same("SCRIPT", "EXISTS", "355ab451ce9a7a3b164e09bc2be3e23d9533838f",
                  "f76d38084aec569ee9cdabc39bd668be29465a92")

    def test_maxmemory_and_flags(self):
        """Over maxmemory: scripts that may write are refused at start unless allow-oom; a
        script without shebang is refused at its first deny-oom command (unless it already
        wrote); no-writes scripts run."""
        self.same("FUNCTION", "LOAD", MAIN_LIBRARY)
        self.same("SET", "x", "1")
        self.same("CONFIG", "SET", "maxmemory", "1")
        for args in [
            ("EVAL", "#!lua\nreturn 1", 0),
            ("EVAL", "#!lua flags=allow-oom\nreturn redis.call('set','x',1)", 0),
            ("EVAL", "#!lua flags=no-writes\nreturn redis.call('get','x')", 0),
            ("EVAL", "return redis.call('set','x',1)", 0),
            ("EVAL", "return redis.call('get','x')", 0),
            ("EVAL", "redis.call('del','x'); return redis.call('set','x',1)", 0),
            ("EVAL", "return redis.pcall('set','x',1)", 0),
            ("FCALL", "incr", 1, "n"), ("FCALL", "ro", 1, "x"), ("FCALL_RO", "ro", 1, "x"),
            ("FCALL", "oom_ok", 1, "x"), ("FCALL_RO", "incr", 1, "n"),
            ("FUNCTION", "LOAD", library("z", "redis.register_function('z', "
                                             "function() return 1 end)")),
        ]:
            with self.subTest(args=args):
                self.same(*args)
        # A script refused at start over maxmemory is not cached (Redis refuses it before
        # EVAL runs); one that ran is.
        self.same("SCRIPT", "EXISTS", "cb70127618f0b0be70c53cf6bfcfa54a29d9b0c0",
                  "4cb91861d207e5689edc816618ab68f9d6de3b44")
        self.same("CONFIG", "SET", "maxmemory", "0")
        self.same("GET", "x")

    def test_resp3_replies(self):
        """FUNCTION LIST / STATS are maps (flags a set, a missing description null) in
        RESP3; FCALL replies as RESP2 (functions do not call redis.setresp here)."""
        pc3, rr3 = RawConn(self.node.port, protocol=3), RawConn(self.redis.port, protocol=3)
        try:
            for c in (pc3, rr3):
                c.call("HELLO", "3")
            lib = library("r3", "redis.register_function{function_name='f', callback="
                                "function() return {1, 'x', {ok='y'}} end, "
                                "flags={'no-writes', 'allow-oom'}}")
            for args in [("FUNCTION", "LOAD", lib), ("FUNCTION", "LIST"),
                         ("FUNCTION", "LIST", "WITHCODE"), ("FUNCTION", "STATS"),
                         ("FCALL", "f", 0), ("FCALL_RO", "f", 0), ("FCALL", "nosuch", 0)]:
                with self.subTest(args=args):
                    want, got = rr3.call(*args), pc3.call(*args)
                    self.assertEqual(got, want, f"{args!r}")
        finally:
            pc3.close()
            rr3.close()

    def test_dump_restore_between_servers(self):
        big = library("big", "\n".join(
            f"redis.register_function('f{i}', function(keys, args) return {i} end)"
            for i in range(40)))
        small = library("small", "redis.register_function{function_name='g', callback="
                                 "function(k, a) return a[1] end, flags={'no-writes'}, "
                                 "description='dd'}")
        for code in (big, small):
            self.rr.call("FUNCTION", "LOAD", code)
        # Redis compresses the big library with LZF.
        from_redis = self.rr_py.function_dump()
        self.assertEqual(self.pc.call("FUNCTION", "RESTORE", from_redis), b"+OK\r\n")
        self.same("FCALL", "f17", 0)
        self.same("FCALL_RO", "g", 0, "arg")
        self.same_listing("WITHCODE")
        # And back: PetaCore's payload into an empty Redis.
        from_pc = self.pc_py.function_dump()
        self.rr.call("FUNCTION", "FLUSH")
        self.assertEqual(self.rr.call("FUNCTION", "RESTORE", from_pc), b"+OK\r\n")
        self.same_listing("WITHCODE")
        # APPEND: a library exists (one library: with more, Redis names the first of its
        # dictionary's order).
        one = seal(b"\xf5" + rdb_string(small.encode()))
        self.same("FUNCTION", "RESTORE", one)
        self.same("FUNCTION", "RESTORE", one, "APPEND")
        self.same("FUNCTION", "RESTORE", from_pc, "REPLACE")
        self.same("FUNCTION", "RESTORE", from_pc, "FLUSH")
        self.same("FUNCTION", "RESTORE", from_pc, "BAD")
        self.same("FUNCTION", "RESTORE", from_pc, "FLUSH", "x")
        self.same_listing()
        # A function of the payload that another library already has.
        other = library("other", "redis.register_function('f3', function() return 0 end)")
        self.same("FUNCTION", "FLUSH")
        self.same("FUNCTION", "LOAD", other)
        self.same("FUNCTION", "RESTORE", from_pc, "REPLACE")
        self.same("FUNCTION", "RESTORE", from_pc, "FLUSH")
        self.same("FCALL", "f3", 0)
        # Empty payloads, damaged ones, and hand-built ones (checked by our own CRC-64).
        self.same("FUNCTION", "FLUSH")
        empty = self.same("FUNCTION", "DUMP")  # no library: the footer alone
        self.assertEqual(self.pc_py.function_dump(), seal(b""))
        self.assertEqual(crc64(b"123456789"), 0xE9C6D914C4B8D9CA)
        self.same("FUNCTION", "RESTORE", seal(b""))
        damaged = bytearray(from_pc)
        damaged[3] ^= 1
        self.same("FUNCTION", "RESTORE", bytes(damaged))
        self.same("FUNCTION", "RESTORE", b"short")
        self.same("FUNCTION", "RESTORE", seal(b"", version=11))
        self.same("FUNCTION", "RESTORE", seal(b"", version=9))
        self.same("FUNCTION", "RESTORE", seal(b"\x00" + rdb_string(b"x")))
        self.same("FUNCTION", "RESTORE", seal(b"\xf6" + rdb_string(b"x")))
        twice = b"\xf5" + rdb_string(small.encode())
        self.same("FUNCTION", "RESTORE", seal(twice + twice), "FLUSH")
        bad_code = b"\xf5" + rdb_string(library("bc", "return 1 +").encode())
        self.same("FUNCTION", "RESTORE", seal(bad_code), "FLUSH")
        self.same("FUNCTION", "RESTORE", seal(b"\xf5" + rdb_string(b"#!lua name=s")), "FLUSH")
        # Redis 7.0 rc's format: name, engine, description indicator, code.
        pre_ga = (b"\xf6" + rdb_string(b"pre") + rdb_string(b"LUA") + b"\x00" +
                  rdb_string(b"\nredis.register_function('pre', function() return 7 end)"))
        self.same("FUNCTION", "RESTORE", seal(pre_ga), "FLUSH")
        self.same("FCALL", "pre", 0)
        self.same_listing("WITHCODE")
        self.assertEqual(empty[:1], b"$")


class FunctionsReplicated(ReplicatedTestCase):
    """Two nodes of one etcd: the libraries are cluster-wide and survive restarts."""

    LIB = library("shared", "redis.register_function('hello', function(keys, args) "
                            "return 'v1:' .. args[1] end)\n"
                            "redis.register_function{function_name='bump', callback="
                            "function(keys) return redis.call('incr', keys[1]) end}\n"
                            "redis.register_function{function_name='peek', callback="
                            "function(keys) return redis.call('get', keys[1]) end, "
                            "flags={'no-writes'}}")

    def setUp(self):
        self.a.client().function_flush()
        wait_for(lambda: self.b.client().function_list() == [], what="flush replicated")

    def fcall(self, node, *args, ro=False):
        try:
            return node.client().execute_command("FCALL_RO" if ro else "FCALL", *args)
        except redis.ResponseError as e:
            return f"error: {e}"

    def test_load_on_a_call_on_b_restart_delete(self):
        a, b = self.a, self.b
        self.assertEqual(a.client().function_load(self.LIB), b"shared")
        wait_for(lambda: self.fcall(b, "hello", 0, "x") == b"v1:x", what="FCALL on B")
        self.assertEqual(self.fcall(b, "bump", 1, "counter"), 1)
        self.assertEqual(self.fcall(a, "bump", 1, "counter"), 2)
        wait_for(lambda: self.fcall(b, "peek", 1, "counter", ro=True) == b"2",
                 what="FCALL_RO on B")
        # Replaced on A: B never runs the old code once it has applied the new library.
        a.client().function_load(self.LIB.replace("v1:", "v2:"), replace=True)
        wait_for(lambda: self.fcall(b, "hello", 0, "y") == b"v2:y", what="replaced on B")
        b.restart()
        self.assertEqual(self.fcall(b, "hello", 0, "z"), b"v2:z")
        self.assertEqual(len(b.client().function_list()), 1)
        self.assertEqual(b.client().function_delete("shared"), True)
        wait_for(lambda: self.fcall(a, "hello", 0, "x") == "error: Function not found",
                 what="deleted on A")
        self.assertEqual(a.client().function_list(), [])

    def test_replaced_while_compiled_on_other_threads(self):
        """Connections on both io threads of each node compiled the old library; after a
        REPLACE on another node, none of them runs the old code."""
        conns = [n.client(single_connection_client=True) for n in (self.a, self.b)
                 for _ in range(4)]
        try:
            self.a.client().function_load(self.LIB)
            for c in conns:
                wait_for(lambda: c.fcall("hello", 0, "x") == b"v1:x", what="v1 everywhere")
            self.b.client().function_load(self.LIB.replace("v1:", "v2:"), replace=True)
            for c in conns:
                wait_for(lambda: c.fcall("hello", 0, "x") == b"v2:x", what="v2 everywhere")
            # Once v2 was seen on a connection, v1 never comes back there.
            for c in conns:
                self.assertEqual(c.fcall("hello", 0, "y"), b"v2:y")
        finally:
            for c in conns:
                c.close()

    def test_concurrent_loads_of_one_function_name(self):
        """Two libraries registering the same function, loaded at once on A and B: exactly
        one commits; the other answers Redis's collision error."""
        results = []
        for round_ in range(5):
            self.a.client().function_flush()
            wait_for(lambda: self.b.client().function_list() == [], what="flushed")
            libs = [library(f"l{round_}{side}", "redis.register_function('same', "
                                                f"function() return '{side}' end)")
                    for side in "ab"]
            out = {}

            def load(node, code, side):
                try:
                    out[side] = node.client().function_load(code)
                except redis.ResponseError as e:
                    out[side] = str(e)

            threads = [threading.Thread(target=load, args=(n, code, side))
                       for n, code, side in ((self.a, libs[0], "a"), (self.b, libs[1], "b"))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=60)
            ok = [side for side in "ab" if isinstance(out.get(side), bytes)]
            self.assertEqual(len(ok), 1, out)
            loser = "b" if ok == ["a"] else "a"
            self.assertIn(out[loser], ("Function same already exists",))
            wait_for(lambda: self.fcall(self.a, "same", 0) == ok[0].encode()
                     and self.fcall(self.b, "same", 0) == ok[0].encode(), what="winner")
            results.append(ok[0])
        self.assertEqual(len(results), 5)

    def test_flush_and_restore_cluster_wide(self):
        a, b = self.a, self.b
        a.client().function_load(self.LIB)
        payload = a.client().function_dump()
        wait_for(lambda: self.fcall(b, "hello", 0, "x") == b"v1:x", what="FCALL on B")
        b.client().function_flush()
        wait_for(lambda: self.fcall(a, "hello", 0, "x") == "error: Function not found",
                 what="flushed on A")
        self.assertEqual(a.client().function_restore(payload, "FLUSH"), True)
        wait_for(lambda: self.fcall(b, "hello", 0, "w") == b"v1:w", what="restored on B")
        self.assertEqual(b.client().function_stats()[3][1][3], 3)  # functions_count
        try:
            b.client().function_load(self.LIB)
            self.fail("a library loaded on A must exist on B")
        except redis.ResponseError as e:
            self.assertEqual(str(e), "Library 'shared' already exists")


if __name__ == "__main__":
    unittest.main()
