"""The replication, cluster and module commands PetaCore has no feature behind, and the
argument checks of WAIT, ROLE and SHUTDOWN, against a real redis-server 7.0.15 started without
cluster mode and without replicas (issue 16; docs/consistency.md "WAIT" and "ROLE").

Replies are compared as raw RESP bytes (resp_wire.WireConn). The documented differences
(REPLICAOF host port, PSYNC, SYNC, ROLE's offset, WAIT in standalone mode) are checked on
PetaCore alone. Nothing here may stop either server: SHUTDOWN is only sent with arguments
that fail.
"""
import unittest

from differential import RawAgainstRedisTestCase
from resp_wire import WireConn

NAMES = ["wait", "role", "shutdown", "replicaof", "slaveof", "psync", "sync", "replconf",
         "failover", "readonly", "readwrite", "asking", "cluster", "module"]


class StubsAgainstRedis(RawAgainstRedisTestCase):

    def test_command_info(self):
        def with_sorted_subcommands(tree):
            kind, entries = tree
            for _, entry in entries:
                entry[9] = (entry[9][0], sorted(entry[9][1], key=repr))
            return tree
        for name in NAMES:
            (_, got), (_, want) = self.both_trees("COMMAND", "INFO", name)
            # Redis lists subcommands in its dict's order: compared as a set.
            self.assertEqual(with_sorted_subcommands(got), with_sorted_subcommands(want), name)
        _, (_, listed) = self.pc.call("COMMAND", "LIST")
        self.assertTrue({n.encode() for n in NAMES} <= {v for _, v in listed})

    def test_replicaof(self):
        for cmd in ("REPLICAOF", "SLAVEOF", "replicaof"):
            self.same(cmd, "NO", "ONE")
            self.same(cmd, "no", "one")
            self.same(cmd, "no", "two")
            self.same(cmd, "127.0.0.1", "abc")
            self.same(cmd, "127.0.0.1", "70000")
            self.same(cmd, "127.0.0.1", "-1")
            self.same(cmd, "127.0.0.1")
        # A master address: PetaCore's own error (nodes follow etcd), never +OK.
        got, _ = self.pc.call("REPLICAOF", "127.0.0.1", "6379")
        self.assertTrue(got.startswith(b"-ERR PetaCore nodes replicate through etcd"), got)

    def test_replconf(self):
        for args in (["REPLCONF"], ["REPLCONF", "listening-port", "6380"],
                     ["REPLCONF", "listening-port", "x"], ["REPLCONF", "capa", "eof"],
                     ["REPLCONF", "capa", "psync2", "capa", "whatever"],
                     ["REPLCONF", "ip-address", "10.0.0.1"],
                     ["REPLCONF", "ip-address", "a" * 255], ["REPLCONF", "ip-address", "a" * 256],
                     ["REPLCONF", "rdb-only", "1"], ["REPLCONF", "rdb-only", "2"],
                     ["REPLCONF", "rdb-only", "x"], ["REPLCONF", "rdb-filter-only", "functions"],
                     ["REPLCONF", "rdb-filter-only", "keys"], ["REPLCONF", "foo", "bar"],
                     ["REPLCONF", "listening-port"], ["REPLCONF", "capa", "eof", "foo", "x"]):
            self.same(*args)

    def test_replconf_ack_answers_nothing(self):
        # As Redis for a client that is not a replica: no reply at all, so the next command's
        # reply is the next thing on the wire.
        for conn in (self.pc, self.rr):
            conn.send("REPLCONF", "ACK", "5")
            conn.send("REPLCONF", "GETACK", "*")
            self.assertEqual(conn.call("PING")[0], b"+PONG\r\n")

    def test_failover(self):
        for args in (["FAILOVER"], ["FAILOVER", "ABORT"], ["failover", "abort"],
                     ["FAILOVER", "TO", "127.0.0.1", "1"], ["FAILOVER", "TO", "127.0.0.1", "x"],
                     ["FAILOVER", "TIMEOUT", "10"], ["FAILOVER", "TIMEOUT", "0"],
                     ["FAILOVER", "TIMEOUT", "x"], ["FAILOVER", "FORCE"],
                     ["FAILOVER", "FORCE", "FORCE"], ["FAILOVER", "TO", "h"],
                     ["FAILOVER", "ABORT", "FORCE"], ["FAILOVER", "bogus"]):
            self.same(*args)

    def test_cluster_mode_commands(self):
        for cmd in ("READONLY", "READWRITE", "ASKING", "readonly"):
            self.same(cmd)
            self.same(cmd, "extra")  # arity
        self.same("CLUSTER")
        self.same("CLUSTER", "foo")
        self.same("CLUSTER", "HELP")
        # Every subcommand Redis lists, with as many arguments as its arity asks, and one
        # too few.
        _, tree = self.rr.call("COMMAND", "INFO", "cluster")
        subs = tree[1][0][1][9][1]  # the one entry's 10th field: its subcommands
        self.assertGreater(len(subs), 20)
        for _, sub in subs:
            name = sub[0][1].split(b"|")[1]
            arity = int(sub[1][1])
            need = arity - 2 if arity > 0 else -arity - 2
            self.same("CLUSTER", name, *(["1"] * need))
            if need > 0:
                self.same("CLUSTER", name, *(["1"] * (need - 1)))

    def test_module(self):
        for args in (["MODULE", "LIST"], ["MODULE", "HELP"], ["module", "help"],
                     ["MODULE", "LOAD", "/nonexistent.so"], ["MODULE", "LOAD", "/x.so", "a", "b"],
                     ["MODULE", "LOADEX", "/x.so", "CONFIG", "a", "b"],
                     ["MODULE", "UNLOAD", "foo"], ["MODULE", "foo"], ["MODULE"],
                     ["MODULE", "LIST", "extra"], ["MODULE", "UNLOAD"]):
            self.same(*args)

    def test_shutdown_errors(self):
        for args in (["SHUTDOWN", "ABORT"], ["shutdown", "abort"], ["SHUTDOWN", "foo"],
                     ["SHUTDOWN", "SAVE", "NOSAVE"], ["SHUTDOWN", "ABORT", "NOW"],
                     ["SHUTDOWN", "NOSAVE", "ABORT"], ["SHUTDOWN", "NOW", "foo"]):
            self.same(*args)

    def test_no_multi(self):
        # SHUTDOWN, PSYNC and SYNC are no-multi: refused when queued, and EXEC aborts.
        for cmd in (["SHUTDOWN"], ["SYNC"], ["PSYNC", "?", "-1"]):
            self.same("MULTI")
            self.same(*cmd)
            self.same("EXEC")

    def test_wait_arguments(self):
        for args in (["WAIT", "a", "0"], ["WAIT", "1", "-1"], ["WAIT", "1", "x"],
                     ["WAIT", "1", "1.5"], ["WAIT", "0", "0"], ["WAIT", "-5", "0"],
                     ["WAIT", "0", "100"], ["WAIT", "1"]):
            self.same(*args)

    def test_wait_in_multi(self):
        self.same("MULTI")
        self.same("WAIT", "0", "0")
        self.same("WAIT", "3", "0")  # in MULTI: the count at once, as Redis
        self.same("EXEC")

    def test_wait_standalone_answers_at_once(self):
        # Documented difference: with no replicas, Redis blocks until the timeout; PetaCore's
        # standalone node answers 0 at once (it never has replicas).
        # A WAIT that blocked (timeout 0 = forever) would fail on the connection's read
        # timeout: no clock is asserted.
        self.pc.call("SET", "k", "v")
        self.assertEqual(self.pc.call("WAIT", "1", "0")[0], b":0\r\n")

    def test_role_standalone(self):
        # Redis's shape: ["master", offset, []]; the offset is PetaCore's applied revision.
        _, (kind, items) = self.pc.call("ROLE")
        _, (want_kind, want_items) = self.rr.call("ROLE")
        self.assertEqual(kind, want_kind)
        self.assertEqual(items[0], (b"$", b"master"))
        self.assertEqual(items[1][0], b":")
        self.assertEqual([items[0], items[2]], [want_items[0], want_items[2]])
        self.same("ROLE", "extra")

    def test_info_replication(self):
        got, _ = self.pc.call("INFO", "replication")
        text = self.pc.call("INFO", "replication")[1][1].decode()
        want = self.rr.call("INFO", "replication")[1][1].decode()
        fields = lambda t: [line.split(":")[0] for line in t.split("\r\n") if ":" in line]
        self.assertEqual(fields(text), fields(want))
        self.assertIn("role:master\r\nconnected_slaves:0\r\n", text)
        self.assertTrue(got.startswith(b"$"), got)

    def test_psync_sync(self):
        # Documented difference: no replication stream; an error instead of +FULLRESYNC.
        got, _ = self.pc.call("PSYNC", "?", "-1")
        self.assertTrue(got.startswith(b"-ERR PSYNC is not supported"), got)
        got, _ = self.pc.call("SYNC")
        self.assertTrue(got.startswith(b"-ERR SYNC is not supported"), got)
        self.same("PSYNC", "?")  # arity
        self.same("SYNC", "x")


if __name__ == "__main__":
    unittest.main()
