"""ACL users, black-box. Differential against Debian's redis-server 7.0 where the output is
deterministic and PetaCore's model agrees (ACL LIST / GETUSER after SETUSERs, rule errors,
ACL CAT, NOPERM replies of a restricted user); then replicated: a user set on node A is
enforced on node B, survives a restart, and a deleted user's clients are disconnected.
"""
import hashlib
import socket
import threading
import unittest

import redis

from differential import AgainstRedisTestCase, ReplicatedTestCase, call, raw_client
from harness import Etcd, Node, wait_for
from test_auth import AuthNode, RespReader, encode, replies

# SETUSER sequences whose ACL LIST line Redis 7.0 and PetaCore print the same way (Redis 7.0
# rebuilds the command part from its bitmap with a best-fit over categories, PetaCore keeps
# the rules in order: they agree whenever the rules do not overlap).
SETUSERS = [
    ["alice"],
    ["bob", "on", ">pw", "~k*", "+get", "+set"],
    ["carl", "on", "nopass", "~*", "&*", "+@all", "-flushall"],
    ["dan", "on", ">x", "-@all", "+@read"],
    ["fr", "on", ">x", "-@all", "+@string", "-get", "%R~r*", "%W~w*", "%RW~b*"],
    ["g2", "on", ">a", ">b", "<a", ">c", ">b"],
    ["g3", "reset"],
    ["g4", "on", "nopass", ">x"],
    ["g5", ">x", "nopass"],
    ["g6", "&ch", "allchannels", "~k", "resetkeys", "~j", "allcommands"],
    ["g7", "+@all", "-@all", "+get", "nocommands", "+set"],
    ["g8", "on", "#" + "a" * 64, "~a", "~b", "&c1", "&c2", "+client|id", "+ping"],
    ["g9", "ON", "NOPASS", "+GET", "~K"],
]

BAD_RULES = [
    ["x", "foo"], ["x", "+nosuch"], ["x", "+@nosuch"], ["x", "~*", "~a"], ["x", "&*", "&a"],
    ["x", "<nopw"], ["x", "#abc"], ["x", "!abc"], ["x", "-get|x"], ["x", "+client|nosuch"],
    ["x", "+config|get|x"], ["x", "%X~k"], ["a b"], ["a\x00b"],
]


class AclDifferentialTest(AgainstRedisTestCase):
    def setUp(self):
        # Raw RESP connections: replies compared with their types (differential.typed).
        self.pc = raw_client(self.node.port)
        self.rr = raw_client(self.redis.port)

    def tearDown(self):
        for c in (self.pc, self.rr):
            users = [u for u in c.execute_command("ACL", "USERS") if u != b"default"]
            if users:
                c.execute_command("ACL", "DELUSER", *users)
            c.close()

    def both(self, *args):
        """Runs args on both; returns (petacore, redis) typed replies (differential.typed:
        a simple string ("+", text), an error ("error", whole text))."""
        return tuple(call(c, list(args)) for c in (self.pc, self.rr))

    def same(self, *args, normalize=lambda reply: reply):
        got, want = self.both(*args)
        self.assertEqual(normalize(got), normalize(want), f"command {args!r}")
        return got

    def same_users(self, *args):
        """ACL LIST / GETUSER: Redis 7.0 prints single-command rules in its command dict's
        (seeded, per process) order, so the words of each description are compared as sets."""
        def words(reply):
            if isinstance(reply, list):
                return [words(r) for r in reply]
            if isinstance(reply, bytes):
                return sorted(reply.split(b" "))
            return reply
        return self.same(*args, normalize=words)

    def test_setuser_list_getuser(self):
        for rules in SETUSERS:
            self.assertEqual(self.same("ACL", "SETUSER", *rules), ("+", b"OK"))
        self.same_users("ACL", "LIST")
        self.same("ACL", "USERS")
        for rules in SETUSERS:
            self.same_users("ACL", "GETUSER", rules[0])
        self.same("ACL", "GETUSER", "nosuch")
        self.same("ACL", "GETUSER", "default")
        # Changing an existing user keeps what the new rules do not touch.
        self.same("ACL", "SETUSER", "bob", "~j*", "+del", ">pw2")
        self.same_users("ACL", "GETUSER", "bob")
        self.same("ACL", "DELUSER", "bob", "nosuch", "alice")
        self.same("ACL", "DELUSER", "carl", "default")
        self.same_users("ACL", "LIST")

    def test_rule_errors(self):
        for rules in BAD_RULES:
            got = self.same("ACL", "SETUSER", *rules)
            self.assertEqual(got[0], "error")
        self.same("ACL", "USERS")  # a failed SETUSER creates nothing

    def test_subcommand_errors(self):
        for args in (["ACL"], ["ACL", "FOO"], ["ACL", "SETUSER"], ["ACL", "GETUSER"],
                     ["ACL", "GETUSER", "a", "b"], ["ACL", "LIST", "x"], ["ACL", "WHOAMI", "x"],
                     ["ACL", "CAT", "a", "b"], ["ACL", "CAT", "nosuch"], ["ACL", "DELUSER"],
                     ["ACL", "GENPASS", "0"], ["ACL", "GENPASS", "5000"], ["ACL", "WHOAMI"],
                     ["ACL", "USERS"], ["ACL", "DRYRUN", "default"]):
            self.same(*args)
        # HELP: Redis 7.0.15's text (every subcommand, LOAD and SAVE included).
        self.same("ACL", "HELP")
        got, want = self.both("ACL", "GENPASS")
        self.assertEqual((len(got), len(want)), (64, 64))
        got, want = self.both("ACL", "GENPASS", "5")
        self.assertEqual((len(got), len(want)), (2, 2))

    def test_categories(self):
        self.same("ACL", "CAT")
        # Each category holds the same commands and subcommands as in Redis, among those
        # PetaCore implements.
        # (Every command is @fast or @slow, so those two list them all.)
        ours, theirs = set(), set()
        for cat in (b"fast", b"slow"):
            ours |= set(self.pc.execute_command("ACL", "CAT", cat))
            theirs |= set(self.rr.execute_command("ACL", "CAT", cat))
        both = ours & theirs
        self.assertGreater(len(both), 150)
        for cat in self.pc.execute_command("ACL", "CAT"):
            got = set(self.pc.execute_command("ACL", "CAT", cat)) & both
            want = set(self.rr.execute_command("ACL", "CAT", cat)) & both
            self.assertEqual(got, want, f"category {cat!r}")

    def test_command_info_categories(self):
        names = [n for n in self.pc.execute_command("COMMAND", "LIST")]
        for name in names:
            got = self.pc.execute_command("COMMAND", "INFO", name)[0]
            want = self.rr.execute_command("COMMAND", "INFO", name)[0]
            if want is None:  # PetaCore's own commands (PETACORE) have no Redis counterpart
                continue
            self.assertEqual(got[6], want[6], f"COMMAND INFO {name!r} categories")

    def test_permissions_as_redis(self):
        rules = ["on", ">pw", "~k*", "~obj", "+@read", "+set", "-get", "+client|id",
                 "+@transaction", "+del|k1", "+object"]
        self.same("ACL", "SETUSER", "bob", *rules)
        self.both("SET", "k1", "v1")
        self.both("SET", "obj", "v")
        cmds = [
            ("AUTH", "bob", "pw"), ("ACL", "WHOAMI"), ("GET", "k1"), ("MGET", "k1", "k2"),
            ("MGET", "k1", "x"), ("SET", "k2", "v"), ("SET", "x", "v"), ("INCR", "k1"),
            ("DEL", "k1"), ("DEL", "k2"), ("CLIENT", "ID"), ("CLIENT", "LIST"),
            ("CLIENT", "GETNAME"), ("OBJECT", "ENCODING", "obj"), ("OBJECT", "ENCODING", "x"),
            ("ZUNION", "2", "k1", "x"), ("ZUNION", "1", "k1"), ("SINTERCARD", "1", "zz"),
            ("ZUNIONSTORE", "k9", "1", "x"), ("FLUSHALL",), ("KEYS", "o*"), ("DBSIZE",),
            ("MULTI",), ("SET", "k3", "v"), ("SET", "x3", "v"), ("EXEC",), ("EXISTS", "k3"),
            ("MULTI",), ("MGET", "k1"), ("EXEC",),
            ("AUTH", "bob", "bad"), ("ACL", "WHOAMI"), ("QUIT",),
        ]
        got = replies(self.node.port, cmds)
        want = replies(self.redis.port, cmds)
        # CLIENT ID differs between servers; its being allowed is what is compared.
        i = cmds.index(("CLIENT", "ID"))
        self.assertIsInstance(got[i], int)
        self.assertIsInstance(want[i], int)
        got[i] = want[i] = "id"
        self.assertEqual(got, want)

    def test_dryrun(self):
        self.same("ACL", "SETUSER", "dr", "on", "nopass", "~k*", "+get", "+client|id")
        for cmd in (["get", "k1"], ["get", "x"], ["set", "k1", "v"], ["client", "id"],
                    ["client", "list"], ["nosuchcmd"], ["get"], ["client", "nosuchsub"],
                    ["mget", "k1", "x"], ["client"]):
            self.same("ACL", "DRYRUN", "dr", *cmd)
        self.same("ACL", "DRYRUN", "nosuch", "get", "k")

    def test_exec_rechecks_queued_commands(self):
        def run(port, admin):
            admin.execute_command("ACL", "SETUSER", "ex", "on", "nopass", "~*", "+@all")
            with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
                reader = RespReader(s)
                out = []
                for cmd in [("AUTH", "ex", "x"), ("MULTI",), ("SET", "k", "v"), ("GET", "k"),
                            ("SET", "a", "v"), ("INCR", "n")]:
                    s.sendall(encode(cmd))
                    out.append(reader.reply())
                admin.execute_command("ACL", "SETUSER", "ex", "-set", "resetkeys", "~k*", "~a*")
                s.sendall(encode(("EXEC",)))
                out.append(reader.reply())
            admin.execute_command("DEL", "k", "a", "n")
            return out
        self.assertEqual(run(self.node.port, self.pc), run(self.redis.port, self.rr))

    def test_default_user_password_and_off(self):
        try:
            self.same("ACL", "SETUSER", "default", ">pw")
            cmds = [("PING",), ("AUTH", "pw"), ("PING",), ("AUTH", "default", "nopw")]
            self.assertEqual(replies(self.node.port, cmds), replies(self.redis.port, cmds))
        finally:
            for c in (self.pc, self.rr):
                c.execute_command("ACL", "SETUSER", "default", "nopass")
        self.same("ACL", "LIST")


class ReplicatedAclTest(ReplicatedTestCase):
    def acl_list(self, node):
        return node.client().execute_command("ACL", "LIST")

    def test_user_set_on_a_is_enforced_on_b(self):
        ca = self.a.client()
        self.assertTrue(ca.execute_command("ACL", "SETUSER", "rep", "on", ">pw", "~r*", "+get",
                                           "+set", "+acl|whoami"))
        wait_for(lambda: self.acl_list(self.b) == self.acl_list(self.a), what="B has the user")
        cb = self.b.client(username="rep", password="pw")
        self.assertEqual(cb.execute_command("ACL", "WHOAMI"), b"rep")
        self.assertTrue(cb.set("r1", "v"))
        with self.assertRaisesRegex(redis.ResponseError, "no permissions to access one of the keys"):
            cb.set("x1", "v")
        with self.assertRaisesRegex(redis.ResponseError, "no permissions to run the 'del'"):
            cb.delete("r1")
        # A change on A reaches B's connected client.
        ca.execute_command("ACL", "SETUSER", "rep", "+del")
        wait_for(lambda: cb.delete("r1") == 1, what="B applies +del")
        # Passwords are stored hashed only.
        stored = self.etcd.ctl("get", b"/petacore/\xffacl/user/rep")
        self.assertIn(b"#" + hashlib.sha256(b"pw").hexdigest().encode(), stored)
        self.assertNotIn(b">pw", stored)

    def test_concurrent_setuser_from_both_nodes_loses_nothing(self):
        # Each SETUSER reads the stored user and writes it back: etcd's compare makes the
        # read-modify-writes serial, so every rule from both nodes ends up in the user.
        self.a.client().execute_command("ACL", "SETUSER", "both", "on")
        per_node = {self.a: ["get", "set", "incr", "decr", "append", "strlen", "mget", "mset"],
                    self.b: ["hget", "hset", "hdel", "hlen", "sadd", "srem", "scard", "lpush"]}
        errors = []

        def worker(node, commands):
            c = node.client()
            try:
                for cmd in commands:
                    c.execute_command("ACL", "SETUSER", "both", "+" + cmd)
            except Exception as e:  # surfaced below
                errors.append(e)

        threads = [threading.Thread(target=worker, args=item) for item in per_node.items()]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        want = {("+" + c).encode() for cmds in per_node.values() for c in cmds}
        for node in (self.a, self.b):
            wait_for(lambda: want <= set(node.client().execute_command(
                "ACL", "GETUSER", "both")[5].split()), what="every rule on every node")
        self.a.client().execute_command("ACL", "DELUSER", "both")

    def test_deleted_user_is_disconnected_on_b(self):
        """Its client on B is closed without sending anything (recv sees EOF)."""
        ca = self.a.client()
        ca.execute_command("ACL", "SETUSER", "gone", "on", ">pw", "+@all", "~*")
        wait_for(lambda: self.acl_list(self.b) == self.acl_list(self.a), what="B has the user")
        cmds_before = [("AUTH", "gone", "pw"), ("PING",)]
        with socket.create_connection(("127.0.0.1", self.b.port), timeout=30) as s:
            reader = RespReader(s)
            for cmd in cmds_before:
                s.sendall(encode(cmd))
                reader.reply()
            self.assertEqual(ca.execute_command("ACL", "DELUSER", "gone"), 1)
            # B closes the idle connection by itself once it applied the delete (as Redis).
            try:
                self.assertEqual(s.recv(100), b"")
            except ConnectionResetError:
                pass
        with self.assertRaisesRegex(redis.RedisError, "invalid username-password"):
            self.b.client(username="gone", password="pw").ping()

    def test_default_password_from_a_applies_on_b_and_survives_restart(self):
        ca = self.a.client()
        try:
            ca.execute_command("ACL", "SETUSER", "keep", "on", ">k", "+@all", "~*")
            ca.execute_command("ACL", "SETUSER", "default", ">adminpw")
            wait_for(lambda: replies(self.b.port, [("PING",)])[0][0] == "error",
                     what="B requires a password")
            self.assertEqual(replies(self.b.port, [("PING",), ("AUTH", "adminpw"), ("PING",)]),
                             [("error", "NOAUTH Authentication required."), b"OK", b"PONG"])
            self.b.client = lambda **kw: redis.Redis(host="127.0.0.1", port=self.b.port,
                                                     password="adminpw", socket_timeout=30)
            self.b.restart()
            self.assertEqual(self.b.client().execute_command("ACL", "LIST"),
                             ca.execute_command("ACL", "LIST"))
            self.assertTrue(redis.Redis(port=self.b.port, username="keep", password="k").ping())
        finally:
            ca.execute_command("ACL", "SETUSER", "default", "nopass")
            ca.execute_command("ACL", "DELUSER", "keep")
            wait_for(lambda: replies(self.b.port, [("PING",)]) == [b"PONG"],
                     what="B open again")
            del self.b.client  # back to Node.client


class RequirePassVersusStoredDefaultTest(unittest.TestCase):
    """--requirepass gives the default user's password until ACL SETUSER default stores one;
    the stored user then wins on every node, also over a restart with --requirepass."""

    def test_stored_default_wins(self):
        etcd = Etcd()
        try:
            a = AuthNode("flagpw", etcd=etcd)
            try:
                ca = a.client()
                self.assertEqual(ca.execute_command("ACL", "WHOAMI"), b"default")
                ca.execute_command("ACL", "SETUSER", "default", "resetpass", ">storedpw")
                self.assertEqual(replies(a.port, [("AUTH", "flagpw"), ("AUTH", "storedpw")]),
                                 [("error", "WRONGPASS invalid username-password pair or user "
                                            "is disabled."), b"OK"])
                a.password = "storedpw"
                a.restart()  # still --requirepass flagpw
                self.assertEqual(replies(a.port, [("AUTH", "flagpw"), ("AUTH", "storedpw")])[1],
                                 b"OK")
            finally:
                a.close()
        finally:
            etcd.close()


if __name__ == "__main__":
    unittest.main()
