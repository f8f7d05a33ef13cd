"""Client-side caching (CLIENT TRACKING): invalidations across nodes, and single-node
behaviour against redis-server 7.0.15.

- TrackingAcrossNodesTest: two nodes on one etcd; a RESP3 client tracks on node A while
  another client writes on node B (a string, a hash field, an expiring key, FLUSHALL): each
  invalidation arrives on A. NOLOOP, OPTIN/OPTOUT, BCAST prefixes, REDIRECT and the
  tracking-table-max-keys eviction too.
- TrackingDifferentialTest: the same command sequences on a standalone PetaCore and on a real
  Redis give the same replies and the same pushes, in the same order, byte for byte.

No timing assertions: a push is waited for with a generous bound (a hung test fails, a slow
one passes); "no push" is checked by a later push arriving first (a marker write).
"""
import unittest

import redis

import cluster

from differential import AgainstRedisTestCase, ReplicatedTestCase
from harness import wait_for
from resp3_push_client import Resp3Client
from resp_wire import WireConn


def invalidate(*keys):
    return [b"invalidate", [k.encode() for k in keys]]


FLUSH = [b"invalidate", None]


class TrackingAcrossNodesTest(ReplicatedTestCase):

    def setUp(self):
        self.flush_replicated()
        self.ca = Resp3Client(self.a.port)  # tracks, on node A
        self.cb = Resp3Client(self.b.port)  # writes, on node B
        # A key that stays: deleting the last key of a database is taken as a flush.
        self.cb.call("SET", "sentinel", "1")
        wait_for(lambda: self.a.client().get("sentinel") == b"1", what="sentinel on A")

    def tearDown(self):
        self.ca.close()
        self.cb.close()

    def write_on_b(self, *args):
        reply = self.cb.call(*args)
        self.assertFalse(isinstance(reply, tuple) and reply[0] == "error", reply)

    def test_string_write_on_other_node_invalidates(self):
        self.assertEqual(self.ca.call("CLIENT", "TRACKING", "on"), b"OK")
        self.assertIsNone(self.ca.call("GET", "s"))
        self.write_on_b("SET", "s", "v1")
        self.assertEqual(self.ca.wait_push(), invalidate("s"))
        # Invalidated keys are forgotten: no second push until the key is read again. The
        # read after the push sees the new value.
        self.assertEqual(self.ca.call("GET", "s"), b"v1")
        self.write_on_b("SET", "s", "v2")
        self.assertEqual(self.ca.wait_push(), invalidate("s"))
        self.write_on_b("SET", "s", "v3")  # not read since: no push for this one
        self.assertEqual(self.ca.call("GET", "other"), None)
        self.write_on_b("SET", "other", "x")
        self.assertEqual(self.ca.wait_push(), invalidate("other"))

    def test_hash_field_write_invalidates_the_key(self):
        self.ca.call("CLIENT", "TRACKING", "on")
        self.write_on_b("HSET", "h", "f", "1")
        wait_for(lambda: self.a.client().hget("h", "f") == b"1", what="h on A")
        self.assertEqual(self.ca.call("HGET", "h", "f"), b"1")
        self.write_on_b("HSET", "h", "f", "2")
        self.assertEqual(self.ca.wait_push(), invalidate("h"))

    def test_expiring_key_invalidated_by_active_expiry(self):
        self.ca.call("CLIENT", "TRACKING", "on")
        self.write_on_b("SET", "e", "v", "PX", "2000")
        wait_for(lambda: self.a.client().get("e") == b"v", what="e on A")
        self.assertEqual(self.ca.call("GET", "e"), b"v")  # remembered
        # The expiry's delete, applied on A, invalidates it.
        self.assertEqual(self.ca.wait_push(), invalidate("e"))

    def test_flushall_on_other_node_sends_null_invalidation(self):
        self.ca.call("CLIENT", "TRACKING", "on")
        self.ca.call("GET", "x")
        self.write_on_b("FLUSHALL")
        self.assertEqual(self.ca.wait_push(), FLUSH)

    def test_noloop_skips_own_writes_only(self):
        self.ca.call("CLIENT", "TRACKING", "on", "NOLOOP")
        self.ca.call("MGET", "mine", "theirs")
        self.assertEqual(self.ca.call("SET", "mine", "1"), b"OK")
        self.write_on_b("SET", "theirs", "1")
        # Had A's own write been sent, it would come first: it was applied before B's.
        self.assertEqual(self.ca.wait_push(), invalidate("theirs"))

    def test_without_noloop_own_writes_are_sent(self):
        self.ca.call("CLIENT", "TRACKING", "on")
        self.ca.call("GET", "mine")
        self.assertEqual(self.ca.call("SET", "mine", "1"), b"OK")
        self.assertEqual(self.ca.wait_push(), invalidate("mine"))

    def test_optin_remembers_only_after_caching_yes(self):
        self.ca.call("CLIENT", "TRACKING", "on", "OPTIN")
        self.ca.call("GET", "skipped")
        self.assertEqual(self.ca.call("CLIENT", "CACHING", "yes"), b"OK")
        self.ca.call("GET", "cached")
        self.write_on_b("SET", "skipped", "1")
        self.write_on_b("SET", "cached", "1")
        self.assertEqual(self.ca.wait_push(), invalidate("cached"))

    def test_optout_skips_after_caching_no(self):
        self.ca.call("CLIENT", "TRACKING", "on", "OPTOUT")
        self.assertEqual(self.ca.call("CLIENT", "CACHING", "no"), b"OK")
        self.ca.call("GET", "skipped")
        self.ca.call("GET", "cached")
        self.write_on_b("SET", "skipped", "1")
        self.write_on_b("SET", "cached", "1")
        self.assertEqual(self.ca.wait_push(), invalidate("cached"))

    def test_bcast_prefixes(self):
        self.assertEqual(
            self.ca.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:", "PREFIX", "cfg:"),
            b"OK")
        self.write_on_b("SET", "other:1", "x")  # no prefix of A's: nothing
        self.write_on_b("MSET", "user:2", "a", "cfg:1", "b", "user:1", "c")
        # One message per prefix, keys sorted, prefixes in order (as Redis).
        self.assertEqual(self.ca.wait_push(), invalidate("cfg:1"))
        self.assertEqual(self.ca.wait_push(), invalidate("user:1", "user:2"))

    def test_redirect_to_a_resp3_client(self):
        target = Resp3Client(self.a.port)
        try:
            target_id = target.call("CLIENT", "ID")
            self.assertEqual(self.ca.call("CLIENT", "TRACKING", "on", "REDIRECT", target_id), b"OK")
            self.assertEqual(self.ca.call("CLIENT", "GETREDIR"), target_id)
            self.ca.call("GET", "r")
            self.write_on_b("SET", "r", "1")
            self.assertEqual(target.wait_push(), invalidate("r"))
            # The tracking client itself gets nothing: its next reply is its own.
            self.assertEqual(self.ca.call("PING"), b"PONG")
            self.assertEqual(self.ca.pushes, [])
        finally:
            target.close()

    def test_redirect_target_gone_reports_broken_redirect(self):
        target = Resp3Client(self.a.port)
        target_id = target.call("CLIENT", "ID")
        self.assertEqual(self.ca.call("CLIENT", "TRACKING", "on", "REDIRECT", target_id), b"OK")
        self.ca.call("GET", "rb")
        target.close()
        wait_for(lambda: all(not line.startswith(b"id=%d " % target_id) for line in
                             self.a.client().execute_command("CLIENT", "LIST").splitlines()),
                 what="target gone")
        self.write_on_b("SET", "rb", "1")
        # As Redis: the source is told, and CLIENT TRACKINGINFO shows broken_redirect.
        self.assertEqual(self.ca.wait_push(), [b"tracking-redir-broken", target_id])
        info = dict(self.ca.call("CLIENT", "TRACKINGINFO")[1])
        self.assertEqual(info[b"flags"], ("set", [b"on", b"broken_redirect"]))
        self.assertEqual(info[b"redirect"], target_id)

    def test_tracking_table_max_keys_evicts_and_invalidates(self):
        admin = self.a.client()
        admin.config_set("tracking-table-max-keys", 2)
        try:
            self.ca.call("CLIENT", "TRACKING", "on")
            self.ca.call("MGET", "k1", "k2")
            self.ca.call("GET", "k3")  # a third key: one random key is evicted, invalidated
            push = self.ca.wait_push()
            self.assertEqual(push[0], b"invalidate")
            self.assertEqual(len(push[1]), 1)
            self.assertIn(push[1][0], [b"k1", b"k2", b"k3"])
        finally:
            admin.config_set("tracking-table-max-keys", 1000000)

    def test_off_stops_invalidations(self):
        self.ca.call("CLIENT", "TRACKING", "on")
        self.ca.call("GET", "gone")
        self.assertEqual(self.ca.call("CLIENT", "TRACKING", "off"), b"OK")
        self.write_on_b("SET", "gone", "1")
        # Applied on A while off: nothing sent, and the key is forgotten (as Redis, which
        # would still send it to a client that turned tracking on again before the change).
        wait_for(lambda: self.a.client().get("gone") == b"1", what="gone on A")
        self.ca.call("CLIENT", "TRACKING", "on")
        self.ca.call("GET", "marker")
        self.write_on_b("SET", "marker", "1")
        self.assertEqual(self.ca.wait_push(), invalidate("marker"))


class TrackingUnderEtcdFaults(unittest.TestCase):
    """Invalidations still arrive when an etcd member freezes or dies: node A's watch moves to
    another member (keepalive, docs/consistency.md) and the write on B invalidates A's
    client once A applied it. Each member is frozen in turn, so one round freezes the
    member A's watch is on; then a follower is killed."""

    def setUp(self):
        self.etcd = cluster.EtcdCluster()
        self.addCleanup(self.etcd.close)
        self.a, self.b = cluster.start_nodes(self.etcd, 2)
        self.addCleanup(self.a.close)
        self.addCleanup(self.b.close)
        self.ca = Resp3Client(self.a.port)
        self.addCleanup(self.ca.close)
        self.b.client().set("sentinel", "1")  # keeps the db non-empty (no flush semantics)

    def write_on_b(self, key, value):
        errors = []

        def attempt():
            try:
                return self.b.client(socket_timeout=20).set(key, value)
            except redis.ResponseError as e:
                errors.append(str(e))  # refused while a new leader is elected
                return False
        wait_for(attempt, timeout=40, interval=0.2, what=f"SET {key} on node B")
        self.assertTrue(all(e.startswith("etcd: ") for e in errors), errors)

    def test_invalidation_with_each_member_frozen_then_one_killed(self):
        self.assertEqual(self.ca.call("CLIENT", "TRACKING", "on"), b"OK")
        rounds = [("frozen", m) for m in self.etcd.members]
        rounds.append(("killed", self.etcd.followers()[0]))
        for i, (fault, victim) in enumerate(rounds):
            key = f"k{i}"
            self.assertIsNone(self.ca.call("GET", key))  # now tracked on A
            victim.stop() if fault == "frozen" else victim.kill()
            self.write_on_b(key, f"v{i}")
            # An earlier round's SET that answered in doubt and was retried may have been
            # applied twice: its second write invalidates that key again (A read it since).
            earlier = [invalidate(f"k{j}") for j in range(i)]
            push = self.ca.wait_push(timeout=60)
            while push in earlier:
                push = self.ca.wait_push(timeout=60)
            self.assertEqual(push, invalidate(key), fault)
            # After the push, A's replica has the write.
            self.assertEqual(self.ca.call("GET", key), f"v{i}".encode())
            victim.cont() if fault == "frozen" else victim.start(wait=True)
            wait_for(lambda: self.etcd.healthy(), timeout=30, what="cluster healthy again")
        cluster.wait_converged([self.a, self.b], self.etcd)


class TrackingDifferentialTest(AgainstRedisTestCase):
    """Single node: the same sequences on PetaCore and redis-server 7.0.15, with the same
    replies and pushes, compared as exact RESP3 bytes (read back in order through a PING
    after each step)."""

    SEQUENCES = [
        # Option checks and reply shapes.
        [("a", "CLIENT", "TRACKINGINFO"), ("a", "CLIENT", "GETREDIR"),
         ("a", "CLIENT", "CACHING", "yes"),
         ("a", "CLIENT", "TRACKING", "on", "PREFIX", "x"),
         ("a", "CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"),
         ("a", "CLIENT", "TRACKING", "on", "BCAST", "OPTIN"),
         ("a", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a", "PREFIX", "ab"),
         ("a", "CLIENT", "TRACKING", "on", "REDIRECT", "notanumber"),
         ("a", "CLIENT", "TRACKING", "on", "REDIRECT", "987654"),
         ("a", "CLIENT", "TRACKING", "maybe"),
         ("a", "CLIENT", "TRACKING", "on", "PREFIX"),
         ("a", "CLIENT", "TRACKING", "on", "NOLOOP", "OPTIN"),
         ("a", "CLIENT", "TRACKINGINFO"), ("a", "CLIENT", "GETREDIR"),
         ("a", "CLIENT", "TRACKING", "on", "BCAST"),
         ("a", "CLIENT", "TRACKING", "on", "OPTOUT"),
         ("a", "CLIENT", "CACHING", "no"), ("a", "CLIENT", "CACHING", "yes"),
         ("a", "CLIENT", "CACHING", "maybe"), ("a", "CLIENT", "TRACKINGINFO"),
         ("a", "CLIENT", "TRACKING", "off"), ("a", "CLIENT", "TRACKINGINFO"),
         ("a", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "b", "PREFIX", "a"),
         ("a", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "bc"),
         ("a", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "c"),
         ("a", "CLIENT", "TRACKINGINFO"),
         ("a", "CLIENT", "TRACKING", "off", "BCAST")],
        # Default mode: reads remembered, own and others' writes, forgotten once sent.
        [("a", "CLIENT", "TRACKING", "on"), ("a", "GET", "k"), ("a", "MGET", "k2", "k3"),
         ("a", "HGET", "h", "f"), ("b", "SET", "k", "1"), ("b", "SET", "k", "2"),
         ("a", "SET", "k2", "x"), ("b", "HSET", "h", "f", "v"), ("b", "SET", "k3", "y"),
         ("a", "GET", "k"), ("a", "INCR", "k"), ("a", "EXISTS", "k2"), ("b", "DEL", "k2"),
         ("b", "SET", "keep", "1"),
         ("a", "CLIENT", "TRACKING", "off"), ("b", "SET", "k", "9")],
        # OPTIN / OPTOUT with CLIENT CACHING.
        [("a", "CLIENT", "TRACKING", "on", "OPTIN"), ("a", "GET", "p"),
         ("a", "CLIENT", "CACHING", "yes"), ("a", "CLIENT", "TRACKINGINFO"), ("a", "GET", "q"),
         ("a", "GET", "r"), ("b", "MSET", "p", "1", "q", "1", "r", "1"),
         ("a", "CLIENT", "TRACKING", "off"), ("a", "CLIENT", "TRACKING", "on", "OPTOUT"),
         ("a", "CLIENT", "CACHING", "no"), ("a", "GET", "p"), ("a", "GET", "q"),
         ("b", "SET", "p", "2"), ("b", "SET", "q", "2")],
        # BCAST and NOLOOP.
        [("a", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "u:", "PREFIX", "v:", "NOLOOP"),
         ("b", "SET", "u:1", "1"), ("b", "MSET", "v:2", "2", "u:3", "3", "w:4", "4"),
         ("a", "SET", "u:9", "own"), ("b", "SET", "v:9", "theirs"),
         ("a", "CLIENT", "TRACKING", "off"),
         ("a", "CLIENT", "TRACKING", "on", "BCAST"), ("b", "SET", "any", "1"),
         ("a", "SET", "mine", "1")],
        # MULTI/EXEC: reads inside EXEC are remembered; CLIENT CACHING before MULTI covers
        # the whole transaction; the flag lasts one command otherwise.
        [("a", "CLIENT", "TRACKING", "on", "OPTIN"), ("a", "CLIENT", "CACHING", "yes"),
         ("a", "MULTI"), ("a", "GET", "m1"), ("a", "GET", "m2"), ("a", "EXEC"),
         ("a", "GET", "m3"), ("a", "CLIENT", "CACHING", "yes"), ("a", "GET", "m4"),
         ("a", "GET", "m5"), ("b", "MSET", "m1", "1", "m2", "2", "m3", "3", "m4", "4", "m5", "5"),
         ("a", "CLIENT", "TRACKING", "off"), ("a", "CLIENT", "TRACKING", "on"),
         ("a", "MULTI"), ("a", "GET", "n1"), ("a", "SET", "n2", "x"), ("a", "EXEC"),
         ("b", "SET", "n1", "1"), ("b", "SET", "n2", "1")],
        # FLUSHALL / FLUSHDB: a null invalidation to every tracking client.
        [("a", "CLIENT", "TRACKING", "on"), ("a", "GET", "f"), ("b", "SET", "f", "1"),
         ("a", "GET", "f"), ("b", "FLUSHALL"), ("a", "GET", "f"), ("b", "SET", "f", "2"),
         ("b", "SET", "g", "1"), ("a", "GET", "g"), ("b", "FLUSHDB")],
        # Read-only commands that run as a Job here (PFCOUNT may write its cached count back;
        # XREAD may block) are remembered like GET, as Redis's call() does for CMD_READONLY.
        [("b", "PFADD", "hll", "x"), ("b", "XADD", "st", "1-1", "f", "v"),
         ("a", "CLIENT", "TRACKING", "on"), ("a", "PFCOUNT", "hll"),
         ("a", "PFCOUNT", "hll", "hll2"), ("a", "XREAD", "COUNT", "1", "STREAMS", "st", "0"),
         ("b", "PFADD", "hll", "y"), ("b", "PFADD", "hll2", "z"),
         ("b", "XADD", "st", "2-1", "f", "v"), ("b", "SET", "keep", "1")],
    ]

    def run_sequence(self, port, steps):
        """Each step as (who, args, its reply's exact bytes, the pushes A received during it
        as exact bytes), on two RESP3 connections to `port`."""
        clients = {"a": WireConn(port, 3), "b": WireConn(port, 3)}
        pushes = []

        def reply(who):
            # The next value on `who` that is not a push; A's pushes read meanwhile are kept.
            while True:
                value = clients[who].read_value()
                self.assertIsNotNone(value, "no reply within the connection's timeout")
                if not value.startswith(b">"):
                    return value
                self.assertEqual(who, "a", value)
                pushes.append(value)
        try:
            clients["a"].send("FLUSHALL")
            reply("a")
            out = []
            in_multi = False
            for who, *args in steps:
                clients[who].send(*args)
                got = reply(who)
                name = " ".join(args[:2]).upper() if args[0].upper() == "CLIENT" else \
                    args[0].upper()
                if who == "a" and name in ("MULTI", "EXEC", "DISCARD"):
                    in_multi = name == "MULTI"
                # Pushes for A arrive before A's next reply: a PING collects them in order
                # (not where a PING would change what is tested: inside MULTI, and right
                # after CLIENT CACHING, whose flag lasts one command).
                if not in_multi and not (who == "a" and name == "CLIENT CACHING"):
                    clients["a"].send("PING")
                    self.assertEqual(reply("a"), b"+PONG\r\n")
                out.append((who, args, got, list(pushes)))
                pushes.clear()
            return out
        finally:
            for c in clients.values():
                c.close()

    def test_sequences_match_redis(self):
        for i, steps in enumerate(self.SEQUENCES):
            with self.subTest(sequence=i):
                ours = self.run_sequence(self.node.port, steps)
                theirs = self.run_sequence(self.redis.port, steps)
                for o, t in zip(ours, theirs):
                    self.assertEqual(o, t, f"step {o[0]} {o[1]}")


if __name__ == "__main__":
    unittest.main()
