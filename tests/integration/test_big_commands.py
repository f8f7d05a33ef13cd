"""Commands with more writes than etcd's --max-txn-ops (issue 18 "No limit that Redis does
not have"), on an etcd with its DEFAULT limits (128 operations, 1.5 MiB per request).

Writes beyond one Txn list are nested (replication/etcd_txn_fanout.h), so HSET / MSET / SADD /
ZADD / RPUSH with thousands of arguments, RENAME / COPY / MOVE of collections of tens of
thousands of elements, MULTI/EXEC and scripts writing thousands of keys are one Txn: replies
and contents equal a real Redis's, and another node sees each whole or not at all. What no
nesting fits — more bytes than --max-request-bytes — fails with an error naming the limit, and
nothing of it is applied. Compares of absent keys merge into range compares
(replication/compare_merge.h); more compares of present keys, or more WATCHed keys, than one
Txn list holds travel as a check tree whose failure refuses the whole Txn
(replication/etcd_txn_fanout.h CheckTree).
"""
import threading
import unittest

import redis

import harness
from test_big_values import TwoNodesAndRedis, chunk_keys


def fields(n, tag="f"):
    return {f"{tag}{i}": f"v{i}" for i in range(n)}


class BigCommands(TwoNodesAndRedis):
    node_args = ()

    def wait_b(self, fn, want, what):
        harness.wait_for(lambda: fn(self.cb) == want, timeout=30, what=what)

    def test_thousands_of_arguments_match_redis(self):
        self.assertEqual(self.both(lambda c: c.hset("h", mapping=fields(200))), 200)
        self.assertEqual(self.both(lambda c: c.hset("h", mapping=fields(300))), 100)
        self.assertTrue(self.both(lambda c: c.mset({f"k{i}": i for i in range(200)})))
        self.assertEqual(self.both(lambda c: c.sadd("s", *range(10000))), 10000)
        self.assertEqual(self.both(lambda c: c.sadd("s", *range(5000, 15000))), 5000)
        self.assertEqual(self.both(lambda c: c.zadd("z", {f"m{i}": i for i in range(10000)})),
                         10000)
        self.assertEqual(self.both(lambda c: c.rpush("l", *range(10000))), 10000)
        self.assertEqual(self.both(lambda c: c.hset("big", mapping=fields(20000))), 20000)
        self.assertEqual(self.both(lambda c: c.hdel("big", *[f"f{i}" for i in range(0, 20000, 2)])),
                         10000)
        # Node B holds what Redis holds.
        self.wait_b(lambda c: c.hlen("big"), 10000, "node B to apply the HDEL")
        self.assertEqual(self.cb.hgetall("h"), self.r.hgetall("h"))
        self.assertEqual(self.cb.hgetall("big"), self.r.hgetall("big"))
        self.assertEqual(self.cb.mget([f"k{i}" for i in range(200)]),
                         self.r.mget([f"k{i}" for i in range(200)]))
        self.assertEqual(self.cb.smembers("s"), self.r.smembers("s"))
        self.assertEqual(self.cb.zrange("z", 0, -1, withscores=True),
                         self.r.zrange("z", 0, -1, withscores=True))
        self.assertEqual(self.cb.lrange("l", 0, -1), self.r.lrange("l", 0, -1))

    def test_node_b_sees_a_big_write_whole_or_not_at_all(self):
        with harness.Poller(lambda: self.b.client(socket_timeout=60),
                            lambda c: c.hlen("h")) as poll:
            self.assertEqual(self.ca.hset("h", mapping=fields(20000)), 20000)
            self.wait_b(lambda c: c.hlen("h"), 20000, "node B to apply the HSET")
        self.assertEqual(poll.seen - {0, 20000}, set())

    def test_rename_copy_move_of_big_collections(self):
        for c in (self.ca, self.r):
            c.hset("src", mapping=fields(20000))
            c.zadd("zsrc", {f"m{i}": i for i in range(10000)})
        self.wait_b(lambda c: c.hlen("src"), 20000, "node B to apply the HSET")
        with harness.Poller(lambda: self.b.client(socket_timeout=60),
                            lambda c: c.exists("src", "dst")) as poll:
            self.assertTrue(self.both(lambda c: c.rename("src", "dst")))
            self.wait_b(lambda c: c.exists("dst"), 1, "node B to apply the RENAME")
        self.assertEqual(poll.seen, {1})  # never both, never neither
        self.assertTrue(self.both(lambda c: c.copy("dst", "copy")))
        self.assertTrue(self.both(lambda c: c.move("zsrc", 3)))
        self.wait_b(lambda c: c.exists("copy"), 1, "node B to apply the COPY")
        self.assertEqual(self.cb.hgetall("copy"), self.r.hgetall("copy"))
        self.assertEqual(self.cb.hgetall("dst"), self.r.hgetall("dst"))
        b3, r3 = self.b.client(db=3), self.redis.client(db=3)
        self.wait_b(lambda c: b3.zcard("zsrc"), 10000, "node B to apply the MOVE")
        self.assertEqual(b3.zrange("zsrc", 0, -1, withscores=True),
                         r3.zrange("zsrc", 0, -1, withscores=True))

    def test_exec_and_script_writing_thousands_of_keys(self):
        def exec_many(c):
            p = c.pipeline(transaction=True)
            for i in range(2000):
                p.set(f"x{i}", i)
            p.incrby("x0", 5)
            return p.execute()

        self.both(exec_many)
        script = "for i = 1, tonumber(ARGV[1]) do redis.call('HSET', KEYS[1], 'f' .. i, i) end " \
                 "return redis.call('HLEN', KEYS[1])"
        self.assertEqual(self.both(lambda c: c.eval(script, 1, "sh", 5000)), 5000)
        self.wait_b(lambda c: c.hlen("sh"), 5000, "node B to apply the script")
        self.assertEqual(self.cb.hgetall("sh"), self.r.hgetall("sh"))
        self.assertEqual(self.cb.mget([f"x{i}" for i in range(2000)]),
                         self.r.mget([f"x{i}" for i in range(2000)]))

    def test_hundreds_of_present_keys_compared_commit_whole(self):
        # DEL of 200 existing keys compares 200 keys: more than one Txn list holds, so the
        # compares travel as a check tree (etcd_txn_fanout.h CheckTree), one Txn.
        self.both(lambda c: c.mset({f"k{i}": i for i in range(300)}))
        self.assertEqual(self.both(lambda c: c.delete(*[f"k{i}" for i in range(200)])), 200)
        self.wait_b(lambda c: c.exists(*[f"k{i}" for i in range(300)]), 100, "node B's DEL")
        self.assertGreaterEqual(int(self.ca.info("petacore")["etcd_compares_checked"]), 1)
        self.assertEqual(self.ca.mget([f"k{i}" for i in range(300)]),
                         self.r.mget([f"k{i}" for i in range(300)]))

    def test_checked_compares_lose_no_concurrent_update(self):
        # A script reading 200 counters and writing each + 1 (GET then SET: its writes
        # depend on its reads, so every read key is compared), while node B INCRs one of
        # them: a compare that did not hold must make the script run again on fresh data,
        # or B's INCRs would be lost under the script's SETs.
        self.ca.mset({f"a{i}": 0 for i in range(200)})
        self.wait_b(lambda c: c.get("a199"), b"0", "node B to see the counters")
        bump = ("for i = 0, 199 do local k = 'a' .. i "
                "redis.call('SET', k, tonumber(redis.call('GET', k)) + 1) end return 1")
        runs, incrs = 15, 300
        done = threading.Event()

        def incr_on_b():
            for _ in range(incrs):
                self.cb.incr("a5")
            done.set()

        t = threading.Thread(target=incr_on_b)
        t.start()
        for _ in range(runs):
            self.assertEqual(self.ca.eval(bump, 0), 1)
        t.join(timeout=120)
        self.assertTrue(done.is_set())
        self.wait_b(lambda c: int(c.get("a5")), runs + incrs, "node B to apply everything")
        self.assertEqual(int(self.ca.get("a5")), runs + incrs)
        self.assertEqual(int(self.ca.get("a0")), runs)
        self.assertEqual(int(self.cb.get("a199")), runs)

    def test_checked_compare_failure_retries_on_the_change(self):
        # A check tree's refusal names no revision: the retry first asks etcd for its
        # revision and waits until this node applied it, so the second run reads the change.
        # Node B changes a counter while node A's script — it read the 200 counters, then
        # spins — is known to be running (node A answers BUSY past busy-reply-threshold).
        self.ca.mset({f"a{i}": 0 for i in range(200)})
        self.wait_b(lambda c: c.get("a199"), b"0", "node B to see the counters")
        before = int(self.ca.info("stats")["commit_conflict_revision_fetches"])
        bump_slowly = (
            "for i = 0, 199 do local k = 'a' .. i "
            "redis.call('SET', k, tonumber(redis.call('GET', k)) + 1) end "
            "local t = redis.call('TIME') local until_us = t[1] * 1000000 + t[2] + 1000000 "
            "repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] >= until_us "
            "return 1")
        self.ca.config_set("busy-reply-threshold", 50)
        try:
            reply = []
            t = threading.Thread(target=lambda: reply.append(self.ca.eval(bump_slowly, 0)))
            t.start()
            probe = self.a.client(socket_timeout=60)

            def busy():
                try:
                    probe.ping()
                    return False
                except redis.exceptions.ResponseError as e:
                    return str(e).startswith("BUSY")
            harness.wait_for(busy, timeout=30, what="node A's script to be running")
            self.assertEqual(self.cb.incr("a5"), 1)
            t.join(timeout=120)
            self.assertEqual(reply, [1])
        finally:
            self.ca.config_set("busy-reply-threshold", 5000)
        self.assertGreaterEqual(
            int(self.ca.info("stats")["commit_conflict_revision_fetches"]), before + 1)
        self.assertEqual(int(self.ca.get("a5")), 2)  # B's INCR, then the script's re-run
        self.assertEqual(int(self.ca.get("a0")), 1)
        self.wait_b(lambda c: c.get("a5"), b"2", "node B to apply the script")

    def test_hundreds_of_watched_keys(self):
        # WATCHed keys beyond one Txn list go as a check tree of their own, whose failure is
        # told apart from a conflict: a nil EXEC when node B changed one of them.
        keys = [f"k{i}" for i in range(200)]
        self.both(lambda c: c.mset({k: 0 for k in keys}))

        def watched_exec(c, change):
            with c.pipeline(transaction=True) as pipe:
                pipe.watch(*keys)
                if change is not None:
                    change()
                pipe.multi()
                pipe.incr("after")
                try:
                    return pipe.execute()
                except redis.WatchError:
                    return None

        self.assertEqual(self.both(lambda c: watched_exec(c, None)), [1])
        self.wait_b(lambda c: c.get("k150"), b"0", "node B to see the keys")
        self.assertIsNone(watched_exec(self.ca, lambda: self.cb.set("k150", 1)))
        self.assertIsNone(watched_exec(self.r, lambda: self.r.set("k150", 1)))
        self.assertEqual(self.ca.get("after"), b"1")
        self.assertEqual(self.r.get("after"), b"1")

    def test_hundreds_of_absent_keys_read_fit_as_range_compares(self):
        # MSETNX of 300 new keys compares 300 absent keys: merged into range compares
        # (replication/compare_merge.h), it commits where it used to be refused.
        keys = {f"nx:{i:03d}": i for i in range(300)}
        self.assertEqual(self.both(lambda c: c.msetnx(keys)), True)
        self.assertEqual(self.both(lambda c: c.msetnx({"nx:999": 1, "nx:000": 2})), False)
        self.wait_b(lambda c: c.exists(*keys), 300, "node B to apply the MSETNX")
        # An EXEC that reads 300 absent keys, then writes.
        def exec_reads(c):
            with c.pipeline(transaction=True) as p:
                p.exists(*[f"none:{i}" for i in range(300)])
                p.set("after", "x")
                return p.execute()
        self.assertEqual(self.both(exec_reads), [0, True])
        merged = int(self.ca.info("petacore")["etcd_compares_merged"])
        self.assertGreaterEqual(merged, 2)

    def test_one_collection_written_beyond_one_request(self):
        # A single command writing more element bytes into one collection than one etcd
        # request holds (1.5 MiB here) moves that collection into a new incarnation staged
        # ahead of its Txn (keyspace/txn_view.h StageLargeCollections): it commits whole, as
        # Redis accepts it.
        fields = {f"field:{i:06d}": "v" * 30 for i in range(60000)}  # ~2.5 MB of puts
        staged = int(self.ca.info("petacore")["incarnations_staged"])
        with harness.Poller(lambda: self.b.client(socket_timeout=60),
                            lambda c: c.hlen("h")) as poll:
            self.assertEqual(self.both(lambda c: c.hset("h", mapping=fields)), 60000)
            self.wait_b(lambda c: c.hlen("h"), 60000, "node B to apply the HSET")
        self.assertEqual(poll.seen - {0, 60000}, set())  # whole or not at all
        self.assertGreater(int(self.ca.info("petacore")["incarnations_staged"]), staged)
        more = {f"more:{i:06d}": "w" * 30 for i in range(60000)}
        self.assertEqual(self.both(lambda c: c.hset("h", mapping=more)), 60000)
        self.assertEqual(self.both(lambda c: c.sadd("s", *range(200000))), 200000)
        self.assertEqual(self.both(lambda c: c.zadd("z", {f"m{i}": i for i in range(100000)})),
                         100000)
        self.assertEqual(self.both(lambda c: c.rpush("l", *[f"item-{i}" for i in range(100000)])),
                         100000)
        # A script and an EXEC writing one big hash each.
        fill = ("for i = 1, tonumber(ARGV[1]) do "
                "redis.call('HSET', KEYS[1], 'k' .. i, string.rep('x', 40)) end "
                "return redis.call('HLEN', KEYS[1])")
        self.assertEqual(self.both(lambda c: c.eval(fill, 1, "scripted", 50000)), 50000)

        def exec_big(c):
            with c.pipeline(transaction=True) as p:
                p.hset("exec", mapping=fields)
                p.hlen("exec")
                return p.execute()
        self.assertEqual(self.both(exec_big), [60000, 60000])
        self.wait_b(lambda c: c.hlen("exec"), 60000, "node B to apply the EXEC")
        for key in ("h", "scripted", "exec"):
            self.assertEqual(self.cb.hgetall(key), self.r.hgetall(key))
        self.assertEqual(self.cb.smembers("s"), self.r.smembers("s"))
        self.assertEqual(self.cb.zrange("z", 0, -1, withscores=True),
                         self.r.zrange("z", 0, -1, withscores=True))
        self.assertEqual(self.cb.lrange("l", 0, -1), self.r.lrange("l", 0, -1))
        # Dropped, they leave etcd at the cleaner's next rounds.
        self.ca.config_set("chunk-cleaner-interval-ms", 200)
        try:
            self.assertEqual(self.both(lambda c: c.delete("h", "s", "z", "l", "scripted", "exec")),
                             6)
            harness.wait_for(lambda: chunk_keys(self.etcd) == 0, timeout=120,
                             what="the cleaner to remove every element key")
        finally:
            self.ca.config_set("chunk-cleaner-interval-ms", 5000)

    def test_more_bytes_than_one_request_fail_naming_the_limit(self):
        # Thousands of keys (not one collection) adding up to more than one request: no
        # incarnation holds them, so the command is refused whole before anything is applied.
        big = {f"key:{i:06d}": "v" * 30 for i in range(60000)}  # ~3 MB of puts
        with self.assertRaises(Exception) as e:
            self.ca.mset(big)
        self.assertIn("--max-request-bytes", str(e.exception))
        self.assertEqual(self.ca.exists("key:000000", "key:059999"), 0)
        self.assertEqual(self.cb.exists("key:000000", "key:059999"), 0)

if __name__ == "__main__":
    unittest.main()
