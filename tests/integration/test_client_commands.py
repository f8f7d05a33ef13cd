"""The connection commands of issue 12 — RESET, CLIENT KILL / LIST / INFO / PAUSE / UNPAUSE /
NO-EVICT / REPLY / UNBLOCK — against a standalone PetaCore node and, where the behaviour is
comparable, against redis-server 7.0.15 (error texts, reply bytes, CLIENT LIST's fields).

Every reply is read as raw bytes (resp_wire.RawConn), and each scenario runs on both servers
with the same expected bytes. Real behaviour is checked on raw sockets: a killed client's
socket is closed, a paused write waits until CLIENT UNPAUSE, CLIENT REPLY OFF sends nothing,
CLIENT UNBLOCK wakes BLPOP with its null reply or the UNBLOCKED error. Nothing about time is
asserted: the tests wait for conditions.
"""
import socket
import unittest

from differential import AgainstRedisTestCase
from harness import wait_for
from resp_wire import RawConn, encode


class Raw(RawConn):
    """A raw RESP2 connection (resp_wire.RawConn: call() gives the reply's exact bytes) that
    can also pipeline several commands and tell a closed connection or a silent one."""

    def pipeline(self, *commands):
        """Sends `commands` (argument tuples) in one write, reading nothing."""
        self.sock.sendall(b"".join(encode(c) for c in commands))

    def reply(self):
        """The next whole reply, as the bytes the server sent."""
        return self.read_value()

    def closed(self):
        """Waits for the server to close the connection (EOF); True when it did."""
        try:
            while True:
                if not self.sock.recv(65536):
                    return True
        except (ConnectionResetError, socket.timeout):
            return False

    def nothing_pending(self, wait=0.2):
        """True when no byte arrives within `wait` seconds (the absence of a reply)."""
        self.sock.settimeout(wait)
        try:
            self.buf += self.sock.recv(65536)
            return False
        except socket.timeout:
            return True
        finally:
            self.sock.settimeout(self.timeout)


def bulk_text(reply):
    """The text of a bulk string reply's exact bytes (asserting it is one)."""
    head, body = reply.split(b"\r\n", 1)
    assert head.startswith(b"$") and len(body) == int(head[1:]) + 2, reply
    return body[:-2].decode()


def client_fields(line):
    """One CLIENT LIST / CLIENT INFO line as {field: value}."""
    return dict(f.split("=", 1) for f in line.strip().split(" "))


def field_names(line):
    return [f.split("=", 1)[0] for f in line.strip().split(" ")]


# CLIENT INFO fields whose values do not depend on the server's process, the connection's
# address, id, age or buffers: compared between the two servers.
STABLE_FIELDS = ("db", "sub", "psub", "ssub", "multi", "flags", "name", "user", "redir",
                 "resp", "cmd")


class ClientCommandsTest(AgainstRedisTestCase):
    """Every scenario runs on both servers (each with an admin connection of its own) and
    checks the same exact reply bytes on both: the literals are Redis's replies."""

    SERVERS = ("petacore", "redis")

    def setUp(self):
        self.raws = []
        self.admins = {"petacore": self.raw(self.node.port), "redis": self.raw(self.redis.port)}

    def tearDown(self):
        for admin in self.admins.values():
            admin.call("CLIENT", "UNPAUSE")
        for r in self.raws:
            r.close()

    def port(self, server):
        return self.node.port if server == "petacore" else self.redis.port

    def raw(self, port):
        r = Raw(port)
        self.raws.append(r)
        return r

    def both(self, *args):
        """The reply bytes of `args` on a fresh raw connection to each server."""
        return (self.raw(self.node.port).call(*args), self.raw(self.redis.port).call(*args))

    def list_line(self, admin, client_id):
        """CLIENT LIST ID's reply text for `client_id` ("" once the client is gone)."""
        return bulk_text(admin.call("CLIENT", "LIST", "ID", str(client_id)))

    def test_errors_and_simple_replies_match_redis(self):
        for args in [
            ("CLIENT", "KILL", "1.2.3.4:5"),
            ("CLIENT", "KILL", "ID", "999999"),
            ("CLIENT", "KILL", "ID", "x"),
            ("CLIENT", "KILL", "ID", "0"),
            ("CLIENT", "KILL", "foo", "bar"),
            ("CLIENT", "KILL", "TYPE", "foo"),
            ("CLIENT", "KILL", "TYPE", "master"),
            ("CLIENT", "KILL", "TYPE", "pubsub", "SKIPME", "yes"),
            ("CLIENT", "KILL", "SKIPME", "maybe"),
            ("CLIENT", "KILL", "USER", "nobody"),
            ("CLIENT", "KILL", "ID", "999999", "ADDR"),
            ("CLIENT", "KILL"),
            ("CLIENT", "REPLY", "foo"),
            ("CLIENT", "REPLY"),
            ("CLIENT", "PAUSE", "x"),
            ("CLIENT", "PAUSE", "-1"),
            ("CLIENT", "PAUSE", "10", "foo"),
            ("CLIENT", "PAUSE"),
            ("CLIENT", "UNPAUSE", "x"),
            ("CLIENT", "UNBLOCK", "1", "foo"),
            ("CLIENT", "UNBLOCK", "x"),
            ("CLIENT", "UNBLOCK", "999999"),
            ("CLIENT", "UNBLOCK", "999999", "ERROR"),
            ("CLIENT", "NO-EVICT", "maybe"),
            ("CLIENT", "NO-EVICT", "on"),
            ("CLIENT", "NO-EVICT", "off"),
            ("CLIENT", "LIST", "TYPE", "foo"),
            ("CLIENT", "LIST", "TYPE", "master"),
            ("CLIENT", "LIST", "TYPE"),
            ("CLIENT", "LIST", "ID", "x"),
            ("CLIENT", "LIST", "ID", "999999"),
            ("CLIENT", "LIST", "foo"),
            ("CLIENT", "INFO", "x"),
            ("RESET",),
            ("RESET", "x"),
        ]:
            with self.subTest(args=args):
                got, want = self.both(*args)
                self.assertEqual(got, want)

    def test_list_and_info_fields_as_redis(self):
        for sub in (("INFO",), ("LIST",), ("LIST", "TYPE", "normal")):
            mine, ref = self.both("CLIENT", *sub)
            # Bulk strings on both (bulk_text asserts it); the first line's field names.
            mine, ref = bulk_text(mine).splitlines()[0], bulk_text(ref).splitlines()[0]
            names = field_names(mine)
            ref_names = field_names(ref)
            # Redis 7.0.15's fields in its order; then CLIENT SETINFO's (as Redis 7.2).
            self.assertEqual(names[:len(ref_names)], ref_names)
            self.assertEqual(names[len(ref_names):], ["lib-name", "lib-ver"])
            if sub == ("INFO",):
                mine, ref = client_fields(mine), client_fields(ref)
                self.assertEqual({f: mine[f] for f in STABLE_FIELDS},
                                 {f: ref[f] for f in STABLE_FIELDS})
        seen = {}
        for server in self.SERVERS:
            c = self.raw(self.port(server))
            my_id = int(c.call("CLIENT", "ID")[1:-2])
            self.assertEqual(c.call("CLIENT", "NO-EVICT", "on"), b"+OK\r\n")
            self.assertEqual(c.call("MULTI"), b"+OK\r\n")
            self.assertEqual(c.call("SET", "k", "v"), b"+QUEUED\r\n")
            fields = client_fields(self.list_line(self.admins[server], my_id))
            self.assertEqual(fields["id"], str(my_id))
            seen[server] = {f: fields[f] for f in STABLE_FIELDS}
        self.assertEqual(seen["petacore"], seen["redis"])
        self.assertEqual((seen["redis"]["flags"], seen["redis"]["multi"], seen["redis"]["cmd"]),
                         ("xe", "1", "set"))

    def test_reset_as_redis(self):
        seq = [("CLIENT", "SETNAME", "me"), ("SELECT", "3"), ("CLIENT", "NO-EVICT", "on"),
               ("WATCH", "w"), ("MULTI",), ("SET", "k", "v"), ("RESET",),
               ("CLIENT", "GETNAME"), ("EXEC",), ("GET", "k"), ("RESET",)]
        pc, rr = self.raw(self.node.port), self.raw(self.redis.port)
        for args in seq:
            with self.subTest(args=args):
                self.assertEqual(pc.call(*args), rr.call(*args))
        info = [client_fields(bulk_text(c.call("CLIENT", "INFO"))) for c in (pc, rr)]
        for i in info:
            self.assertEqual((i["db"], i["name"], i["resp"], i["multi"]), ("0", "", "2", "-1"))
        self.assertEqual(*({f: i[f] for f in STABLE_FIELDS} for i in info))

    def test_reset_keeps_no_evict_as_redis(self):
        # Redis 7.0.15's RESET leaves CLIENT NO-EVICT on (flags=e).
        flags = []
        for c in (self.raw(self.node.port), self.raw(self.redis.port)):
            self.assertEqual(c.call("CLIENT", "NO-EVICT", "on"), b"+OK\r\n")
            self.assertEqual(c.call("RESET"), b"+RESET\r\n")
            flags.append(client_fields(bulk_text(c.call("CLIENT", "INFO")))["flags"])
        self.assertEqual(flags[0], flags[1])

    def test_reset_restores_the_default_user(self):
        for server in self.SERVERS:
            with self.subTest(server=server):
                admin = self.admins[server]
                self.assertEqual(admin.call("ACL", "SETUSER", "h6user", "on", ">pw", "+@all",
                                            "~*"), b"+OK\r\n")
                try:
                    c = self.raw(self.port(server))
                    self.assertEqual(c.call("AUTH", "h6user", "pw"), b"+OK\r\n")
                    self.assertEqual(c.call("ACL", "WHOAMI"), b"$6\r\nh6user\r\n")
                    self.assertEqual(c.call("RESET"), b"+RESET\r\n")
                    self.assertEqual(c.call("ACL", "WHOAMI"), b"$7\r\ndefault\r\n")
                finally:
                    admin.call("ACL", "DELUSER", "h6user")

    def test_reset_with_a_password_needs_auth_again_as_redis(self):
        admins = []
        for port in (self.node.port, self.redis.port):
            admin = self.raw(port)
            self.assertEqual(admin.call("ACL", "SETUSER", "default", ">pw"), b"+OK\r\n")
            self.assertEqual(admin.call("AUTH", "pw"), b"+OK\r\n")
            admins.append(admin)
        try:
            pc, rr = self.raw(self.node.port), self.raw(self.redis.port)
            for args in [("PING",), ("AUTH", "pw"), ("PING",), ("RESET",), ("PING",),
                         ("RESET",), ("AUTH", "default", "pw"), ("PING",), ("QUIT",)]:
                with self.subTest(args=args):
                    self.assertEqual(pc.call(*args), rr.call(*args))
        finally:
            for admin in admins:
                self.assertEqual(admin.call("ACL", "SETUSER", "default", "nopass"), b"+OK\r\n")

    def test_reply_off_and_skip_as_redis(self):
        pipeline = [("CLIENT", "REPLY", "OFF"), ("SET", "rk", "1"), ("GET", "rk"),
                    ("NOSUCHCOMMAND",), ("CLIENT", "REPLY", "SKIP"), ("CLIENT", "REPLY", "ON"),
                    ("GET", "rk"), ("CLIENT", "REPLY", "SKIP"), ("SET", "rk", "2"),
                    ("GET", "rk"), ("CLIENT", "REPLY", "SKIP"), ("CLIENT", "REPLY", "SKIP"),
                    ("GET", "rk"), ("PING",)]
        got = []
        for port in (self.node.port, self.redis.port):
            c = self.raw(port)
            c.pipeline(*pipeline)
            c.send("ECHO", "end")
            replies = []
            while True:
                r = c.reply()
                replies.append(r)
                if r == b"$3\r\nend\r\n":
                    break
            got.append(replies)
        self.assertEqual(got[0], got[1])
        self.assertEqual(got[0], [b"+OK\r\n", b"$1\r\n1\r\n", b"$1\r\n2\r\n", b"+PONG\r\n",
                                  b"$3\r\nend\r\n"])

    def test_kill_closes_the_socket(self):
        for server in self.SERVERS:
            with self.subTest(server=server):
                self.kill_closes_the_socket(server)

    def kill_closes_the_socket(self, server):
        port, admin = self.port(server), self.admins[server]
        victim = self.raw(port)
        vid = int(victim.call("CLIENT", "ID")[1:-2])
        self.assertEqual(admin.call("CLIENT", "KILL", "ID", str(vid)), b":1\r\n")
        self.assertTrue(victim.closed())
        # The old form, by address.
        victim = self.raw(port)
        vid = int(victim.call("CLIENT", "ID")[1:-2])
        addr = client_fields(self.list_line(admin, vid))["addr"]
        self.assertEqual(admin.call("CLIENT", "KILL", addr), b"+OK\r\n")
        self.assertTrue(victim.closed())
        # Itself, with SKIPME no: the reply first, then the close.
        me = self.raw(port)
        mid = me.call("CLIENT", "ID")[1:-2]
        self.assertEqual(me.call("CLIENT", "KILL", "ID", mid, "SKIPME", "no"), b":1\r\n")
        self.assertTrue(me.closed())
        # SKIPME yes (the default) spares the caller; USER and LADDR filters.
        me = self.raw(port)
        mid = me.call("CLIENT", "ID")[1:-2]
        self.assertEqual(me.call("CLIENT", "KILL", "ID", mid), b":0\r\n")
        other = self.raw(port)
        oid = int(other.call("CLIENT", "ID")[1:-2])
        laddr = f"127.0.0.1:{port}"
        self.assertEqual(me.call("CLIENT", "KILL", "ID", str(oid), "USER", "default",
                                 "LADDR", laddr, "TYPE", "normal"), b":1\r\n")
        self.assertTrue(other.closed())
        self.assertEqual(me.call("PING"), b"+PONG\r\n")

    def test_kill_ends_a_blocked_or_held_command(self):
        for server in self.SERVERS:
            with self.subTest(server=server):
                self.kill_ends_a_blocked_or_held_command(server)

    def kill_ends_a_blocked_or_held_command(self, server):
        port, admin = self.port(server), self.admins[server]
        admin.call("DEL", "kl", "kp")
        blocked = self.raw(port)
        bid = blocked.call("CLIENT", "ID")[1:-2].decode()
        blocked.send("BLPOP", "kl", "0")
        wait_for(lambda: "flags=b" in self.list_line(admin, bid), what="the client blocked")
        self.assertEqual(admin.call("CLIENT", "KILL", "ID", bid), b":1\r\n")
        self.assertTrue(blocked.closed())
        wait_for(lambda: self.list_line(admin, bid) == "", what="the killed client gone")
        # The killed BLPOP takes nothing pushed afterwards.
        self.assertEqual(admin.call("RPUSH", "kl", "x"), b":1\r\n")
        self.assertEqual(admin.call("LRANGE", "kl", "0", "-1"), b"*1\r\n$1\r\nx\r\n")
        # A write held by CLIENT PAUSE is dropped with its client.
        self.assertEqual(admin.call("CLIENT", "PAUSE", "100000", "WRITE"), b"+OK\r\n")
        held = self.raw(port)
        hid = held.call("CLIENT", "ID")[1:-2].decode()
        held.send("SET", "kp", "v")
        self.assertTrue(held.nothing_pending())
        self.assertEqual(admin.call("CLIENT", "KILL", "ID", hid), b":1\r\n")
        self.assertTrue(held.closed())
        # Gone while the pause still holds: its SET can no longer run.
        wait_for(lambda: self.list_line(admin, hid) == "", what="the held client gone")
        self.assertEqual(admin.call("CLIENT", "UNPAUSE"), b"+OK\r\n")
        self.assertEqual(admin.call("GET", "kp"), b"$-1\r\n")

    def test_pause_write_holds_writes_until_unpause(self):
        for server in self.SERVERS:
            with self.subTest(server=server):
                port, admin = self.port(server), self.admins[server]
                admin.call("DEL", "pk")
                self.assertEqual(admin.call("CLIENT", "PAUSE", "100000", "WRITE"), b"+OK\r\n")
                writer = self.raw(port)
                writer.pipeline(("SET", "pk", "v"), ("PING",))
                reader = self.raw(port)
                self.assertEqual(reader.call("GET", "pk"), b"$-1\r\n")  # reads pass
                self.assertTrue(writer.nothing_pending())
                self.assertEqual(reader.call("GET", "pk"), b"$-1\r\n")
                self.assertEqual(reader.call("CLIENT", "UNPAUSE"), b"+OK\r\n")
                self.assertEqual(writer.reply(), b"+OK\r\n")
                self.assertEqual(writer.reply(), b"+PONG\r\n")
                self.assertEqual(reader.call("GET", "pk"), b"$1\r\nv\r\n")

    def test_pause_all_ends_at_its_timeout(self):
        # Under ALL every command of this node's clients is held, CLIENT UNPAUSE included
        # (as Redis 7.0): the pause ends at its timeout and the held read is answered then.
        for server in self.SERVERS:
            with self.subTest(server=server):
                port, admin = self.port(server), self.admins[server]
                self.assertEqual(admin.call("SET", "pa", "1"), b"+OK\r\n")
                self.assertEqual(admin.call("CLIENT", "PAUSE", "300", "ALL"), b"+OK\r\n")
                reader = self.raw(port)
                self.assertEqual(reader.call("GET", "pa"), b"$1\r\n1\r\n")
                # ALL by default.
                self.assertEqual(admin.call("CLIENT", "PAUSE", "200"), b"+OK\r\n")
                self.assertEqual(reader.call("CLIENT", "UNPAUSE"), b"+OK\r\n")

    def test_unblock_wakes_blpop(self):
        for server in self.SERVERS:
            with self.subTest(server=server):
                self.unblock_wakes_blpop(server)

    def unblock_wakes_blpop(self, server):
        port, admin = self.port(server), self.admins[server]
        admin.call("DEL", "ul")
        for reason, want in [((), b"*-1\r\n"), (("TIMEOUT",), b"*-1\r\n"),
                             (("ERROR",), b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n")]:
            blocked = self.raw(port)
            bid = blocked.call("CLIENT", "ID")[1:-2].decode()
            blocked.send("BLPOP", "ul", "0")

            def flags():
                return client_fields(self.list_line(admin, bid))["flags"]

            wait_for(lambda: "b" in flags(), what="the client blocked")
            self.assertEqual(admin.call("CLIENT", "UNBLOCK", bid, *reason), b":1\r\n")
            self.assertEqual(blocked.reply(), want)
            self.assertEqual(flags(), "N")
            self.assertEqual(admin.call("CLIENT", "UNBLOCK", bid), b":0\r\n")
            self.assertEqual(blocked.call("PING"), b"+PONG\r\n")

    def test_quit_replies_then_closes(self):
        for server in self.SERVERS:
            with self.subTest(server=server):
                c = self.raw(self.port(server))
                c.pipeline(("QUIT",), ("PING",))
                self.assertEqual(c.reply(), b"+OK\r\n")
                self.assertTrue(c.closed())


if __name__ == "__main__":
    unittest.main()
