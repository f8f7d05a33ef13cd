"""ACL channel permissions (issue 13), black-box: "&pattern" rules, allchannels,
resetchannels and acl-pubsub-default in ACL SETUSER / GETUSER / LIST / DRYRUN, PUBLISH /
SUBSCRIBE / PSUBSCRIBE refused or admitted with Redis's exact replies, EXEC's re-check, ACL
LOG entries — differential against Debian's redis-server 7.0.15 — and, on two PetaCore nodes
on one etcd, a subscriber on node B disconnected when ACL SETUSER on node A takes its channel
away (Redis 7.0's ACLKillPubsubClientsIfNeeded).

Parts that need the pub/sub commands (PUBLISH, SUBSCRIBE, ...) skip themselves on a build
that does not have them yet.
"""
import socket
import unittest

import redis

from cluster import start_nodes
from differential import AgainstRedisTestCase
from harness import Etcd, wait_for
from test_auth import RespReader, encode, replies

# SETUSER sequences with channel rules whose ACL LIST / GETUSER Redis and PetaCore print alike.
SETUSERS = [
    ["c1", "on", "nopass", "&foo", "&bar*", "+@all", "~*"],
    ["c2", "&a", "&b", "&a", "resetchannels", "&c"],
    ["c3", "&x", "allchannels"],
    ["c4", "allchannels", "resetchannels"],
    ["c5", "on", ">pw", "&news.*", "~k*", "+get"],
    ["c6", "&*"],
    ["c7", "&a?[bc]", "&\\*lit"],
]

BAD_RULES = [["x", "&*", "&a"], ["x", "allchannels", "&a"]]


def exchange(port, commands):
    """Sends `commands` one by one on a fresh connection; returns each exact reply, and
    "closed" for each command once the server closed the connection."""
    out = []
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        reader = RespReader(s)
        for cmd in commands:
            try:
                s.sendall(encode(cmd))
                out.append(reader.reply())
            except (ConnectionError, OSError):
                out.append("closed")
    return out


def has_pubsub(port):
    """Whether the server on `port` has PUBLISH (the pub/sub commands)."""
    return exchange(port, [("COMMAND", "INFO", "publish")])[0] != [None]


def closed_by_server(sock):
    """Waits (bounded by the socket's timeout) for the server to close `sock`; True if it did,
    False if data arrived instead."""
    try:
        data = sock.recv(4096)
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return data == b""


def log_entries(client, *args):
    """ACL LOG as comparable dicts: age-seconds and client-info (times, ids, addresses and
    buffer sizes differ between servers) are dropped, client-info's user= and cmd= kept."""
    out = []
    for entry in client.execute_command("ACL", "LOG", *args):
        fields = dict(zip(entry[0::2], entry[1::2]))
        info = dict(w.split(b"=", 1) for w in fields.pop(b"client-info").split(b" "))
        age = float(fields.pop(b"age-seconds"))
        assert 0 <= age < 600, age
        fields[b"client-user"] = info[b"user"]
        out.append(fields)
    return out


class AclChannelsAgainstRedisTest(AgainstRedisTestCase):
    def setUp(self):
        self.pc = self.node.client()
        self.rr = self.redis.client()
        for c in (self.pc, self.rr):
            c.response_callbacks.clear()
            c.execute_command("CONFIG", "SET", "acl-pubsub-default", "resetchannels")
            c.execute_command("ACL", "LOG", "RESET")

    def tearDown(self):
        for c in (self.pc, self.rr):
            users = [u for u in c.execute_command("ACL", "USERS") if u != b"default"]
            if users:
                c.execute_command("ACL", "DELUSER", *users)
            c.execute_command("CONFIG", "SET", "acl-pubsub-default", "resetchannels")
            c.close()

    def both(self, *args):
        out = []
        for c in (self.pc, self.rr):
            try:
                out.append(c.execute_command(*args))
            except redis.ResponseError as e:
                out.append(("error", str(e)))
        return tuple(out)

    def same(self, *args):
        got, want = self.both(*args)
        self.assertEqual(got, want, f"command {args!r}")
        return got

    def same_exchange(self, commands):
        got = exchange(self.node.port, commands)
        want = exchange(self.redis.port, commands)
        self.assertEqual(got, want)
        return got

    def require_pubsub(self):
        if not has_pubsub(self.node.port):
            self.skipTest("this build has no pub/sub commands yet")

    def test_setuser_getuser_list(self):
        for rules in SETUSERS:
            self.assertEqual(self.same("ACL", "SETUSER", *rules), b"OK")
        for rules in SETUSERS:
            self.same("ACL", "GETUSER", rules[0])
        self.same("ACL", "LIST")
        for rules in BAD_RULES:
            self.assertEqual(self.same("ACL", "SETUSER", *rules)[0], "error")
        # Changing an existing user keeps its channels unless a rule changes them.
        self.same("ACL", "SETUSER", "c1", "&more", "-get")
        self.same("ACL", "GETUSER", "c1")
        self.same("ACL", "SETUSER", "c3", "resetchannels", "&only")
        self.same("ACL", "LIST")

    def test_acl_pubsub_default(self):
        self.same("CONFIG", "GET", "acl-pubsub-default")
        self.same("ACL", "SETUSER", "before", "on")
        for bad in ("bogus", "", "all"):
            self.assertEqual(self.same("CONFIG", "SET", "acl-pubsub-default", bad)[0], "error")
        self.same("CONFIG", "SET", "acl-pubsub-default", "AllChannels")
        self.same("CONFIG", "GET", "acl-pubsub-default")
        # A user created now gets every channel; an existing one keeps its own.
        self.same("ACL", "SETUSER", "after", "on", "+get")
        self.same("ACL", "SETUSER", "before", "+get")
        self.same("ACL", "SETUSER", "after2", "&x")  # "&x" after the implicit allchannels
        self.same("ACL", "LIST")
        # "reset" gives the channels acl-pubsub-default says.
        self.same("ACL", "SETUSER", "before", "reset")
        self.same("ACL", "GETUSER", "before")
        self.same("CONFIG", "SET", "acl-pubsub-default", "resetchannels")
        self.same("ACL", "SETUSER", "after", "reset")
        self.same("ACL", "SETUSER", "fresh")
        self.same("ACL", "LIST")

    def test_dryrun(self):
        self.require_pubsub()
        self.same("ACL", "SETUSER", "dr", "on", "nopass", "+@all", "~*", "&foo", "&bar*")
        for cmd in (["publish", "bar1", "m"], ["publish", "baz", "m"], ["subscribe", "foo"],
                    ["subscribe", "foo", "baz", "qux"], ["psubscribe", "bar*"],
                    ["psubscribe", "bar*", "b*"], ["psubscribe", "bar1"],
                    ["unsubscribe", "nope"], ["punsubscribe", "nope*"]):
            self.same("ACL", "DRYRUN", "dr", *cmd)
        self.same("ACL", "SETUSER", "dr", "allchannels")
        self.same("ACL", "DRYRUN", "dr", "psubscribe", "b*")
        self.same("ACL", "SETUSER", "nc", "on", "nopass", "-@all", "+publish", "+spublish",
                  "+ssubscribe", "&*")
        self.same("ACL", "DRYRUN", "nc", "publish", "any", "m")
        self.same("ACL", "DRYRUN", "nc", "subscribe", "any")
        # A shard channel is no key: a user with no key patterns may use it.
        self.same("ACL", "DRYRUN", "nc", "spublish", "any", "m")
        self.same("ACL", "DRYRUN", "nc", "ssubscribe", "any")
        self.same("ACL", "SETUSER", "nc", "resetchannels", "&s*")
        self.same("ACL", "DRYRUN", "nc", "spublish", "s1", "m")
        self.same("ACL", "DRYRUN", "nc", "spublish", "x1", "m")
        self.same("ACL", "DRYRUN", "nc", "ssubscribe", "s1", "x1")

    def test_publish_subscribe_refused_or_admitted(self):
        self.require_pubsub()
        self.same("ACL", "SETUSER", "ps", "on", ">pw", "+@all", "~*", "&foo", "&bar*")
        self.same_exchange([
            ("AUTH", "ps", "pw"), ("PUBLISH", "baz", "m"), ("PUBLISH", "bar1", "m"),
            ("SUBSCRIBE", "foo", "baz"), ("PSUBSCRIBE", "b*"), ("PSUBSCRIBE", "bar1"),
            ("PSUBSCRIBE", "bar*"), ("SUBSCRIBE", "foo", "bar2"), ("UNSUBSCRIBE", "nosuch"),
            ("SUBSCRIBE", "baz"), ("SSUBSCRIBE", "qux"), ("SSUBSCRIBE", "bar3"),
            ("PING",),
        ])
        self.assertEqual(
            [(e[b"reason"], e[b"object"], e[b"count"]) for e in log_entries(self.pc)],
            [(b"channel", b"qux", 1), (b"channel", b"baz", 3), (b"channel", b"bar1", 1),
             (b"channel", b"b*", 1)])
        self.assertEqual(log_entries(self.pc), log_entries(self.rr))

    def test_exec_rechecks_channels(self):
        self.require_pubsub()
        for c in (self.pc, self.rr):
            c.execute_command("ACL", "SETUSER", "ex", "on", "nopass", "+@all", "~*", "&foo")
        got = []
        for port, admin in ((self.node.port, self.pc), (self.redis.port, self.rr)):
            with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
                reader = RespReader(s)
                out = []
                for cmd in [("AUTH", "ex", "x"), ("MULTI",), ("PUBLISH", "foo", "m"),
                            ("PUBLISH", "bar", "m"), ("EXEC",), ("MULTI",),
                            ("PUBLISH", "foo", "m")]:
                    s.sendall(encode(cmd))
                    out.append(reader.reply())
                admin.execute_command("ACL", "SETUSER", "ex", "resetchannels", "&bar")
                s.sendall(encode(("EXEC",)))
                out.append(reader.reply())
            got.append(out)
        self.assertEqual(got[0], got[1])
        self.assertEqual(log_entries(self.pc), log_entries(self.rr))
        self.assertEqual(log_entries(self.pc)[0][b"context"], b"multi")

    def test_acl_log(self):
        self.same("ACL", "SETUSER", "lg", "on", ">pw", "~k*", "+get", "+set", "+multi",
                  "+exec")
        cmds = [("AUTH", "lg", "bad"), ("auth", "nosuch", "x"), ("AUTH", "lg", "pw"),
                ("GET", "x"), ("GET", "x"), ("SET", "y", "v"), ("DEL", "k"),
                ("CONFIG", "GET", "maxmemory"), ("MULTI",), ("GET", "z"), ("EXEC",),
                ("HELLO", "2", "AUTH", "lg", "wrong")]
        self.same_exchange(cmds)
        self.assertEqual(len(log_entries(self.pc)), 8)
        self.assertEqual(log_entries(self.pc), log_entries(self.rr))
        self.assertEqual(log_entries(self.pc, "2"), log_entries(self.rr, "2"))
        self.assertEqual(log_entries(self.pc, "0"), [])
        for args in (["ACL", "LOG", "x"], ["ACL", "LOG", "-1"], ["ACL", "LOG", "reset", "x"],
                     ["ACL", "LOG", "1", "2"], ["ACL", "LOG", "1.5"]):
            self.same(*args)
        self.same("ACL", "LOG", "RESET")
        self.same("ACL", "LOG")

    def test_revoked_subscriber_is_disconnected(self):
        """Standalone, against Redis: the subscriber whose channel is taken away is closed,
        one whose channels stay allowed is not."""
        self.require_pubsub()
        for port, admin in ((self.node.port, self.pc), (self.redis.port, self.rr)):
            admin.execute_command("ACL", "SETUSER", "sub", "on", "nopass", "+@all", "&a", "&b*")
            with socket.create_connection(("127.0.0.1", port), timeout=30) as lose, \
                    socket.create_connection(("127.0.0.1", port), timeout=30) as slose, \
                    socket.create_connection(("127.0.0.1", port), timeout=30) as keep:
                readers = {}
                for s, cmds in ((lose, [("AUTH", "sub", "x"), ("SUBSCRIBE", "a")]),
                                (slose, [("AUTH", "sub", "x"), ("SSUBSCRIBE", "a")]),
                                (keep, [("AUTH", "sub", "x"), ("PSUBSCRIBE", "b*")])):
                    readers[s] = RespReader(s)
                    for cmd in cmds:
                        s.sendall(encode(cmd))
                        readers[s].reply()
                # Adding a channel takes nothing away: nobody is disconnected.
                admin.execute_command("ACL", "SETUSER", "sub", "&c")
                admin.execute_command("ACL", "SETUSER", "sub", "resetchannels", "&b*", "&c")
                self.assertTrue(closed_by_server(lose), f"port {port}")
                self.assertTrue(closed_by_server(slose), f"port {port}: shard channel")
                keep.sendall(encode(("PING",)))
                self.assertEqual(readers[keep].reply(), [b"pong", b""])


class AclChannelsReplicatedTest(unittest.TestCase):
    """Two PetaCore nodes on one etcd: rules set on A are enforced, and revoke, on B."""

    @classmethod
    def setUpClass(cls):
        cls.etcd = Etcd()
        try:
            cls.a, cls.b = start_nodes(cls.etcd, 2)
        except BaseException:
            cls.etcd.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.a.close()
        cls.b.close()
        cls.etcd.close()

    def getuser_on_b(self, name):
        reply = self.b.client().execute_command("ACL", "GETUSER", name)
        return None if reply is None else dict(zip(reply[0::2], reply[1::2]))

    def test_pubsub_default_is_cluster_wide(self):
        ca, cb = self.a.client(), self.b.client()
        try:
            ca.config_set("acl-pubsub-default", "allchannels")
            wait_for(lambda: cb.config_get("acl-pubsub-default") ==
                     {"acl-pubsub-default": "allchannels"}, what="B has acl-pubsub-default")
            cb.execute_command("ACL", "SETUSER", "pd", "on")
            self.assertEqual(self.getuser_on_b("pd")[b"channels"], b"&*")
        finally:
            ca.config_set("acl-pubsub-default", "resetchannels")
            ca.execute_command("ACL", "DELUSER", "pd")
        wait_for(lambda: cb.config_get("acl-pubsub-default") ==
                 {"acl-pubsub-default": "resetchannels"}, what="B back to resetchannels")

    def test_channel_rules_from_a_apply_on_b(self):
        ca = self.a.client()
        ca.execute_command("ACL", "SETUSER", "rb", "on", ">pw", "+@all", "~*", "&ok*")
        wait_for(lambda: (self.getuser_on_b("rb") or {}).get(b"channels") == b"&ok*",
                 what="B has the user")
        if not has_pubsub(self.a.port):
            self.skipTest("this build has no pub/sub commands yet")
        self.assertEqual(
            exchange(self.b.port, [("AUTH", "rb", "pw"), ("PUBLISH", "ok1", "m"),
                                   ("PUBLISH", "no", "m")]),
            [b"OK", 0, ("error", "NOPERM this user has no permissions to access one of the "
                                 "channels used as arguments")])
        ca.execute_command("ACL", "DELUSER", "rb")

    def test_revoked_subscriber_on_b_is_disconnected(self):
        ca = self.a.client()
        if not has_pubsub(self.a.port):
            self.skipTest("this build has no pub/sub commands yet")
        ca.execute_command("ACL", "SETUSER", "u", "on", ">pw", "+@all", "&news", "&other",
                           "&p*")
        wait_for(lambda: (self.getuser_on_b("u") or {}).get(b"channels") == b"&news &other &p*",
                 what="B has the user")
        with socket.create_connection(("127.0.0.1", self.b.port), timeout=30) as news, \
                socket.create_connection(("127.0.0.1", self.b.port), timeout=30) as other, \
                socket.create_connection(("127.0.0.1", self.b.port), timeout=30) as pat:
            readers = {}
            for s, sub in ((news, ("SUBSCRIBE", "news")), (other, ("SUBSCRIBE", "other")),
                           (pat, ("PSUBSCRIBE", "p*"))):
                readers[s] = RespReader(s)
                for cmd in (("AUTH", "u", "pw"), sub):
                    s.sendall(encode(cmd))
                    self.assertNotEqual(readers[s].reply()[0], "error")
            # A change that removes no channel disconnects nobody: once B applied it, all
            # three still answer.
            ca.execute_command("ACL", "SETUSER", "u", "&more")
            wait_for(lambda: b"&more" in self.getuser_on_b("u")[b"channels"],
                     what="B applied &more")
            for s in (news, other, pat):
                s.sendall(encode(("PING",)))
                self.assertEqual(readers[s].reply(), [b"pong", b""])
            # Taking "news" and "p*" away on A closes those subscribers on B.
            ca.execute_command("ACL", "SETUSER", "u", "resetchannels", "&other")
            self.assertTrue(closed_by_server(news))
            self.assertTrue(closed_by_server(pat))
            other.sendall(encode(("PING",)))
            self.assertEqual(readers[other].reply(), [b"pong", b""])
            # A PUBLISH on A still reaches the remaining subscriber on B.
            self.assertEqual(ca.publish("other", "hello"), 1)
            self.assertEqual(readers[other].reply(), [b"message", b"other", b"hello"])
        ca.execute_command("ACL", "DELUSER", "u")


if __name__ == "__main__":
    unittest.main()
