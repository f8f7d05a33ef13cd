"""ACL channel permissions (issue 13), black-box: "&pattern" rules, allchannels,
resetchannels and acl-pubsub-default in ACL SETUSER / GETUSER / LIST / DRYRUN, PUBLISH /
SUBSCRIBE / PSUBSCRIBE refused or admitted with Redis's exact replies, EXEC's re-check, ACL
LOG entries — differential against Debian's redis-server 7.0.15 — and, on two PetaCore nodes
on one etcd, a subscriber on node B disconnected when ACL SETUSER on node A takes its channel
away (Redis 7.0's ACLKillPubsubClientsIfNeeded).

Replies are compared as raw RESP bytes (resp_wire.WireConn, RawAgainstRedisTestCase), types
included; ACL LOG's age-seconds and client-info are normalised (log_entries).

Parts that need the pub/sub commands (PUBLISH, SUBSCRIBE, ...) skip themselves on a build
that does not have them yet.
"""
import unittest

from cluster import start_nodes
from differential import RawAgainstRedisTestCase
from harness import Etcd, wait_for
from resp_wire import WireConn

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
    """Sends `commands` one by one on a fresh connection; returns each reply's exact bytes,
    and "closed" for each command once the server closed the connection."""
    out = []
    conn = WireConn(port)
    try:
        for cmd in commands:
            try:
                out.append(conn.call(*cmd)[0])
            except (ConnectionError, OSError):
                out.append("closed")
    finally:
        conn.close()
    return out


def has_pubsub(port):
    """Whether the server on `port` has PUBLISH (the pub/sub commands)."""
    return exchange(port, [("COMMAND", "INFO", "publish")])[0] != b"*1\r\n*-1\r\n"


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


PONG = b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"  # PING's reply in subscribed mode (RESP2)


def log_entries(conn, *args):
    """ACL LOG's reply tree (resp_wire.parse, types kept) with two fields normalised, as they
    differ between servers: age-seconds (checked to be a small non-negative number) becomes
    b"<age>", client-info (times, ids, addresses, buffer sizes) keeps only its user= field.
    Each entry is its list of (name, value) tree pairs, in the server's order."""
    _, (kind, entries) = conn.call("ACL", "LOG", *args)
    assert kind == b"*", (kind, entries)
    out = []
    for entry_kind, items in entries:
        assert entry_kind == b"*", (entry_kind, items)
        entry = []
        for (name_kind, name), (value_kind, value) in zip(items[0::2], items[1::2]):
            if name == b"age-seconds":
                assert 0 <= float(value) < 600, value
                value = b"<age>"
            elif name == b"client-info":
                value = [w for w in value.split(b" ") if w.startswith(b"user=")][0]
            entry.append(((name_kind, name), (value_kind, value)))
        out.append(entry)
    return out


def field(entry, name):
    """The value (bytes) of field `name` of a log_entries entry."""
    return next(value for (_, n), (_, value) in entry if n == name)


class AclChannelsAgainstRedisTest(RawAgainstRedisTestCase):
    """Replies compared as exact bytes (RawAgainstRedisTestCase.same)."""

    def setUp(self):
        super().setUp()
        self.same("CONFIG", "SET", "acl-pubsub-default", "resetchannels")
        self.same("ACL", "LOG", "RESET")

    def tearDown(self):
        for conn in (self.pc, self.rr):
            _, (_, users) = conn.call("ACL", "USERS")
            users = [name for _, name in users if name != b"default"]
            if users:
                conn.call("ACL", "DELUSER", *users)
            conn.call("CONFIG", "SET", "acl-pubsub-default", "resetchannels")
        super().tearDown()

    def same_exchange(self, commands):
        got = exchange(self.node.port, commands)
        want = exchange(self.redis.port, commands)
        self.assertEqual(got, want)
        return got

    def same_log(self, *args):
        """Asserts both servers' ACL LOG (log_entries) are the same; returns PetaCore's."""
        got, want = log_entries(self.pc, *args), log_entries(self.rr, *args)
        self.assertEqual(got, want)
        return got

    def require_pubsub(self):
        if not has_pubsub(self.node.port):
            self.skipTest("this build has no pub/sub commands yet")

    def test_setuser_getuser_list(self):
        for rules in SETUSERS:
            self.assertEqual(self.same("ACL", "SETUSER", *rules), b"+OK\r\n")
        for rules in SETUSERS:
            self.same("ACL", "GETUSER", rules[0])
        self.same("ACL", "LIST")
        for rules in BAD_RULES:
            self.assertTrue(self.same("ACL", "SETUSER", *rules).startswith(b"-"), rules)
        # Changing an existing user keeps its channels unless a rule changes them.
        self.same("ACL", "SETUSER", "c1", "&more", "-get")
        self.same("ACL", "GETUSER", "c1")
        self.same("ACL", "SETUSER", "c3", "resetchannels", "&only")
        self.same("ACL", "LIST")

    def test_acl_pubsub_default(self):
        self.same("CONFIG", "GET", "acl-pubsub-default")
        self.same("ACL", "SETUSER", "before", "on")
        for bad in ("bogus", "", "all"):
            reply = self.same("CONFIG", "SET", "acl-pubsub-default", bad)
            self.assertTrue(reply.startswith(b"-"), bad)
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
        entries = self.same_log()
        self.assertEqual(
            [(field(e, b"reason"), field(e, b"object"), field(e, b"count")) for e in entries],
            [(b"channel", b"qux", b"1"), (b"channel", b"baz", b"3"), (b"channel", b"bar1", b"1"),
             (b"channel", b"b*", b"1")])

    def test_exec_rechecks_channels(self):
        self.require_pubsub()
        self.same("ACL", "SETUSER", "ex", "on", "nopass", "+@all", "~*", "&foo")
        got = []
        for port, admin in ((self.node.port, self.pc), (self.redis.port, self.rr)):
            conn = WireConn(port)
            self.conns.append(conn)
            out = [conn.call(*cmd)[0] for cmd in
                   [("AUTH", "ex", "x"), ("MULTI",), ("PUBLISH", "foo", "m"),
                    ("PUBLISH", "bar", "m"), ("EXEC",), ("MULTI",), ("PUBLISH", "foo", "m")]]
            self.assertEqual(admin.call("ACL", "SETUSER", "ex", "resetchannels", "&bar")[0],
                             b"+OK\r\n")
            out.append(conn.call("EXEC")[0])
            got.append(out)
        self.assertEqual(got[0], got[1])
        self.assertEqual(field(self.same_log()[0], b"context"), b"multi")

    def test_acl_log(self):
        self.same("ACL", "SETUSER", "lg", "on", ">pw", "~k*", "+get", "+set", "+multi",
                  "+exec")
        cmds = [("AUTH", "lg", "bad"), ("auth", "nosuch", "x"), ("AUTH", "lg", "pw"),
                ("GET", "x"), ("GET", "x"), ("SET", "y", "v"), ("DEL", "k"),
                ("CONFIG", "GET", "maxmemory"), ("MULTI",), ("GET", "z"), ("EXEC",),
                ("HELLO", "2", "AUTH", "lg", "wrong")]
        self.same_exchange(cmds)
        self.assertEqual(len(self.same_log()), 8)
        self.same_log("2")
        self.assertEqual(self.same("ACL", "LOG", "0"), b"*0\r\n")
        for args in (["ACL", "LOG", "x"], ["ACL", "LOG", "-1"], ["ACL", "LOG", "reset", "x"],
                     ["ACL", "LOG", "1", "2"], ["ACL", "LOG", "1.5"]):
            self.same(*args)
        self.same("ACL", "LOG", "RESET")
        self.same("ACL", "LOG")

    def test_revoked_subscriber_is_disconnected(self):
        """Standalone, against Redis: the subscriber whose channel is taken away is closed,
        one whose channels stay allowed is not. Each subscriber's replies are compared."""
        self.require_pubsub()
        self.same("ACL", "SETUSER", "sub", "on", "nopass", "+@all", "&a", "&b*")
        replies = []
        for port, admin in ((self.node.port, self.pc), (self.redis.port, self.rr)):
            lose, slose, keep = WireConn(port), WireConn(port), WireConn(port)
            self.conns += [lose, slose, keep]
            replies.append([conn.call(*cmd)[0] for conn, cmd in
                            ((lose, ("AUTH", "sub", "x")), (lose, ("SUBSCRIBE", "a")),
                             (slose, ("AUTH", "sub", "x")), (slose, ("SSUBSCRIBE", "a")),
                             (keep, ("AUTH", "sub", "x")), (keep, ("PSUBSCRIBE", "b*")))])
            # Adding a channel takes nothing away: nobody is disconnected.
            self.assertEqual(admin.call("ACL", "SETUSER", "sub", "&c")[0], b"+OK\r\n")
            self.assertEqual(admin.call("ACL", "SETUSER", "sub", "resetchannels", "&b*",
                                        "&c")[0], b"+OK\r\n")
            self.assertTrue(closed_by_server(lose.sock), f"port {port}")
            self.assertTrue(closed_by_server(slose.sock), f"port {port}: shard channel")
            self.assertEqual(keep.call("PING")[0], PONG)
        self.assertEqual(replies[0], replies[1])


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
            [b"+OK\r\n", b":0\r\n", b"-NOPERM this user has no permissions to access one of "
             b"the channels used as arguments\r\n"])
        ca.execute_command("ACL", "DELUSER", "rb")

    def test_revoked_subscriber_on_b_is_disconnected(self):
        ca = self.a.client()
        if not has_pubsub(self.a.port):
            self.skipTest("this build has no pub/sub commands yet")
        ca.execute_command("ACL", "SETUSER", "u", "on", ">pw", "+@all", "&news", "&other",
                           "&p*")
        wait_for(lambda: (self.getuser_on_b("u") or {}).get(b"channels") == b"&news &other &p*",
                 what="B has the user")
        news, other, pat = (WireConn(self.b.port) for _ in range(3))
        try:
            for conn, sub in ((news, ("SUBSCRIBE", "news")), (other, ("SUBSCRIBE", "other")),
                              (pat, ("PSUBSCRIBE", "p*"))):
                for cmd in (("AUTH", "u", "pw"), sub):
                    self.assertFalse(conn.call(*cmd)[0].startswith(b"-"), cmd)
            # A change that removes no channel disconnects nobody: once B applied it, all
            # three still answer.
            ca.execute_command("ACL", "SETUSER", "u", "&more")
            wait_for(lambda: b"&more" in self.getuser_on_b("u")[b"channels"],
                     what="B applied &more")
            for conn in (news, other, pat):
                self.assertEqual(conn.call("PING")[0], PONG)
            # Taking "news" and "p*" away on A closes those subscribers on B.
            ca.execute_command("ACL", "SETUSER", "u", "resetchannels", "&other")
            self.assertTrue(closed_by_server(news.sock))
            self.assertTrue(closed_by_server(pat.sock))
            self.assertEqual(other.call("PING")[0], PONG)
            # A PUBLISH on A still reaches the remaining subscriber on B.
            self.assertEqual(ca.publish("other", "hello"), 1)
            self.assertEqual(other.read_value(),
                             b"*3\r\n$7\r\nmessage\r\n$5\r\nother\r\n$5\r\nhello\r\n")
        finally:
            for conn in (news, other, pat):
                conn.close()
        ca.execute_command("ACL", "DELUSER", "u")


if __name__ == "__main__":
    unittest.main()
