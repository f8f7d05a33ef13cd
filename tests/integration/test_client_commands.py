"""The connection commands of issue 12 — RESET, CLIENT KILL / LIST / INFO / PAUSE / UNPAUSE /
NO-EVICT / REPLY / UNBLOCK — against a standalone PetaCore node and, where the behaviour is
comparable, against redis-server 7.0.15 (error texts, reply bytes, CLIENT LIST's fields).

Real behaviour is checked on raw sockets: a killed client's socket is closed, a paused write
waits until CLIENT UNPAUSE, CLIENT REPLY OFF sends nothing, CLIENT UNBLOCK wakes BLPOP with
its null reply or the UNBLOCKED error. Nothing about time is asserted: the tests wait for
conditions.
"""
import socket
import unittest

from differential import AgainstRedisTestCase
from harness import wait_for


def encode(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


class Raw:
    """A raw RESP2 connection: sends commands, reads whole replies as bytes."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""

    def send(self, *commands):
        self.sock.sendall(b"".join(encode(*c) for c in commands))

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line + b"\r\n"

    def _exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def reply(self):
        """One whole reply, as the bytes the server sent."""
        line = self._line()
        kind = line[:1]
        if kind == b"$":
            n = int(line[1:-2])
            return line + (self._exact(n + 2) if n >= 0 else b"")
        if kind == b"*":
            n = int(line[1:-2])
            return line + b"".join(self.reply() for _ in range(max(n, 0)))
        return line

    def call(self, *args):
        self.send(args)
        return self.reply()

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
            self.sock.settimeout(30)

    def close(self):
        self.sock.close()


def field_names(line):
    return [f.split("=", 1)[0] for f in line.strip().split(" ")]


class ClientCommandsTest(AgainstRedisTestCase):
    def setUp(self):
        self.pc = self.node.client()
        self.rr = self.redis.client()
        self.raws = []

    def tearDown(self):
        self.pc.execute_command("CLIENT", "UNPAUSE")
        for r in self.raws:
            r.close()
        self.pc.close()
        self.rr.close()

    def raw(self, port):
        r = Raw(port)
        self.raws.append(r)
        return r

    def both(self, *args):
        """The reply bytes of `args` on a fresh raw connection to each server."""
        return (self.raw(self.node.port).call(*args), self.raw(self.redis.port).call(*args))

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
            mine = self.pc.execute_command("CLIENT", *sub).decode().splitlines()[0]
            ref = self.rr.execute_command("CLIENT", *sub).decode().splitlines()[0]
            names = field_names(mine)
            ref_names = field_names(ref)
            # Redis 7.0.15's fields in its order; then CLIENT SETINFO's (as Redis 7.2).
            self.assertEqual(names[:len(ref_names)], ref_names)
            self.assertEqual(names[len(ref_names):], ["lib-name", "lib-ver"])
        c = self.raw(self.node.port)
        my_id = int(c.call("CLIENT", "ID")[1:-2])
        c.call("CLIENT", "NO-EVICT", "on")
        c.call("MULTI")
        c.call("SET", "k", "v")
        line = self.pc.execute_command("CLIENT", "LIST", "ID", str(my_id)).decode()
        fields = dict(f.split("=", 1) for f in line.strip().split(" "))
        self.assertEqual(fields["id"], str(my_id))
        self.assertEqual(fields["flags"], "xe")
        self.assertEqual(fields["multi"], "1")
        self.assertEqual(fields["cmd"], "set")

    def test_reset_as_redis(self):
        seq = [("CLIENT", "SETNAME", "me"), ("SELECT", "3"), ("CLIENT", "NO-EVICT", "on"),
               ("WATCH", "w"), ("MULTI",), ("SET", "k", "v"), ("RESET",),
               ("CLIENT", "GETNAME"), ("EXEC",), ("GET", "k"), ("RESET",)]
        for port_results in [(self.raw(self.node.port), self.raw(self.redis.port))]:
            pc, rr = port_results
            for args in seq:
                with self.subTest(args=args):
                    self.assertEqual(pc.call(*args), rr.call(*args))
            info_pc = dict(f.split("=", 1) for f in pc.call("CLIENT", "INFO").decode()
                           .split("\r\n", 1)[1].strip().split(" "))
            self.assertEqual((info_pc["db"], info_pc["flags"], info_pc["name"],
                              info_pc["resp"], info_pc["multi"]), ("0", "N", "", "2", "-1"))

    def test_reset_restores_the_default_user(self):
        self.pc.execute_command("ACL", "SETUSER", "h6user", "on", ">pw", "+@all", "~*")
        self.addCleanup(self.pc.execute_command, "ACL", "DELUSER", "h6user")
        c = self.raw(self.node.port)
        self.assertEqual(c.call("AUTH", "h6user", "pw"), b"+OK\r\n")
        self.assertEqual(c.call("ACL", "WHOAMI"), b"$6\r\nh6user\r\n")
        self.assertEqual(c.call("RESET"), b"+RESET\r\n")
        self.assertEqual(c.call("ACL", "WHOAMI"), b"$7\r\ndefault\r\n")

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
            c.send(*pipeline)
            c.send(("ECHO", "end"))
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
        victim = self.raw(self.node.port)
        vid = int(victim.call("CLIENT", "ID")[1:-2])
        self.assertEqual(self.pc.execute_command("CLIENT", "KILL", "ID", str(vid)), 1)
        self.assertTrue(victim.closed())
        # The old form, by address.
        victim = self.raw(self.node.port)
        vid = int(victim.call("CLIENT", "ID")[1:-2])
        line = self.pc.execute_command("CLIENT", "LIST", "ID", str(vid)).decode()
        addr = dict(f.split("=", 1) for f in line.split())["addr"]
        self.assertEqual(self.pc.execute_command("CLIENT", "KILL", addr), b"OK")
        self.assertTrue(victim.closed())
        # Itself, with SKIPME no: the reply first, then the close.
        me = self.raw(self.node.port)
        mid = me.call("CLIENT", "ID")[1:-2]
        self.assertEqual(me.call("CLIENT", "KILL", "ID", mid, "SKIPME", "no"), b":1\r\n")
        self.assertTrue(me.closed())
        # SKIPME yes (the default) spares the caller; USER and LADDR filters.
        me = self.raw(self.node.port)
        mid = me.call("CLIENT", "ID")[1:-2]
        self.assertEqual(me.call("CLIENT", "KILL", "ID", mid), b":0\r\n")
        other = self.raw(self.node.port)
        oid = int(other.call("CLIENT", "ID")[1:-2])
        laddr = f"127.0.0.1:{self.node.port}"
        self.assertEqual(me.call("CLIENT", "KILL", "ID", str(oid), "USER", "default",
                                 "LADDR", laddr, "TYPE", "normal"), b":1\r\n")
        self.assertTrue(other.closed())
        self.assertEqual(me.call("PING"), b"+PONG\r\n")

    def test_kill_ends_a_blocked_or_held_command(self):
        self.pc.delete("kl", "kp")
        blocked = self.raw(self.node.port)
        bid = blocked.call("CLIENT", "ID")[1:-2].decode()
        blocked.send(("BLPOP", "kl", "0"))
        wait_for(lambda: "flags=b" in self.pc.execute_command("CLIENT", "LIST", "ID", bid).decode(),
                 what="the client blocked")
        self.assertEqual(self.pc.execute_command("CLIENT", "KILL", "ID", bid), 1)
        self.assertTrue(blocked.closed())
        wait_for(lambda: self.pc.execute_command("CLIENT", "LIST", "ID", bid) == b"",
                 what="the killed client gone")
        # The killed BLPOP takes nothing pushed afterwards.
        self.pc.rpush("kl", "x")
        self.assertEqual(self.pc.lrange("kl", 0, -1), [b"x"])
        # A write held by CLIENT PAUSE is dropped with its client.
        self.pc.execute_command("CLIENT", "PAUSE", "100000", "WRITE")
        held = self.raw(self.node.port)
        hid = held.call("CLIENT", "ID")[1:-2].decode()
        held.send(("SET", "kp", "v"))
        self.assertTrue(held.nothing_pending())
        self.assertEqual(self.pc.execute_command("CLIENT", "KILL", "ID", hid), 1)
        self.assertTrue(held.closed())
        # Gone while the pause still holds: its SET can no longer run.
        wait_for(lambda: self.pc.execute_command("CLIENT", "LIST", "ID", hid) == b"",
                 what="the held client gone")
        self.pc.execute_command("CLIENT", "UNPAUSE")
        self.assertIsNone(self.pc.get("kp"))

    def test_pause_write_holds_writes_until_unpause(self):
        self.pc.delete("pk")
        self.assertTrue(self.pc.execute_command("CLIENT", "PAUSE", "100000", "WRITE"))
        writer = self.raw(self.node.port)
        writer.send(("SET", "pk", "v"), ("PING",))
        reader = self.raw(self.node.port)
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
        self.pc.set("pa", "1")
        self.assertTrue(self.pc.execute_command("CLIENT", "PAUSE", "300", "ALL"))
        reader = self.raw(self.node.port)
        self.assertEqual(reader.call("GET", "pa"), b"$1\r\n1\r\n")
        self.assertTrue(self.pc.execute_command("CLIENT", "PAUSE", "200"))  # ALL by default
        self.assertEqual(reader.call("CLIENT", "UNPAUSE"), b"+OK\r\n")

    def test_unblock_wakes_blpop(self):
        self.pc.delete("ul")
        for reason, want in [((), b"*-1\r\n"), (("TIMEOUT",), b"*-1\r\n"),
                             (("ERROR",), b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n")]:
            blocked = self.raw(self.node.port)
            bid = blocked.call("CLIENT", "ID")[1:-2].decode()
            blocked.send(("BLPOP", "ul", "0"))

            def flags():
                line = self.pc.execute_command("CLIENT", "LIST", "ID", bid).decode()
                return dict(f.split("=", 1) for f in line.split())["flags"]

            wait_for(lambda: "b" in flags(), what="the client blocked")
            self.assertEqual(self.pc.execute_command("CLIENT", "UNBLOCK", bid, *reason), 1)
            self.assertEqual(blocked.reply(), want)
            self.assertEqual(flags(), "N")
            self.assertEqual(self.pc.execute_command("CLIENT", "UNBLOCK", bid), 0)
            self.assertEqual(blocked.call("PING"), b"+PONG\r\n")

    def test_quit_replies_then_closes(self):
        c = self.raw(self.node.port)
        c.send(("QUIT",), ("PING",))
        self.assertEqual(c.reply(), b"+OK\r\n")
        self.assertTrue(c.closed())


if __name__ == "__main__":
    unittest.main()
