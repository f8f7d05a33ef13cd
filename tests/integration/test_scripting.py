"""Lua scripting (issue 14, first slice): EVAL / EVALSHA / EVAL_RO / EVALSHA_RO and SCRIPT,
differentially against redis-server 7.0.15 — replies compared as raw RESP bytes, so error
texts ("... script: <sha>, on @user_script:1.") must match exactly — and on two nodes of one
etcd: scripts are atomic read-modify-write transactions, and the script cache is
cluster-wide (SCRIPT LOAD on A, EVALSHA on B).

Not covered by this slice (so not tested): cmsgpack / struct, RESP3 from scripts
(redis.setresp(3)), FUNCTION / FCALL. Busy scripts (BUSY replies, SCRIPT KILL of a running
script) are in test_scripting_cluster.py.
"""
import threading
import unittest

import redis

from differential import AgainstRedisTestCase, ReplicatedTestCase
from harness import Etcd, proxied_node, wait_for
from resp_wire import RawConn


# Scripts run on both servers with EVAL ... 0 (no keys, no arguments); replies must be the
# same bytes. Each group is one aspect of Redis 7.0's scripting.
CONVERSIONS = [
    "return 1", "return -7", "return 3.99", "return -3.99", "return 1e300",
    "return {1.5, 2.0, -0.5}", "return 'hello'", "return 'a\\r\\nb'", "return ''",
    "return true", "return false", "return nil", "return {}", "return {1, {2, {3, 'x'}}}",
    "return {1, 2, nil, 4}", "return {true, false, 1}", "return {err='boom'}",
    "return {err='ERR custom failure'}", "return {ok='fine'}", "return {1, {ok='in'}, {err='in'}}",
    "return {err=1, 2}", "return redis.status_reply('PONG2')", "return redis.error_reply('boom')",
    "return redis.error_reply('MYCODE something')", "return redis.error_reply('ERR x\\r\\ny')",
    "return redis.error_reply()", "return redis.status_reply({})", "return cjson.null",
    "return tostring(12)", "return #KEYS + #ARGV",
]
CALLS = [
    "return redis.call('set', 'k', 'v')", "return redis.call('get', 'k')",
    "return redis.call('get', 'missing')", "return type(redis.call('get', 'missing'))",
    "return redis.call('type', 'k')", "return type(redis.call('set', 'k', 'v'))",
    "return redis.call('set', 'k', 'v')['ok']", "return redis.call('incr', 'n')",
    "return type(redis.call('incr', 'n'))", "return redis.call('incrbyfloat', 'f', 1.5)",
    "return redis.call('echo', 0.1)", "return redis.call('echo', 3)",
    "return redis.call('rpush', 'l', 'a', 'b', 'c')", "return redis.call('lrange', 'l', 0, -1)",
    "return redis.call('hset', 'h', 'a', '1', 'b', '2')", "return redis.call('hgetall', 'missing')",
    "return redis.call('ping')", "return redis.call('PING', 'x')",
    "return redis.call('lpush', 'k', 'x')", "return redis.pcall('lpush', 'k', 'x')",
    "local t = redis.pcall('lpush', 'k', 'x'); return t.err",
    "return redis.call('nosuch')", "return redis.pcall('nosuch')",
    "return redis.call('get')", "return redis.pcall('get')",
    "return redis.call()", "return redis.pcall()", "return redis.call(1)",
    "return redis.call('get', {})", "return redis.pcall('get', {})",
    "return redis.call('set', 'a', 'b', 'c')", "return redis.call('eval', 'return 1', '0')",
    "return redis.call('script', 'load', 'return 1')", "return redis.call('multi')",
    "return redis.call('blpop', 'nolist', 0)", "return redis.call('config', 'nosuch')",
    "local ok, e = pcall(redis.call, 'nosuch'); return e.err",
    "redis.call('select', 1); redis.call('set', 'in1', 'x'); return redis.call('get', 'in1')",
    "return redis.call('get', 'in1')",
]
ERRORS = [
    "error('x')", "error()", "error(nil)", "error(12)", "error({err='foo bar'})",
    "error({err='ERR with code'})", "local a = nil; return a.b", "return 1 + {}",
    "local function f() error('deep') end\nf()", "\n\nerror('line 3')",
    "retur", "return 'unterminated", "return redis.sha1hex()",
    "return redis.log()", "return redis.log('x', 'y')", "return redis.log(99, 'y')",
    "return redis.setresp()", "return redis.setresp(4)", "return redis.set_repl()",
    "return redis.set_repl(99)",
]
SANDBOX = [
    "return x", "x = 1", "return _G.x", "rawset(_G, 'y', 1) return 1", "string.x = 1",
    "redis.call = nil", "return type(os)", "return type(io)", "return type(debug)",
    "return type(print)", "return type(dofile)", "return type(loadfile)", "return type(require)",
    "return type(setfenv)", "return type(getfenv)", "return type(module)",
    "return type(newproxy)", "return type(loadstring)", "return type(load)",
    "return loadstring('return 7')()", "return type(_G)", "return type(coroutine)",
    "return (function() local z = undefined_thing end)()", "return type(unpack)",
    "return unpack({1, 2})", "return type(math.random)", "return type(rawget)",
    "getmetatable('').__index = nil", "getmetatable('').__index.rep = nil",
    "return ('abc'):upper()", "return type(getmetatable(''))",
    "return getmetatable('').__index == string", "cjson.encode = nil", "bit.band = nil",
    "table.insert = nil", "math.floor = nil", "local s = setmetatable({}, {}) return type(s)",
    "setmetatable(_G, nil)", "return getmetatable(_G)",
]
LIBRARIES = [
    "return cjson.encode({1, 2, 3})", "return cjson.encode({a = {1, 2}})",
    "return cjson.decode('[1,2,{\"a\":[true,false]}]')[3].a[1]",
    "return cjson.decode('{\"x\":\"y\"}').x", "return cjson.encode(cjson.decode('[1,\"a\",null]'))",
    "return cjson.decode('[1,2,{\"a\":null}]')[3].a == cjson.null",
    "return cjson.decode('{bad')",
    "return bit.band(7, 3)", "return bit.bor(1, 4)", "return bit.bxor(5, 1)",
    "return bit.lshift(1, 10)", "return bit.tohex(255)", "return bit.bnot(0)",
    "return string.format('%d-%s', 3, 'x')", "return string.rep('ab', 3)",
    "return table.concat({1, 2, 3}, ',')", "return math.floor(3.7)", "return math.max(1, 9, 3)",
    "return redis.sha1hex('')", "return redis.sha1hex('abc')", "return redis.sha1hex(1)",
    "return redis.REDIS_VERSION", "return redis.REDIS_VERSION_NUM",
    "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}",
    "return redis.log(redis.LOG_WARNING, 'from a test')", "return redis.setresp(2)",
    "return redis.set_repl(redis.REPL_ALL)", "return redis.replicate_commands()",
    "return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}",
    "return redis.breakpoint()", "return redis.debug('x')",
]


class ScriptingAgainstRedis(AgainstRedisTestCase):
    """Every reply, byte for byte, against redis-server 7.0.15."""

    def setUp(self):
        self.pc = RawConn(self.node.port)
        self.rr = RawConn(self.redis.port)
        for c in (self.pc, self.rr):
            c.call("FLUSHALL")
            c.call("SCRIPT", "FLUSH")

    def tearDown(self):
        self.pc.close()
        self.rr.close()

    def same(self, *args):
        want = self.rr.call(*args)
        got = self.pc.call(*args)
        self.assertEqual(got, want, f"{args!r}")
        return got

    def run_scripts(self, scripts):
        for body in scripts:
            with self.subTest(script=body):
                self.same("EVAL", body, 0)

    def test_lua_to_resp_conversions(self):
        self.run_scripts(CONVERSIONS)

    def test_redis_call_and_resp_to_lua(self):
        self.run_scripts(CALLS)

    def test_error_texts(self):
        self.run_scripts(ERRORS)

    def test_sandbox(self):
        self.run_scripts(SANDBOX)
        # The sandbox holds across scripts: nothing a script did leaks into the next one.
        self.same("EVAL", "return type(redis.call)", 0)
        self.same("EVAL", "return type(x)", 0)

    def test_libraries(self):
        self.run_scripts(LIBRARIES)

    def test_keys_and_argv(self):
        self.same("EVAL", "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}", 2,
                  "k1", "k2", "a1", "a2")
        self.same("EVAL", "return {#KEYS, #ARGV}", 0, "a1")
        self.same("EVAL", "redis.call('set', KEYS[1], ARGV[1]); return redis.call('get', KEYS[1])",
                  1, "key", "value")
        self.same("GET", "key")
        self.same("EVAL", "return redis.call('get', 'undeclared')", 0)  # keys not in KEYS
        self.same("EVAL", "return 1", -1)
        self.same("EVAL", "return 1", 5, "a")
        self.same("EVAL", "return 1", "x")
        self.same("EVAL", "return 1")
        self.same("EVALSHA", "abc", 0)
        self.same("EVALSHA", "abc", "x")

    def test_script_commands(self):
        body = "return redis.call('incr', KEYS[1])"
        sha = self.same("SCRIPT", "LOAD", body)
        sha_text = sha.split(b"\r\n")[1]
        self.same("SCRIPT", "EXISTS", sha_text, "0" * 40, sha_text.upper(), "short")
        self.same("EVALSHA", sha_text, 1, "counter")
        self.same("EVALSHA", sha_text.upper(), 1, "counter")
        self.same("EVALSHA_RO", sha_text, 1, "counter")
        self.same("SCRIPT", "LOAD", "retur")
        self.same("SCRIPT", "FLUSH")
        self.same("SCRIPT", "EXISTS", sha_text)
        self.same("EVALSHA", sha_text, 1, "counter")
        self.same("SCRIPT", "FLUSH", "ASYNC")
        self.same("SCRIPT", "FLUSH", "sync")
        self.same("SCRIPT", "FLUSH", "bad")
        self.same("SCRIPT", "FLUSH", "sync", "extra")
        self.same("SCRIPT", "KILL")
        self.same("SCRIPT", "LOAD")
        self.same("SCRIPT", "NOSUCH")
        # EVAL caches its script: EVALSHA of it works afterwards.
        self.same("EVAL", "return 'cached'", 0)
        cached_sha = self.same("SCRIPT", "LOAD", "return 'cached'").split(b"\r\n")[1]
        self.same("EVALSHA", cached_sha, 0)
        # A script that fails at run time is cached too.
        self.same("EVAL", "error('x')", 0)
        fail_sha = self.same("SCRIPT", "LOAD", "error('x')").split(b"\r\n")[1]
        self.same("SCRIPT", "EXISTS", fail_sha)

    def test_script_help_lists_the_implemented_subcommands(self):
        help_lines = self.pc.call("SCRIPT", "HELP").decode()
        for word in ("EXISTS", "FLUSH", "KILL", "LOAD", "HELP"):
            self.assertIn(word, help_lines)

    def test_read_only_scripts(self):
        self.same("SET", "k", "v")
        self.same("EVAL_RO", "return redis.call('get', 'k')", 1, "k")
        self.same("EVAL_RO", "return redis.call('set', 'k', 'x')", 1, "k")
        self.same("EVAL_RO", "return redis.pcall('del', 'k')", 1, "k")
        self.same("EVAL_RO", "return redis.call('get', 'k')", 0)
        self.same("GET", "k")

    def test_writes_before_an_error_stay(self):
        # Redis does not roll a script back: writes before a runtime error are kept.
        self.same("EVAL", "redis.call('set', 'w', '1'); error('after the write')", 0)
        self.same("GET", "w")
        self.same("EVAL", "redis.call('set', 'w2', '1'); return redis.call('lpush', 'w2', 'x')", 0)
        self.same("GET", "w2")

    def test_eval_in_multi_exec(self):
        self.same("SET", "m", "1")
        self.same("MULTI")
        self.same("EVAL", "return redis.call('incr', KEYS[1])", 1, "m")
        self.same("INCR", "m")
        self.same("EVAL", "return redis.call('get', KEYS[1])", 1, "m")
        self.same("EVAL", "error('in exec')", 0)
        self.same("EXEC")
        self.same("GET", "m")
        self.same("MULTI")
        self.same("EVAL", "return 1")  # arity error: the transaction is discarded
        self.same("EXEC")

    def test_acl_of_the_caller(self):
        for c in (self.pc, self.rr):
            c.call("ACL", "SETUSER", "scripter", "on", "nopass", "~allowed*", "+@all", "-get")
        try:
            pc, rr = RawConn(self.node.port), RawConn(self.redis.port)
            try:
                for c in (pc, rr):
                    c.call("AUTH", "scripter", "x")
                for args in [("EVAL", "return redis.call('get', 'allowed')", 0),
                             ("EVAL", "return redis.pcall('get', 'allowed')", 0),
                             ("EVAL", "return redis.call('set', 'other', 'v')", 0),
                             ("EVAL", "return redis.pcall('set', 'other', 'v')", 0),
                             ("EVAL", "return redis.call('set', 'allowed1', 'v')", 0)]:
                    with self.subTest(args=args):
                        self.assertEqual(pc.call(*args), rr.call(*args))
            finally:
                pc.close()
                rr.close()
        finally:
            for c in (self.pc, self.rr):
                c.call("ACL", "DELUSER", "scripter")

    def test_resp3_client(self):
        # The script itself speaks RESP2 (redis.setresp(3) is not in this slice); its reply
        # reaches a RESP3 client in RESP3 (nil as _), as Redis's.
        for c in (self.pc, self.rr):
            c.call("HELLO", "3")
        self.run_scripts(["return nil", "return {1, 'a', {ok='x'}, false, true}",
                          "redis.call('hset', 'h3', 'a', '1'); return redis.call('hgetall', 'h3')",
                          "return redis.call('get', 'nokey')", "return {err='x'}",
                          "return redis.call('nosuch')"])

    def test_select_inside_a_script_ends_with_it(self):
        self.same("EVAL", "redis.call('select', 2); return redis.call('set', 'db2key', 'v')", 0)
        self.same("GET", "db2key")  # still database 0 for the caller
        self.same("SELECT", 2)
        self.same("GET", "db2key")
        self.same("SELECT", 0)


class ScriptingReplicated(ReplicatedTestCase):
    """Two nodes of one etcd: scripts are serializable transactions, the cache is shared."""

    INCR_SCRIPT = ("local v = redis.call('GET', KEYS[1]) or '0'\n"
                   "redis.call('SET', KEYS[1], tostring(tonumber(v) + 1))\n"
                   "return tonumber(v) + 1")

    def setUp(self):
        self.flush_replicated()
        self.a.client().execute_command("SCRIPT", "FLUSH")

    def test_concurrent_read_modify_write_scripts_lose_no_update(self):
        per_node, threads_per_node = 200, 4
        errors = []

        def worker(node, count):
            c = node.client()
            try:
                for _ in range(count):
                    c.execute_command("EVAL", self.INCR_SCRIPT, 1, "counter")
            except Exception as e:  # noqa: BLE001 - reported by the assertion below
                errors.append(repr(e))
            finally:
                c.close()

        threads = []
        for node in (self.a, self.b):
            for _ in range(threads_per_node):
                threads.append(threading.Thread(target=worker,
                                                args=(node, per_node // threads_per_node)))
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        self.assertFalse(any(t.is_alive() for t in threads), "workers did not finish")
        self.assertEqual(errors, [])
        # B's last commits may not have reached A yet when the threads end: wait on both.
        for node in (self.a, self.b):
            wait_for(lambda: node.client().get("counter") == str(2 * per_node).encode(),
                     what="the counter on both nodes")
        self.assertEqual(int(self.a.client().get("counter")), 2 * per_node)

    def test_script_load_on_a_evalsha_on_b(self):
        a, b = self.a.client(), self.b.client()
        sha = a.execute_command("SCRIPT", "LOAD", "return 'loaded on A ' .. ARGV[1]").decode()
        wait_for(lambda: b.execute_command("SCRIPT", "EXISTS", sha) == [1],
                 what="script replicated to B")
        self.assertEqual(b.execute_command("EVALSHA", sha, 0, "x"), b"loaded on A x")
        self.assertEqual(b.execute_command("EVALSHA_RO", sha, 0, "y"), b"loaded on A y")
        # EVAL on B caches its script for A too.
        b.execute_command("EVAL", "return 'from B'", 0)
        sha_b = a.execute_command("SCRIPT", "LOAD", "return 'from B'").decode()
        wait_for(lambda: a.execute_command("SCRIPT", "EXISTS", sha_b) == [1], what="EVAL's cache")
        # SCRIPT FLUSH on B empties the cache of A.
        b.execute_command("SCRIPT", "FLUSH")
        wait_for(lambda: a.execute_command("SCRIPT", "EXISTS", sha) == [0], what="flush replicated")
        with self.assertRaises(redis.exceptions.NoScriptError):
            a.execute_command("EVALSHA", sha, 0, "x")


    def test_a_script_over_etcds_txn_limit_commits_whole(self):
        # The harness's etcd allows 10,000 operations per Txn list (scripts/start-etcd.sh's
        # value). Writes beyond it nest inside the one Txn (etcd_txn_fanout.h): 12,000 SETs
        # commit whole. A script reading 12,000 existing keys before writing compares them
        # all: the compares travel as a check tree (CheckTree), still one Txn.
        a = self.a.client()
        a.set("before", "1")
        write_many = "for i = 1, tonumber(ARGV[1]) do redis.call('SET', 'w' .. i, i) end return 1"
        self.assertEqual(a.execute_command("EVAL", write_many, 0, 12000), 1)
        self.assertEqual(a.exists("w1", "w6000", "w12000"), 3)
        read_many = ("for i = 1, 12000 do redis.call('GET', ARGV[1] .. i) end "
                     "redis.call('INCR', 'after') return 1")
        checked = int(a.info("petacore")["etcd_compares_checked"])
        self.assertEqual(a.execute_command("EVAL", read_many, 0, "w"), 1)
        self.assertEqual(a.get("after"), b"1")
        self.assertEqual(int(a.info("petacore")["etcd_compares_checked"]), checked + 1)
        # 12,000 keys read as absent merge into range compares (compare_merge.h).
        self.assertEqual(a.execute_command("EVAL", read_many, 0, "r"), 1)
        self.assertEqual(a.get("after"), b"2")
        wait_for(lambda: self.b.client().get("after") == b"2", what="node B to apply both")
        # Reads are compares too: thousands of distinct keys read still fit, and work.
        sum_all = ("local s = 0 for i = 1, 3000 do s = s + tonumber(redis.call('GET', 'w' .. i)) "
                   "end redis.call('SET', 'sum', s) return s")
        self.assertEqual(a.execute_command("EVAL", sum_all, 0), 3000 * 3001 // 2)


class NoWritesScriptsTakeTheReadPath(unittest.TestCase):
    """A script declared no-writes (EVAL / EVALSHA shebang, a no-writes function by FCALL)
    runs on the read path, as EVAL_RO does: on a snapshot, without waiting for the key lock
    of a write in flight on its key. The write is held by a frozen proxy to etcd; the
    scripts answer meanwhile (on the write path they would wait until the thaw)."""

    def test_no_writes_scripts_answer_while_a_write_on_their_key_is_in_flight(self):
        etcd = Etcd()
        self.addCleanup(etcd.close)
        node, proxy = proxied_node(etcd)
        self.addCleanup(proxy.close)
        self.addCleanup(node.close)
        c = node.client(socket_timeout=20)
        c.set("k", "1")
        body = "#!lua flags=no-writes\nreturn redis.call('GET', KEYS[1])"
        sha = c.execute_command("SCRIPT", "LOAD", body).decode()
        c.execute_command("FUNCTION", "LOAD", "#!lua name=ro\nredis.register_function{"
                          "function_name='getk', callback=function(keys) "
                          "return redis.call('GET', keys[1]) end, flags={'no-writes'}}")
        writer = node.client(socket_timeout=90)
        done = []
        proxy.freeze()
        try:
            t = threading.Thread(target=lambda: done.append(writer.execute_command("INCR", "k")))
            t.start()
            wait_for(lambda: any(x["cmd"] == "incr" for x in c.client_list()), timeout=30,
                     what="the INCR in flight")
            self.assertEqual(c.execute_command("EVALSHA", sha, 1, "k"), b"1")
            self.assertEqual(c.execute_command("EVAL", body, 1, "k"), b"1")
            self.assertEqual(c.execute_command("FCALL", "getk", 1, "k"), b"1")
            self.assertEqual(done, [])  # the write was still held
        finally:
            proxy.thaw()
        t.join(timeout=60)
        self.assertEqual(done, [2])
        self.assertEqual(c.execute_command("EVALSHA", sha, 1, "k"), b"2")


if __name__ == "__main__":
    unittest.main()
