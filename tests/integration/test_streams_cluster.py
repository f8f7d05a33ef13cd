"""Streams across nodes (issue 15): two PetaCore nodes A and B on one etcd.

- XREAD BLOCK on A (`$`, several keys) is woken by an XADD committed on B, and gets the
  entries after what `$` meant when it blocked; XREADGROUP BLOCK on A is woken the same way.
- Consumer groups shared across nodes: workers on A and B read one group with XREADGROUP `>`
  concurrently while producers on A and B add entries; every entry is delivered exactly once
  and acked, and the group's PEL ends empty (the commit of a delivery compares the stream's
  meta key, so two nodes never hand out the same entry).
- The PEL is shared: entries delivered on A are seen by XPENDING on B and claimed there with
  XAUTOCLAIM / XCLAIM.
- A blocked client that disconnects is unregistered at once (INFO blocked_clients).
- Concurrent XAUTOCLAIMs on A and B (min-idle one minute, entries made idle with XCLAIM
  TIME 1) each claim every stale entry exactly once: a claim compares the PEL entry it
  rewrites, so the other node's claim of the same entry conflicts and re-runs.
- Under PETACORE READCONSISTENCY linearizable, XREAD / XRANGE on B see an XADD acknowledged
  on A at once (XREAD runs as a blocking job, and is fenced like the read path).
- A stream longer than etcd's --max-txn-ops (10,000 here) is trimmed in one command: the
  trim is one DeleteRange, not one delete per entry.
- Many workers blocked on one group, all woken by each XADD: the losers of each race park
  again; their conflict count restarts when they park, so a long wait never ends in "too many
  concurrent changes" (max-commit-retries lowered to 1 to make it likely).
- A worker's node killed with -9 mid-stream loses nothing: its delivered, unacked entries stay
  in the replicated PEL and a worker on another node takes them with XAUTOCLAIM.

No timing assertions: every wait is bounded and polled.
"""
import threading
import time
import unittest

from differential import ReplicatedTestCase, raw_client
from harness import Node, wait_for
from resp_wire import WireConn


def entries_of(reply):
    """[(stream, id)] of an XREAD / XREADGROUP reply (redis-py, RESP2)."""
    out = []
    for stream, entries in reply or []:
        for entry_id, _fields in entries:
            out.append((stream, entry_id))
    return out


class StreamsAcrossNodes(ReplicatedTestCase):
    def setUp(self):
        self.flush_replicated()

    def test_xread_block_woken_from_other_node(self):
        a, b = self.a.client(), self.b.client()
        b.xadd("s", {"f": "old"}, id="1-1")
        wait_for(lambda: a.xlen("s") == 1, what="s replicated")
        waiter = WireConn(self.a.port)
        try:
            waiter.send("XREAD", "BLOCK", "0", "STREAMS", "s", "t", "$", "$")
            wait_for(lambda: a.info("clients")["blocked_clients"] == 1, what="parked on A")
            b.xadd("t", {"f": "new"}, id="2-1")
            got = waiter.read_value(time.monotonic() + 30)
            self.assertEqual(got, b"*1\r\n*2\r\n$1\r\nt\r\n*1\r\n*2\r\n$3\r\n2-1\r\n*2\r\n"
                                  b"$1\r\nf\r\n$3\r\nnew\r\n")
            # A group reader parked on A, woken by B's XADD.
            b.xgroup_create("s", "g", id="$")
            wait_for(lambda: len(a.xinfo_groups("s")) == 1, what="group replicated")
            waiter.send("XREADGROUP", "GROUP", "g", "w", "BLOCK", "0", "STREAMS", "s", ">")
            wait_for(lambda: a.info("clients")["blocked_clients"] == 1, what="parked on A")
            b.xadd("s", {"f": "g1"}, id="3-1")
            got = waiter.read_value(time.monotonic() + 30)
            self.assertEqual(got, b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n3-1\r\n*2\r\n"
                                  b"$1\r\nf\r\n$2\r\ng1\r\n")
            wait_for(lambda: b.xpending("s", "g")["pending"] == 1, what="PEL on B")
        finally:
            waiter.close()

    def test_disconnected_waiter_is_unregistered(self):
        a = self.a.client()
        waiter = WireConn(self.a.port)
        waiter.send("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
        wait_for(lambda: a.info("clients")["blocked_clients"] == 1, what="parked")
        waiter.close()
        wait_for(lambda: a.info("clients")["blocked_clients"] == 0, what="unregistered")

    def test_group_delivers_each_entry_once_across_nodes(self):
        total = 10000
        a, b = self.a.client(), self.b.client()
        a.xgroup_create("s", "g", id="0", mkstream=True)
        wait_for(lambda: len(b.xinfo_groups("s")) == 1, what="group replicated")
        delivered = {"A": [], "B": []}
        errors = []
        done = threading.Event()

        def produce(node, first):
            try:
                c = node.client()
                for i in range(first, total, 2):
                    c.xadd("s", {"n": str(i)})
            except Exception as e:  # noqa: BLE001 - reported by the test
                errors.append(e)

        def work(name, node):
            try:
                c = node.client()
                idle_rounds = 0
                while idle_rounds < 3:
                    reply = c.xreadgroup("g", f"w{name}", {"s": ">"}, count=7, block=500)
                    got = entries_of(reply)
                    if not got:
                        if done.is_set():
                            idle_rounds += 1
                        continue
                    idle_rounds = 0
                    ids = [entry_id for _s, entry_id in got]
                    delivered[name].extend(ids)
                    self.assertEqual(c.xack("s", "g", *ids), len(ids))
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        workers = [threading.Thread(target=work, args=("A", self.a)),
                   threading.Thread(target=work, args=("B", self.b))]
        producers = [threading.Thread(target=produce, args=(self.a, 0)),
                     threading.Thread(target=produce, args=(self.b, 1))]
        for t in workers + producers:
            t.start()
        for t in producers:
            t.join(timeout=300)
        done.set()
        for t in workers:
            t.join(timeout=300)
        self.assertFalse(any(t.is_alive() for t in workers + producers), "threads hung")
        self.assertEqual(errors, [])
        every = delivered["A"] + delivered["B"]
        self.assertEqual(len(every), len(set(every)), "an entry was delivered twice")
        self.assertEqual(len(every), total)
        self.assertGreater(len(delivered["A"]), 0)
        self.assertGreater(len(delivered["B"]), 0)
        self.assertEqual(set(every), {e[0] for e in a.xrange("s")})
        wait_for(lambda: b.xpending("s", "g")["pending"] == 0, what="PEL empty on B")
        wait_for(lambda: a.xinfo_groups("s")[0]["lag"] == 0, what="no lag on A")

    def test_pel_shared_and_claimed_across_nodes(self):
        a, b = self.a.client(), self.b.client()
        for i in range(1, 6):
            a.xadd("s", {"n": str(i)}, id=f"{i}-1")
        a.xgroup_create("s", "g", id="0")
        reply = a.xreadgroup("g", "dead", {"s": ">"}, count=5)
        self.assertEqual(len(entries_of(reply)), 5)
        wait_for(lambda: b.xpending("s", "g")["pending"] == 5, what="PEL on B")
        # B claims what A's consumer left pending (as after A's worker died).
        claimed = b.xautoclaim("s", "g", "alive", 0, "0-0", count=3, justid=True)
        ids = claimed[1] if isinstance(claimed[1], list) else claimed  # redis-py's JUSTID shape
        self.assertEqual(ids, [b"1-1", b"2-1", b"3-1"])
        self.assertEqual(b.xclaim("s", "g", "alive", 0, ["4-1", "5-1"], justid=True),
                         [b"4-1", b"5-1"])
        wait_for(lambda: a.xpending("s", "g")["consumers"] ==
                 [{"name": b"alive", "pending": 5}], what="claims seen on A")
        self.assertEqual(a.xack("s", "g", "1-1", "2-1", "3-1", "4-1", "5-1"), 5)
        wait_for(lambda: b.xpending("s", "g")["pending"] == 0, what="acks seen on B")


    def test_killed_workers_entries_are_claimed_elsewhere(self):
        a = self.a.client()
        total = 200
        for i in range(total):
            a.xadd("s", {"n": str(i)})
        a.xgroup_create("s", "g", id="0")
        c_node = Node(self.etcd)
        try:
            c = c_node.client()
            wait_for(lambda: len(c.xinfo_groups("s")) == 1, what="group on C")
            taken = entries_of(c.xreadgroup("g", "doomed", {"s": ">"}, count=50))
            self.assertEqual(len(taken), 50)
            self.assertEqual(c.xack("s", "g", *[i for _s, i in taken[:20]]), 20)
        finally:
            c_node.kill()  # SIGKILL, nothing acked after this
            c_node.close()
        b = self.b.client()
        acked = set()
        # The survivor: first what the dead worker left pending, then the rest.
        wait_for(lambda: b.xpending("s", "g")["pending"] == 30, what="C's PEL on B")
        cursor = "0-0"
        while True:
            reply = b.xautoclaim("s", "g", "survivor", 0, cursor, count=7)
            cursor = reply[0]
            ids = [entry_id for entry_id, _fields in reply[1]]
            if ids:
                self.assertEqual(b.xack("s", "g", *ids), len(ids))
                acked.update(ids)
            if cursor in (b"0-0", "0-0"):
                break
        self.assertEqual(len(acked), 30)
        while True:
            got = entries_of(b.xreadgroup("g", "survivor", {"s": ">"}, count=40))
            if not got:
                break
            ids = [i for _s, i in got]
            self.assertEqual(b.xack("s", "g", *ids), len(ids))
            acked.update(ids)
        everything = {e[0] for e in b.xrange("s")}
        self.assertEqual(acked | {i for _s, i in taken[:20]}, everything)
        self.assertEqual(b.xpending("s", "g")["pending"], 0)


    def test_concurrent_autoclaims_take_each_entry_once(self):
        a = self.a.client()
        total = 400
        for i in range(1, total + 1):
            a.xadd("s", {"n": str(i)}, id=f"{i}-1")
        a.xgroup_create("s", "g", id="0")
        ids = [i for _s, i in entries_of(a.xreadgroup("g", "dead", {"s": ">"}))]
        self.assertEqual(len(ids), total)
        for k in range(0, total, 100):  # idle since 1970
            a.xclaim("s", "g", "dead", 0, ids[k:k + 100], idle=None, time=1, justid=True)
        wait_for(lambda: self.b.client().xpending_range("s", "g", "-", "+", 1)[0]
                 ["time_since_delivered"] > 60000, what="stale PEL on B")
        claimed = {"A": [], "B": []}
        errors = []

        def claimer(name, node):
            try:
                c = raw_client(node.port)  # redis-py drops XAUTOCLAIM's cursor with JUSTID
                cursor = b"0-0"
                while True:
                    cursor, got, _deleted = c.execute_command(
                        "XAUTOCLAIM", "s", "g", f"w{name}", 60000, cursor, "COUNT", 5, "JUSTID")
                    claimed[name].extend(got)
                    if cursor == b"0-0":
                        break
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        threads = [threading.Thread(target=claimer, args=("A", self.a)),
                   threading.Thread(target=claimer, args=("B", self.b))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        self.assertFalse(any(t.is_alive() for t in threads), "claimers hung")
        self.assertEqual(errors, [])
        both = claimed["A"] + claimed["B"]
        self.assertEqual(len(both), len(set(both)), "an entry was claimed twice")
        self.assertEqual(sorted(both), sorted(ids))
        summary = a.xpending("s", "g")
        self.assertEqual(summary["pending"], total)
        self.assertNotIn(b"dead", [c["name"] for c in summary["consumers"]])


    def test_trim_beyond_txn_op_limit(self):
        a, b = self.a.client(), self.b.client()
        total = 12000
        for first in range(0, total, 2000):
            pipe = a.pipeline(transaction=False)
            for i in range(first, first + 2000):
                pipe.xadd("s", {"n": str(i)}, id=f"{i + 1}-1")
            pipe.execute()
        self.assertEqual(a.xlen("s"), total)
        # `~` removes at most its default LIMIT (10,000); `=` removes the rest at once.
        self.assertEqual(a.xtrim("s", maxlen=10, approximate=True), 10000)
        a.xadd("s", {"n": "more"}, id=f"{total + 1}-1", maxlen=10000, approximate=False)
        for first in range(total + 2, total + 10002, 2000):
            pipe = a.pipeline(transaction=False)
            for i in range(first, first + 2000):
                pipe.xadd("s", {"n": str(i)}, id=f"{i}-1")
            pipe.execute()
        self.assertEqual(a.xlen("s"), 12001)
        total += 10001
        self.assertEqual(a.xtrim("s", maxlen=10, approximate=False), 12001 - 10)
        wait_for(lambda: b.xlen("s") == 10, what="trim replicated")
        self.assertEqual([e[0] for e in b.xrange("s", count=1)], [f"{total - 9}-1".encode()])


    def test_blocked_group_readers_losing_races_keep_waiting(self):
        a, b = self.a.client(), self.b.client()
        a.xgroup_create("s", "g", id="$", mkstream=True)
        wait_for(lambda: len(b.xinfo_groups("s")) == 1, what="group on B")
        for node in (self.a, self.b):
            node.client().config_set("max-commit-retries", 1)
        waiters = [WireConn(node.port) for node in (self.a, self.b) for _ in range(4)]
        try:
            for i, w in enumerate(waiters):
                w.send("XREADGROUP", "GROUP", "g", f"w{i}", "BLOCK", "0", "STREAMS", "s", ">")
            wait_for(lambda: a.info("clients")["blocked_clients"] == 4 and
                     b.info("clients")["blocked_clients"] == 4, what="all parked")
            replies = []
            pending = list(waiters)
            n = 0
            while pending and n < 40:
                n += 1
                a.xadd("s", {"n": str(n)}, id=f"{n}-1")
                deadline = time.monotonic() + 0.5
                for w in list(pending):
                    got = w.read_value(deadline)
                    if got is not None:
                        replies.append(got)
                        pending.remove(w)
            for w in pending:  # the rest: one entry each
                n += 1
                a.xadd("s", {"n": str(n)}, id=f"{n}-1")
            for w in pending:
                replies.append(w.read_value(time.monotonic() + 30))
            self.assertTrue(all(r is not None and r.startswith(b"*1\r\n") for r in replies),
                            replies)
        finally:
            for w in waiters:
                w.close()
            for node in (self.a, self.b):
                node.client().config_set("max-commit-retries", 100)


    def test_linearizable_xread_sees_an_xadd_acked_on_the_other_node(self):
        a, b = self.a.client(), self.b.client()
        self.assertTrue(b.execute_command("PETACORE", "READCONSISTENCY", "linearizable"))
        for i in range(1, 201):
            entry_id = a.xadd("s", {"n": str(i)}, id=f"{i}-1")
            got = b.xread({"s": f"{i - 1}-1"})
            self.assertEqual(entries_of(got), [(b"s", entry_id)], f"round {i}")
            self.assertEqual(b.xrevrange("s", count=1)[0][0], entry_id, f"round {i}")


if __name__ == "__main__":
    unittest.main()
