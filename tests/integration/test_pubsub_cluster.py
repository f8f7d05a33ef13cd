"""Pub/sub across nodes: a 3-member etcd cluster and 3 PetaCore nodes A, B, C.

- fan-out: subscribers on B and C (channel and pattern, RESP2 and RESP3) get all of 500
  messages published on A from one connection (sequential, then pipelined), in order, once;
  every PUBLISH answers the number of receivers cluster-wide; PUBSUB NUMSUB / NUMPAT /
  CHANNELS asked on A count B's and C's subscribers.
- SUBSCRIBEs pipelined without waiting for their replies, PUBLISHes racing them from another
  connection: each PUBLISH's count says whether its message is delivered, and no message
  comes before its channel's subscribe confirmation.
- read-your-writes through pub/sub: A does SET order:i then PUBLISH orders i; B's subscriber,
  on receiving i, reads order:i on a second connection to B and sees it (every round).
- keyspace notifications (notify-keyspace-events KEA) of writes on A, MULTI/EXEC and an
  active expiry included, reach a psubscriber on B in order; a refused write sends none.
- shard channels: SSUBSCRIBE on B, SPUBLISH and PUBSUB SHARDNUMSUB / SHARDCHANNELS on A.
- unsubscribing (explicitly, or by closing the connection) removes the subscription on
  every node.
- a subscriber's node killed (kill -9): its subscriptions vanish cluster-wide once its lease
  expires (--pubsub-lease-ttl 3; polled with a deadline); a node frozen (SIGSTOP) past its
  lease: its subscriptions vanish, and once it runs again it closes its subscribers'
  connections and serves new ones; a node stopped (SIGTERM) revokes its lease at once.
- an etcd member killed (kill -9), each member in turn, during a publish stream on A: B's
  subscriber gets every acknowledged message, in order, with no duplicate (exactly once in
  order across the watch's reconnect, while the node keeps its lease).

No timing assertions: every wait is bounded and polled (a hung test fails, a slow one passes).
"""
import signal
import threading
import time
import unittest

import redis

import cluster
import harness
from harness import wait_for
from pubsub_client import Subscriber, channels, numpat, numsub, wait_value

NODE_ARGS = ["--etcd-timeout-ms", "2000"]
LEASE_TTL_SECONDS = 3  # --pubsub-lease-ttl of the node killed in the lease test


def message(channel, payload):
    return [b"message", channel.encode(), str(payload).encode()]


def pmessage(pattern, channel, payload):
    return [b"pmessage", pattern.encode(), channel.encode(), str(payload).encode()]


class PubSubClusterTest(unittest.TestCase):
    """Three nodes on one 3-member etcd cluster, shared by the tests of this class; each test
    uses its own channel names and closes its subscribers."""

    @classmethod
    def setUpClass(cls):
        cls.etcd = cluster.EtcdCluster()
        try:
            cls.nodes = cluster.start_nodes(cls.etcd, 3, NODE_ARGS)
        except BaseException:
            cls.etcd.close()
            raise
        cls.a, cls.b, cls.c = cls.nodes

    @classmethod
    def tearDownClass(cls):
        for n in cls.nodes:
            n.close()
        cls.etcd.close()

    def subscriber(self, node, resp3=False):
        s = Subscriber(node.port, resp3=resp3)
        self.addCleanup(s.close)
        return s

    def assert_eventually(self, fn, expected, what, timeout=30):
        self.assertEqual(wait_value(fn, expected, timeout=timeout), expected, what)

    def test_fanout_500_messages_in_order_with_cluster_wide_counts(self):
        sb = self.subscriber(self.b)                # channel + pattern, RESP2, on B
        sc = self.subscriber(self.c)                # channel + pattern, RESP2, on C
        sr = self.subscriber(self.c, resp3=True)    # pattern only, RESP3 pushes, on C
        self.assertEqual(sb.subscribe("fan"), [[b"subscribe", b"fan", 1]])
        self.assertEqual(sb.psubscribe("f?n"), [[b"psubscribe", b"f?n", 2]])
        self.assertEqual(sc.subscribe("fan", "fan:other"),
                         [[b"subscribe", b"fan", 1], [b"subscribe", b"fan:other", 2]])
        self.assertEqual(sc.psubscribe("fa*"), [[b"psubscribe", b"fa*", 3]])
        self.assertEqual(sr.psubscribe("fa*"), [[b"psubscribe", b"fa*", 1]])

        a = self.a.client(single_connection_client=True)
        # Asked on A (a replica read: polled until A has applied the subscriptions).
        self.assert_eventually(lambda: numsub(a, "fan"), 2, "NUMSUB fan on A")
        self.assert_eventually(lambda: numsub(a, "fan:other"), 1, "NUMSUB fan:other on A")
        self.assert_eventually(lambda: numpat(a), 2, "NUMPAT on A (unique patterns f?n, fa*)")
        self.assertEqual(channels(a, "fan*"), [b"fan", b"fan:other"])
        self.assertEqual(numsub(a, "nobody"), 0)

        # Receivers of one PUBLISH fan: 2 channel subscriptions + 3 matching patterns.
        counts = [a.publish("fan", i) for i in range(250)]
        pipe = a.pipeline(transaction=False)
        for i in range(250, 500):
            pipe.publish("fan", i)
        counts += pipe.execute()
        self.assertEqual(counts, [5] * 500, "PUBLISH's receiver count, cluster-wide")
        self.assertEqual(a.publish("fan:other", "x"), 3)  # sc's channel + sc's and sr's fa*

        for name, sub, kinds in (("B", sb, ("message", "f?n")), ("C", sc, ("message", "fa*")),
                                 ("C RESP3", sr, ("fa*",))):
            want = len(kinds) * 500
            got = sub.messages(want)
            self.assertEqual(len(got), want, f"subscriber on {name}: {len(got)} of {want}")
            plain = [f for f in got if f[0] == b"message"]
            patterned = [f for f in got if f[0] == b"pmessage"]
            if "message" in kinds:
                self.assertEqual(plain, [message("fan", i) for i in range(500)],
                                 f"subscriber on {name}: channel messages in order, once")
            else:
                self.assertEqual(plain, [], f"subscriber on {name}")
            pattern = kinds[-1]
            self.assertEqual(patterned, [pmessage(pattern, "fan", i) for i in range(500)],
                             f"subscriber on {name}: pattern messages in order, once")
        self.assertEqual(sc.messages(2), [message("fan:other", "x"),
                                          pmessage("fa*", "fan:other", "x")])
        self.assertEqual(sr.messages(1), [pmessage("fa*", "fan:other", "x")])
        self.assertEqual(sr.kinds, {">"}, "RESP3: confirmations and messages are pushes")
        self.assertEqual(sb.kinds, {"*"}, "RESP2: arrays")

    def test_publish_count_from_every_node(self):
        s = self.subscriber(self.b)
        s.subscribe("everywhere")
        for node in self.nodes:
            c = node.client()
            self.assert_eventually(lambda: numsub(c, "everywhere"), 1,
                                   f"NUMSUB on node {node.port}")
            self.assertEqual(c.publish("everywhere", node.port), 1)
        self.assertEqual(s.messages(3), [message("everywhere", n.port) for n in self.nodes])

    def test_publish_racing_pipelined_subscribes_counts_what_it_delivers(self):
        """SUBSCRIBEs sent without waiting for their replies (as Celery's result consumer
        does), PUBLISHes to the same channels at once from another connection (on the same
        node and on another node). Whenever they land, each PUBLISH's count must say whether
        the message is delivered (1: it arrives, 0: it does not), and a channel's message never
        comes before its subscribe confirmation."""
        problems = []
        for rnd in range(10):
            for node in (self.b, self.a):
                s = Subscriber(self.b.port)
                try:
                    c = node.client()
                    chans = [f"race:{rnd}:{node.port}:{i}" for i in range(10)]
                    for ch in chans:
                        s.conn.send("SUBSCRIBE", ch)
                    counts = [c.publish(ch, "x") for ch in chans]
                    # A marker ends the stream: once its subscription is confirmed, its
                    # message is published after every PUBLISH above, so delivered after them.
                    marker = f"race:{rnd}:{node.port}:end"
                    s.conn.send("SUBSCRIBE", marker)
                    frames = []

                    def read_until(frame):
                        while frame not in frames:
                            f = s.next(30)
                            if f is None:
                                raise AssertionError(f"round {rnd}: no {frame} in 30 s after "
                                                     f"{frames}")
                            frames.append(f)
                    read_until([b"subscribe", marker.encode(), 11])
                    c.publish(marker, "end")
                    read_until(message(marker, "end"))
                finally:
                    s.close()
                delivered = [f[1].decode() for f in frames if f[0] == b"message"]
                for ch, n in zip(chans, counts):
                    got = delivered.count(ch)
                    if got != n:
                        problems.append(f"publisher on {node.port}, {ch}: PUBLISH counted {n}, "
                                        f"delivered {got}")
                confirmed = set()
                for f in frames:
                    if f[0] == b"subscribe":
                        confirmed.add(f[1])
                    elif f[0] == b"message" and f[1] not in confirmed:
                        problems.append(f"{f[1].decode()}: message before its subscribe "
                                        "confirmation")
        self.maxDiff = None
        self.assertEqual(problems, [])

    def test_read_your_writes_through_pubsub(self):
        rounds = 1000
        sub = self.subscriber(self.b)
        sub.subscribe("orders")
        reader = self.b.client(single_connection_client=True)  # the second connection to B
        a = self.a.client(single_connection_client=True)
        self.assert_eventually(lambda: numsub(a, "orders"), 1, "NUMSUB orders on A")

        seen, misses, errors = [], [], []

        def consume():
            try:
                while len(seen) < rounds:
                    f = sub.next(60)
                    if f is None:
                        errors.append(f"no message after {len(seen)}")
                        return
                    i = int(f[2])
                    seen.append(i)
                    value = reader.get(f"order:{i}")
                    if value != f"v{i}".encode():
                        misses.append((i, value))
            except Exception as e:  # reported by the assertions below
                errors.append(repr(e))

        t = threading.Thread(target=consume, daemon=True)
        t.start()
        counts = []
        for i in range(rounds):
            a.set(f"order:{i}", f"v{i}")
            counts.append(a.publish("orders", i))
        t.join(timeout=300)
        self.assertFalse(t.is_alive(), "the subscriber on B is still reading after 300 s")
        self.assertEqual(errors, [])
        self.assertEqual(counts, [1] * rounds)
        self.assertEqual(seen, list(range(rounds)), "messages on B in order, once")
        self.assertEqual(misses, [], "GET on B after the message: value not visible")

    def test_unsubscribe_and_disconnect_remove_subscriptions_everywhere(self):
        s1 = self.subscriber(self.b)
        s2 = Subscriber(self.c.port)
        s1.subscribe("leave:a", "leave:b")
        s1.psubscribe("leave:*")
        s2.subscribe("leave:a")
        a = self.a.client()
        self.assert_eventually(lambda: numsub(a, "leave:a"), 2, "NUMSUB leave:a on A")
        self.assertEqual(s1.command("UNSUBSCRIBE", "leave:a"), [[b"unsubscribe", b"leave:a", 2]])
        self.assert_eventually(lambda: numsub(a, "leave:a"), 1, "NUMSUB after UNSUBSCRIBE")
        self.assertEqual(a.publish("leave:a", "m"), 2)  # s2's channel + s1's pattern
        self.assertEqual(s1.messages(1), [pmessage("leave:*", "leave:a", "m")])
        self.assertEqual(s2.messages(1), [message("leave:a", "m")])
        s2.close()  # a closed connection's subscriptions go too
        self.assert_eventually(lambda: numsub(a, "leave:a"), 0, "NUMSUB after disconnect")
        self.assertEqual(s1.command("PUNSUBSCRIBE", frames=1),
                         [[b"punsubscribe", b"leave:*", 1]])
        self.assertEqual(s1.command("UNSUBSCRIBE", frames=1),
                         [[b"unsubscribe", b"leave:b", 0]])
        self.assert_eventually(lambda: numsub(a, "leave:b"), 0, "NUMSUB leave:b at the end")
        self.assertEqual(a.publish("leave:b", "gone"), 0)
        self.assertEqual(channels(a, "leave:*"), [])
        # Out of subscribed mode: the connection takes ordinary commands again.
        self.assertEqual(s1.command("PING", frames=1), [b"PONG"])

    def set_notify(self, value):
        for node in self.nodes:
            node.client().config_set("notify-keyspace-events", value)

    def test_keyspace_notifications_of_writes_on_another_node(self):
        self.set_notify("KEA")
        self.addCleanup(self.set_notify, "")
        s = self.subscriber(self.b)
        s.psubscribe("__key*@0__:ks:*")  # only this test's keys
        a = self.a.client()
        a.set("ks:k", "v")
        a.incr("ks:n")
        a.delete("ks:k")
        pipe = a.pipeline(transaction=True)  # MULTI/EXEC: its events in command order
        pipe.set("ks:m", "1")
        pipe.lpush("ks:l", "a")
        pipe.execute()
        with self.assertRaises(redis.ResponseError):
            a.lpush("ks:n", "x")  # WRONGTYPE: no write, no event
        a.set("ks:e", "v", px=300)

        def ev(key, event):
            return [pmessage("__key*@0__:ks:*", f"__keyspace@0__:{key}", event)]
        want = (ev("ks:k", "set") + ev("ks:n", "incrby") + ev("ks:k", "del") +
                ev("ks:m", "set") + ev("ks:l", "lpush") + ev("ks:e", "set") +
                ev("ks:e", "expire") + ev("ks:e", "expired"))
        # __keyevent@0__:<event> channels carry the key as payload; the pattern above only
        # matches keyspace channels of ks:* keys, so only those are expected here.
        self.assertEqual(s.messages(len(want)), want)

        e = self.subscriber(self.c)
        e.psubscribe("__keyevent@0__:*")
        a.set("ks:x", "1")
        self.assertEqual(e.messages(1), [pmessage("__keyevent@0__:*", "__keyevent@0__:set",
                                                  "ks:x")])

    def test_shard_channels_across_nodes(self):
        s = self.subscriber(self.b)
        self.assertEqual(s.command("SSUBSCRIBE", "shard:1", "shard:2"),
                         [[b"ssubscribe", b"shard:1", 1], [b"ssubscribe", b"shard:2", 2]])
        a = self.a.client()
        self.assert_eventually(lambda: a.execute_command("PUBSUB", "SHARDNUMSUB", "shard:1",
                                                         "none"),
                               [b"shard:1", 1, b"none", 0], "SHARDNUMSUB on A")
        self.assert_eventually(
            lambda: sorted(a.execute_command("PUBSUB", "SHARDCHANNELS", "shard:*")),
            [b"shard:1", b"shard:2"], "SHARDCHANNELS on A")
        self.assertEqual(a.execute_command("SPUBLISH", "shard:1", "hi"), 1)
        self.assertEqual(a.execute_command("SPUBLISH", "shard:3", "nobody"), 0)
        self.assertEqual(s.messages(1), [[b"smessage", b"shard:1", b"hi"]])
        # A plain PUBLISH to the same name does not reach a shard subscriber.
        self.assertEqual(a.publish("shard:1", "plain"), 0)
        frames = s.command("SUNSUBSCRIBE", frames=2)  # one per channel, in no set order
        self.assertEqual([(f[0], f[2]) for f in frames], [(b"sunsubscribe", 1),
                                                          (b"sunsubscribe", 0)])
        self.assertEqual(sorted(f[1] for f in frames), [b"shard:1", b"shard:2"])
        self.assert_eventually(lambda: a.execute_command("PUBSUB", "SHARDCHANNELS", "shard:*"),
                               [], "SHARDCHANNELS on A after SUNSUBSCRIBE")

    def test_killed_subscriber_node_subscriptions_expire_with_its_lease(self):
        d = harness.Node(self.etcd, extra_args=NODE_ARGS + [
            "--pubsub-lease-ttl", str(LEASE_TTL_SECONDS)])
        self.addCleanup(d.close)
        s = Subscriber(d.port)
        s.subscribe("doomed")
        s.psubscribe("doomed:*")
        a = self.a.client()
        self.assert_eventually(lambda: numsub(a, "doomed"), 1, "NUMSUB doomed on A")
        self.assertEqual(a.publish("doomed", "before"), 1)
        self.assertEqual(s.messages(1), [message("doomed", "before")])
        d.kill()  # kill -9: nothing deletes its keys but the lease's expiry
        s.close()
        # The lease outlives the process by its TTL (plus etcd's lease checkpointing); bound
        # generously, never asserted as a duration.
        bound = LEASE_TTL_SECONDS + 60
        for node in (self.a, self.b, self.c):
            c = node.client()
            self.assert_eventually(lambda: numsub(c, "doomed"), 0,
                                   f"NUMSUB doomed on {node.port} after the kill", bound)
            self.assert_eventually(lambda: channels(c, "doomed*"), [],
                                   f"PUBSUB CHANNELS on {node.port}", bound)
            self.assert_eventually(lambda: c.publish("doomed:x", "after"), 0,
                                   f"PUBLISH to the dead node's pattern on {node.port}", bound)


    def test_frozen_node_past_its_lease_disconnects_its_subscribers(self):
        d = harness.Node(self.etcd, extra_args=NODE_ARGS + [
            "--pubsub-lease-ttl", str(LEASE_TTL_SECONDS)])
        self.addCleanup(d.close)
        s = Subscriber(d.port)
        self.addCleanup(s.close)
        s.subscribe("frozen")
        a = self.a.client()
        self.assert_eventually(lambda: numsub(a, "frozen"), 1, "NUMSUB frozen on A")
        d.proc.send_signal(signal.SIGSTOP)  # no keep-alive: etcd expires the lease
        try:
            self.assert_eventually(lambda: numsub(a, "frozen"), 0,
                                   "NUMSUB on A once the frozen node's lease expired",
                                   LEASE_TTL_SECONDS + 60)
            self.assertEqual(a.publish("frozen", "lost"), 0)
        finally:
            d.proc.send_signal(signal.SIGCONT)
        # Its subscriptions exist nowhere now: the node closes the connection (a client then
        # reconnects and subscribes again) rather than keep a subscriber that gets nothing.
        # Anything read before the close must not be a message published after the expiry.
        frames = []
        try:
            while True:
                f = s.next(LEASE_TTL_SECONDS + 60)
                self.assertIsNotNone(f, "the subscriber's connection is still open")
                frames.append(f)
        except ConnectionError:
            pass
        self.assertNotIn(message("frozen", "lost"), frames)
        # The node serves new subscribers under its new lease.
        s2 = self.subscriber(d)
        s2.subscribe("frozen")
        self.assert_eventually(lambda: numsub(a, "frozen"), 1, "NUMSUB after resubscribing")
        self.assertEqual(a.publish("frozen", "again"), 1)
        self.assertEqual(s2.messages(1), [message("frozen", "again")])

    def test_stopped_node_revokes_its_subscriptions(self):
        # A lease far longer than the wait below: only the shutdown's revoke removes the
        # subscription in time.
        d = harness.Node(self.etcd, extra_args=NODE_ARGS + ["--pubsub-lease-ttl", "300"])
        self.addCleanup(d.close)
        s = Subscriber(d.port)
        self.addCleanup(s.close)
        s.subscribe("leaving")
        a = self.a.client()
        self.assert_eventually(lambda: numsub(a, "leaving"), 1, "NUMSUB leaving on A")
        d.kill(signal.SIGTERM)  # a clean shutdown revokes the lease
        self.assert_eventually(lambda: numsub(a, "leaving"), 0,
                               "NUMSUB on A after the node stopped (lease TTL 300 s)", 60)


class PubSubEtcdMemberKillTest(unittest.TestCase):
    """Nodes A and B on a 3-member etcd cluster; each member is killed (kill -9) and restarted
    in turn while A publishes a numbered stream that B's subscriber reads."""

    def setUp(self):
        self.etcd = cluster.EtcdCluster()
        self.addCleanup(self.etcd.close)
        self.a, self.b = cluster.start_nodes(self.etcd, 2, NODE_ARGS)
        self.addCleanup(self.a.close)
        self.addCleanup(self.b.close)

    def test_acknowledged_messages_delivered_once_in_order_across_member_kills(self):
        sub = Subscriber(self.b.port)
        self.addCleanup(sub.close)
        sub.subscribe("stream")
        local = Subscriber(self.a.port)  # the publisher's own node too
        self.addCleanup(local.close)
        local.subscribe("stream")
        wait_for(lambda: numsub(self.a.client(), "stream") == 2, timeout=30,
                 what="both subscriptions visible on A")

        received = {"B": [], "A": []}
        failures = []

        def consume(name, s):
            try:
                while True:
                    f = s.next(120)
                    if f is None:
                        failures.append(f"{name}: nothing for 120 s after {len(received[name])}")
                        return
                    if f[2] == b"end":
                        return
                    received[name].append(int(f[2]))
            except Exception as e:
                failures.append(f"{name}: {e!r}")

        threads = [threading.Thread(target=consume, args=(n, s), daemon=True)
                   for n, s in (("B", sub), ("A", local))]
        for t in threads:
            t.start()

        acked, failed = [], []
        pub = self.a.client(socket_timeout=30)
        seq = 0

        def publish(n):
            nonlocal seq
            for _ in range(n):
                try:
                    count = pub.publish("stream", seq)
                    acked.append(seq)
                    if count != 2:
                        failures.append(f"PUBLISH {seq} counted {count} receivers, not 2")
                except (redis.ResponseError, redis.ConnectionError, redis.TimeoutError) as e:
                    failed.append((seq, str(e)))
                seq += 1

        publish(100)
        for m in list(self.etcd.members):
            m.kill()          # kill -9 mid-stream
            publish(150)      # the stream goes on with two members
            m.start(wait=True)
            wait_for(lambda: self.etcd.healthy(), timeout=30, what="etcd healthy again")
            publish(50)
        # The end marker, retried until acknowledged (every member is back).
        wait_for(lambda: pub.publish("stream", "end") >= 0, timeout=60, what="end published")
        for t in threads:
            t.join(timeout=180)
        self.assertFalse(any(t.is_alive() for t in threads), "a subscriber still reading")
        self.assertEqual(failures, [])
        self.assertGreater(len(acked), 0)
        for name, got in received.items():
            self.assertEqual(len(got), len(set(got)),
                             f"{name}: duplicates {sorted(x for x in set(got) if got.count(x) > 1)[:10]}")
            self.assertEqual(got, sorted(got), f"{name}: out of order")
            missing = sorted(set(acked) - set(got))
            self.assertEqual(missing, [], f"{name}: acknowledged messages never delivered "
                             f"({len(failed)} PUBLISHes failed: {failed[:3]})")
            # Anything delivered beyond the acked ones was a PUBLISH whose reply was an error
            # after it committed (in doubt), never a message nobody sent.
            self.assertTrue(set(got) <= set(acked) | {s for s, _ in failed})


if __name__ == "__main__":
    unittest.main()
