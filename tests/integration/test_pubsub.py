"""Pub/sub against a real redis-server 7.0.15: the same subscribe / publish / pattern /
unsubscribe sequences, in RESP2 and RESP3, give the same bytes — on a standalone PetaCore,
and with the subscriber and the publisher on two different replicated nodes.

Also: what only PetaCore has to decide (docs/consistency.md "Pub/Sub"): PUBLISH inside
MULTI/EXEC is delivered only if the transaction commits, a subscriber's disconnection and
RESET drop its subscriptions cluster-wide, the etcd request size bounds a message with a
clear error, a subscriber that does not read is disconnected by
client-output-buffer-limit pubsub, and a RESP2 client in subscribed mode that is another
client's CLIENT TRACKING REDIRECT target receives invalidations on __redis__:invalidate.
"""
import socket
import time
import unittest

from differential import AgainstRedisTestCase, ReplicatedTestCase
from harness import Etcd, Node, RealRedis, wait_for
from resp_wire import WireConn
import redis

# Steps: (connection, command...). "S" subscribes, "P" publishes, "Q" is a third client.
# Each step's bytes are compared; steps marked UNORDERED compare their values sorted (Redis
# answers a bare UNSUBSCRIBE in its dict's hash order).
SCRIPT = [
    ("S", "SUBSCRIBE", "news", "sport"),
    ("P", "PUBLISH", "news", "hello"),
    ("P", "PUBLISH", "sport", "goal"),
    ("P", "PUBLISH", "weather", "rain"),  # nobody listens: 0
    ("S", "PSUBSCRIBE", "n*"),
    ("P", "PUBLISH", "news", "both"),  # message then pmessage
    ("P", "PUBLISH", "nothing", "pattern only"),
    ("S", "PING"),
    ("S", "PING", "inside"),
    ("S", "GET", "k"),  # RESP2: refused in subscribed mode; RESP3: answered
    ("S", "SUBSCRIBE", "news"),  # already: confirmed again, count unchanged
    ("S", "UNSUBSCRIBE", "news"),
    ("P", "PUBLISH", "news", "pattern now"),
    ("S", "PSUBSCRIBE", "h[ae]llo", "x\\*y", "?"),
    ("P", "PUBLISH", "hallo", "class"),
    ("P", "PUBLISH", "x*y", "escaped"),
    ("P", "PUBLISH", "xzy", "not escaped"),
    ("P", "PUBLISH", "a", "one byte"),
    ("P", "PUBSUB", "NUMSUB", "news", "sport", "none"),
    ("P", "PUBSUB", "NUMPAT"),
    ("P", "PUBSUB", "CHANNELS", "s*"),
    ("P", "PUBSUB", "CHANNELS", "nomatch*"),
    ("P", "PUBLISH", b"bin\x00chan", b"\x00\xff\r\npayload"),
    ("S", "SUBSCRIBE", b"bin\x00chan"),
    ("P", "PUBLISH", b"bin\x00chan", b"\x00\xff\r\npayload"),
    ("S", "PUNSUBSCRIBE", "n*"),
    ("S", "PUNSUBSCRIBE", "never-subscribed"),
    ("S", "SSUBSCRIBE", "shard1"),
    ("P", "SPUBLISH", "shard1", "to the shard"),
    ("P", "PUBLISH", "shard1", "not to the shard"),
    ("P", "PUBSUB", "SHARDCHANNELS"),
    ("P", "PUBSUB", "SHARDNUMSUB", "shard1", "other"),
    ("S", "SUNSUBSCRIBE"),
    ("S", "UNSUBSCRIBE"),
    ("S", "PUNSUBSCRIBE"),
    ("S", "UNSUBSCRIBE"),  # nothing left: [unsubscribe, nil, 0]
    ("S", "GET", "k"),  # out of subscribed mode
    ("P", "PUBLISH", "news"),  # arity
    ("P", "SUBSCRIBE"),
    ("P", "PUBSUB", "NOPE"),
    ("P", "PUBSUB", "NUMPAT", "extra"),
    ("P", "PUBSUB", "HELP"),
    ("S", "SUBSCRIBE", "tx"),
    ("P", "MULTI"),
    ("P", "PUBLISH", "tx", "in exec"),
    ("P", "SET", "k", "v"),
    ("P", "EXEC"),
    ("P", "WATCH", "w"),
    ("Q", "SET", "w", "changed"),
    ("P", "MULTI"),
    ("P", "PUBLISH", "tx", "never: the transaction fails"),
    ("P", "EXEC"),
    ("P", "PUBLISH", "tx", "after"),
    ("S", "RESET"),
    ("P", "PUBLISH", "tx", "nobody"),
    ("P", "PUBSUB", "NUMSUB", "tx"),
]
UNORDERED = {("S", "SUNSUBSCRIBE"), ("S", "UNSUBSCRIBE"), ("S", "PUNSUBSCRIBE")}

# Commands whose reply depends only on the connection they are sent on (not on messages
# another node delivers): with S and P on two nodes, S's PING/GET replies may come before
# or after a message in flight, so the two-node run leaves them out.
LOCAL_ONLY = {"PING", "GET", "RESET"}


def run_script(servers, protocol, script, settle=None):
    """Runs `script` with S, P and Q connected to servers[0], [1], [2] (ports); returns, per
    step, the bytes each connection received during it (S's and P's, Q's)."""
    conns = {name: WireConn(port, protocol) for name, port in zip("SPQ", servers)}
    out = []
    in_multi = set()  # inside MULTI a PING would be queued: read the one reply instead
    try:
        for step in script:
            name, args = step[0], step[1:]
            conns[name].send(*args)
            verb = args[0].upper() if isinstance(args[0], str) else ""
            if verb == "MULTI":
                in_multi.add(name)
            got = {}
            # The step's own connection first: its reply means the command ran (and, for a
            # PUBLISH, was delivered to this node's subscribers) before the others are read.
            for n in [name] + [x for x in conns if x != name]:
                c = conns[n]
                got[n] = [c.read_value()] if n == name and n in in_multi else c.drain()
                if n == name and settle is not None and name == "P":
                    settle()  # after the step's reply: its commit is ordered before settle's
            if verb in ("EXEC", "DISCARD"):
                in_multi.discard(name)
            key = (name, args[0]) if len(args) == 1 else None
            if key in UNORDERED:
                # The names in any order; the counts (last field) in order: each one less.
                got = {n: (sorted(x.rsplit(b":", 1)[0] for x in v),
                           [x.rsplit(b":", 1)[-1] for x in v]) for n, v in got.items()}
            out.append((step, got))
    finally:
        for c in conns.values():
            c.close()
    return out


class AgainstRedis(AgainstRedisTestCase):
    """A standalone node (self.node) and a real Redis (self.redis)."""

    def compare(self, protocol):
        ours = run_script([self.node.port] * 3, protocol, SCRIPT)
        theirs = run_script([self.redis.port] * 3, protocol, SCRIPT)
        for (step, got), (_, want) in zip(ours, theirs):
            self.assertEqual(got, want, f"RESP{protocol} step {step}")
        self.node.client().flushall()
        self.redis.client().flushall()

    def test_resp2_same_bytes_as_redis(self):
        self.compare(2)

    def test_resp3_same_bytes_as_redis(self):
        self.compare(3)


class TwoNodesAgainstRedis(ReplicatedTestCase):
    """The subscriber on node B, the publisher and Q on node A; Redis with all three on one
    server. A PUBLISH's reply comes once node A applied it; node B may deliver a moment
    later, so each publishing step first commits a PUBLISH of its own on node B: its reply
    comes once B applied a later revision, so B's delivery of the step's messages has been
    handed to the subscriber's connection before the subscriber is read."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()  # self.etcd, self.a, self.b
        cls.redis = RealRedis()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.redis.close()

    def settle(self):
        self.b.client().publish("__settle__", "x")

    def compare(self, protocol):
        script = [s for s in SCRIPT if not (s[0] == "S" and s[1] in LOCAL_ONLY)]
        ours = run_script([self.b.port, self.a.port, self.a.port], protocol, script,
                          settle=self.settle)
        theirs = run_script([self.redis.port] * 3, protocol, script)
        for (step, got), (_, want) in zip(ours, theirs):
            self.assertEqual(got, want, f"RESP{protocol} step {step}")
        self.a.client().flushall()
        self.redis.client().flushall()

    def test_resp2_across_nodes(self):
        self.compare(2)

    def test_resp3_across_nodes(self):
        self.compare(3)

    def test_disconnect_drops_subscriptions_cluster_wide(self):
        s = WireConn(self.b.port)
        s.send("SUBSCRIBE", "gone", "gone2")
        s.send("PSUBSCRIBE", "g*")
        self.assertEqual(len(s.drain()), 3)
        ca = self.a.client()
        wait_for(lambda: ca.pubsub_numsub("gone") == [(b"gone", 1)], what="counted on A")
        self.assertEqual(ca.publish("gone", "x"), 2)
        self.assertEqual(ca.pubsub_numpat(), 1)
        s.close()
        wait_for(lambda: ca.pubsub_numsub("gone", "gone2") == [(b"gone", 0), (b"gone2", 0)]
                 and ca.pubsub_numpat() == 0, what="subscriptions dropped on A")
        self.assertEqual(ca.publish("gone", "x"), 0)


class Limits(unittest.TestCase):
    def test_message_larger_than_an_etcd_request_is_refused(self):
        etcd = Etcd()
        node = Node(etcd)
        try:
            c = node.client()
            big = b"x" * (11 * 1024 * 1024)  # over the 10 MiB the test etcd accepts
            with self.assertRaises(Exception) as e:
                c.publish("ch", big)
            self.assertIn("message too large", str(e.exception))
            self.assertIn("etcd-max-request-bytes", str(e.exception))
            self.assertEqual(c.publish("ch", b"y" * (1024 * 1024)), 0)  # 1 MiB travels
        finally:
            node.close()
            etcd.close()

    def test_slow_subscriber_is_disconnected_by_the_pubsub_limit(self):
        node = Node(extra_args=["--client-output-buffer-limit", "pubsub 1mb 0 0"])
        try:
            s = socket.create_connection(("127.0.0.1", node.port))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\nslow\r\n")
            c = node.client()
            wait_for(lambda: c.pubsub_numsub("slow") == [(b"slow", 1)], what="subscribed")
            payload = b"p" * 65536
            # The subscriber never reads: its pending messages pass 1 MiB and it is dropped.
            for _ in range(200):
                c.publish("slow", payload)
                if c.pubsub_numsub("slow") == [(b"slow", 0)]:
                    break
            wait_for(lambda: c.pubsub_numsub("slow") == [(b"slow", 0)],
                     what="slow subscriber dropped")
            self.assertIn("closed for overcoming of output buffer limits", node.log_text())
            self.assertGreaterEqual(int(c.info("stats")["client_output_buffer_limit_disconnections"]), 1)
            # A normal client (no subscription) is not bound by the pubsub class's 1 MiB.
            c.set("big", b"v" * (3 * 1024 * 1024))
            self.assertEqual(len(c.get("big")), 3 * 1024 * 1024)
            s.close()
        finally:
            node.close()


    def soft_limit_drop(self, port):
        """A subscriber that never reads, on a server whose pubsub class has only a soft limit
        (256 KiB held for 1 s): publishes continue (bounded) until it is dropped. Returns the
        exact bytes of CONFIG SET's reply and of PUBSUB NUMSUB soft's at the end."""
        admin = WireConn(port)
        config_set = admin.call("CONFIG", "SET", "client-output-buffer-limit",
                                "pubsub 0 256kb 1")[0]
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\nsoft\r\n")
        one, none = b"*2\r\n$4\r\nsoft\r\n:1\r\n", b"*2\r\n$4\r\nsoft\r\n:0\r\n"
        wait_for(lambda: admin.call("PUBSUB", "NUMSUB", "soft")[0] == one, what="subscribed")
        payload = b"p" * 65536
        for _ in range(600):  # at most 60 s of publishing: a bound, not a timing assertion
            admin.call("PUBLISH", "soft", payload)
            if admin.call("PUBSUB", "NUMSUB", "soft")[0] == none:
                break
            time.sleep(0.1)
        left = admin.call("PUBSUB", "NUMSUB", "soft")[0]
        s.close()
        admin.close()
        return config_set, left

    def test_soft_limit_drops_a_subscriber_that_stays_over_it(self):
        redis_server = RealRedis()
        node = Node()
        try:
            want = self.soft_limit_drop(redis_server.port)
            self.assertEqual(want, (b"+OK\r\n", b"*2\r\n$4\r\nsoft\r\n:0\r\n"))
            self.assertEqual(self.soft_limit_drop(node.port), want)
            self.assertIn("closed for overcoming of output buffer limits", node.log_text())
            stats = redis_client(node.port).info("stats")
            self.assertEqual(int(stats["client_output_buffer_limit_disconnections"]), 1)
        finally:
            node.close()
            redis_server.close()

    def paused_publish(self, port):
        """CLIENT PAUSE WRITE holds PUBLISH (Redis 7: a may-replicate command) and the commands
        pipelined behind it; CLIENT UNPAUSE releases them. Returns what the publisher got
        while paused (None: nothing) and after."""
        admin, pub = WireConn(port), WireConn(port)
        admin.send("CLIENT", "PAUSE", "20000", "WRITE")
        admin.drain()
        pub.send("PUBLISH", "paused", "m")
        pub.send("GET", "k")
        held = pub.read_value(time.monotonic() + 1.0)
        admin.send("CLIENT", "UNPAUSE")
        admin.drain()
        after = [pub.read_value(time.monotonic() + 30), pub.read_value(time.monotonic() + 30)]
        admin.close()
        pub.close()
        return held, after

    def test_client_pause_write_holds_publish(self):
        redis_server = RealRedis()
        node = Node()
        try:
            expected = self.paused_publish(redis_server.port)
            self.assertEqual(expected, (None, [b":0\r\n", b"$-1\r\n"]))
            self.assertEqual(self.paused_publish(node.port), expected)
        finally:
            node.close()
            redis_server.close()


def redis_client(port):
    return redis.Redis(host="127.0.0.1", port=port, socket_timeout=30)


class TrackingRedirectRESP2(unittest.TestCase):
    """Issue 12's last piece: a RESP2 REDIRECT target subscribed to __redis__:invalidate."""

    def run_on(self, port):
        target = WireConn(port)
        target.send("CLIENT", "ID")
        target_id = int(target.drain()[0][1:-2])
        target.send("SUBSCRIBE", "__redis__:invalidate")
        got = target.drain()
        tracker = WireConn(port)
        tracker.send("CLIENT", "TRACKING", "on", "REDIRECT", str(target_id))
        tracker.send("GET", "tk")
        tracker.drain()
        writer = WireConn(port)
        writer.send("SET", "tk", "1")
        writer.drain()
        writer.send("FLUSHALL")
        writer.drain()
        got += target.drain()
        for c in (target, tracker, writer):
            c.close()
        return got

    def test_same_bytes_as_redis(self):
        redis_server = RealRedis()
        node = Node()
        try:
            want = self.run_on(redis_server.port)
            got = self.run_on(node.port)
            self.assertEqual(got, want)
            self.assertIn(b"__redis__:invalidate\r\n*1\r\n$2\r\ntk\r\n", b"".join(got))
        finally:
            node.close()
            redis_server.close()


if __name__ == "__main__":
    unittest.main()
