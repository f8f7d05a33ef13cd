"""MULTI/EXEC/DISCARD/WATCH/UNWATCH on a standalone node, differential against Debian's
redis-server 7.0 wherever the outcome is deterministic.

Each scenario is a script of (connection, command) steps over two client connections, A and
B, each pinned to one socket (MULTI state lives on the connection). The script runs on both
servers from an empty key space and every reply, error texts included, must match.
"""
import socket
import unittest

from differential import AgainstRedisTestCase, call, raw_client

A, B = "A", "B"


# Typed replies (differential.typed): simple strings and RESP2's null array keep their type.
OK, QUEUED, PONG = ("+", b"OK"), ("+", b"QUEUED"), ("+", b"PONG")
NULL_ARRAY = ("*", None)  # EXEC of an aborted transaction


def err(text):
    """An error reply as differential.typed gives it: its whole text."""
    return ("error", text)


def run_script(port, script):
    conns = {A: raw_client(port), B: raw_client(port)}
    try:
        conns[A].execute_command("FLUSHALL")
        # Typed raw replies: +QUEUED, nested arrays, errors (also inside EXEC), whole texts.
        return [call(conns[who], args) for who, *args in script]
    finally:
        for c in conns.values():
            c.close()


class Transactions(AgainstRedisTestCase):
    def differential(self, script, expected=None):
        """Runs `script` on both servers; asserts equal replies (and `expected` if given)."""
        theirs = run_script(self.redis.port, script)
        mine = run_script(self.node.port, script)
        for i, (step, m, t) in enumerate(zip(script, mine, theirs)):
            self.assertEqual(m, t, f"step {i} {step!r}: petacore {m!r} != redis {t!r}\n"
                                   f"petacore: {mine!r}\nredis:    {theirs!r}")
        self.assertEqual(len(mine), len(theirs))
        if expected is not None:
            self.assertEqual(mine, expected)
        return mine

    def test_queued_and_exec(self):
        self.differential([
            (A, "MULTI"), (A, "SET", "a", "1"), (A, "INCR", "a"), (A, "GET", "a"),
            (A, "MGET", "a", "nope"), (A, "PING"), (A, "ECHO", "hi"), (A, "EXEC"),
            (A, "GET", "a"),
        ], [OK, QUEUED, QUEUED, QUEUED, QUEUED, QUEUED, QUEUED,
            [OK, 2, b"2", [b"2", None], PONG, b"hi"], b"2"])

    def test_empty_exec(self):
        self.differential([(A, "MULTI"), (A, "EXEC")], [OK, []])

    def test_runtime_error_inside_exec(self):
        replies = self.differential([
            (A, "SET", "s", "abc"), (A, "MULTI"), (A, "SET", "t", "1"), (A, "INCR", "s"),
            (A, "APPEND", "s", "x"), (A, "INCRBYFLOAT", "s", "1"), (A, "SET", "u", "v", "FOO"),
            (A, "INCR", "t"), (A, "EXEC"), (A, "GET", "t"), (A, "GET", "s"), (A, "EXISTS", "u"),
        ])
        exec_reply = replies[8]
        self.assertEqual(exec_reply[0], OK)
        self.assertEqual(exec_reply[1], err("ERR value is not an integer or out of range"))
        self.assertEqual(exec_reply[2], 4)
        self.assertEqual(exec_reply[3], err("ERR value is not a valid float"))
        self.assertEqual(exec_reply[4], err("ERR syntax error"))
        self.assertEqual(exec_reply[5], 2)
        self.assertEqual(replies[9:], [b"2", b"abcx", 0])

    def test_execabort_after_unknown_command(self):
        self.differential([
            (A, "MULTI"), (A, "SET", "a", "1"), (A, "NOSUCHCMD", "x"), (A, "SET", "b", "2"),
            (A, "EXEC"), (A, "EXISTS", "a", "b"), (A, "EXEC"),
        ], [OK, QUEUED,
            err("ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' "), QUEUED,
            err("EXECABORT Transaction discarded because of previous errors."), 0,
            err("ERR EXEC without MULTI")])

    def test_execabort_after_wrong_arity(self):
        self.differential([
            (A, "MULTI"), (A, "SET", "b", "1"), (A, "GET"), (A, "INCR", "b", "c"), (A, "EXEC"),
            (A, "EXISTS", "b"), (A, "MULTI"), (A, "SET", "b", "1"), (A, "EXEC"),
        ], [OK, QUEUED, err("ERR wrong number of arguments for 'get' command"),
            err("ERR wrong number of arguments for 'incr' command"),
            err("EXECABORT Transaction discarded because of previous errors."), 0,
            OK, QUEUED, [OK]])

    def test_execabort_exact_text_on_the_wire(self):
        for port in (self.node.port, self.redis.port):
            with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
                s.sendall(b"MULTI\r\nFOO\r\nEXEC\r\n")
                data = b""
                while data.count(b"\r\n") < 3:
                    chunk = s.recv(4096)
                    self.assertTrue(chunk)
                    data += chunk
            self.assertEqual(data, b"+OK\r\n-ERR unknown command 'FOO', with args beginning "
                                   b"with: \r\n-EXECABORT Transaction discarded because of "
                                   b"previous errors.\r\n")

    def test_nested_multi(self):
        self.differential([
            (A, "MULTI"), (A, "MULTI"), (A, "SET", "c", "1"), (A, "EXEC"), (A, "GET", "c"),
        ], [OK, err("ERR MULTI calls can not be nested"), QUEUED, [OK], b"1"])

    def test_exec_and_discard_without_multi(self):
        self.differential([(A, "EXEC"), (A, "DISCARD"), (A, "UNWATCH")],
                          [err("ERR EXEC without MULTI"), err("ERR DISCARD without MULTI"),
                           OK])

    def test_discard(self):
        self.differential([
            (A, "MULTI"), (A, "SET", "x", "1"), (A, "DISCARD"), (A, "GET", "x"),
            (A, "EXEC"), (A, "DISCARD"),
        ], [OK, QUEUED, OK, None, err("ERR EXEC without MULTI"),
            err("ERR DISCARD without MULTI")])

    def test_watch_inside_multi(self):
        self.differential([
            (A, "MULTI"), (A, "WATCH", "a"), (A, "SET", "a", "1"), (A, "EXEC"),
        ], [OK, err("ERR WATCH inside MULTI is not allowed"), QUEUED, [OK]])

    def test_watch_modified_by_another_connection(self):
        self.differential([
            (A, "SET", "w", "0"), (A, "WATCH", "w"), (B, "SET", "w", "other"), (A, "MULTI"),
            (A, "SET", "w", "mine"), (A, "INCR", "n"), (A, "EXEC"), (A, "GET", "w"),
            (A, "EXISTS", "n"),
            # The failed EXEC cleared the watch: the next transaction runs.
            (A, "MULTI"), (A, "SET", "w", "again"), (A, "EXEC"), (B, "GET", "w"),
        ], [OK, OK, OK, OK, QUEUED, QUEUED, NULL_ARRAY, b"other", 0,
            OK, QUEUED, [OK], b"again"])

    def test_watch_missing_key_created_by_another(self):
        self.differential([
            (A, "WATCH", "w"), (B, "SET", "w", "x"), (A, "MULTI"), (A, "SET", "w", "y"),
            (A, "EXEC"), (A, "GET", "w"),
        ], [OK, OK, OK, QUEUED, NULL_ARRAY, b"x"])

    def test_watch_same_value_rewritten(self):
        self.differential([
            (A, "SET", "w", "v"), (A, "WATCH", "w"), (B, "SET", "w", "v"), (A, "MULTI"),
            (A, "GET", "w"), (A, "EXEC"),
        ], [OK, OK, OK, OK, QUEUED, NULL_ARRAY])

    def test_watch_deleted_by_another(self):
        self.differential([
            (A, "SET", "w", "v"), (A, "WATCH", "w"), (B, "DEL", "w"), (A, "MULTI"),
            (A, "SET", "w", "z"), (A, "EXEC"), (A, "EXISTS", "w"),
        ], [OK, OK, 1, OK, QUEUED, NULL_ARRAY, 0])

    def test_watch_flushed_by_another(self):
        self.differential([
            (A, "SET", "w", "v"), (A, "WATCH", "w"), (B, "FLUSHALL"), (A, "MULTI"),
            (A, "SET", "w", "z"), (A, "EXEC"),
        ], [OK, OK, OK, OK, QUEUED, NULL_ARRAY])

    def test_watch_modified_by_self(self):
        self.differential([
            (A, "SET", "w", "v"), (A, "WATCH", "w"), (A, "APPEND", "w", "x"), (A, "MULTI"),
            (A, "GET", "w"), (A, "EXEC"),
        ], [OK, OK, 2, OK, QUEUED, NULL_ARRAY])

    def test_watch_unchanged_runs(self):
        self.differential([
            (A, "SET", "w", "v"), (A, "WATCH", "w", "missing"), (B, "GET", "w"),
            (B, "SET", "unrelated", "1"), (A, "MULTI"), (A, "APPEND", "w", "2"),
            (A, "SET", "missing", "now"), (A, "EXEC"), (A, "MGET", "w", "missing"),
        ], [OK, OK, b"v", OK, OK, QUEUED, QUEUED, [2, OK],
            [b"v2", b"now"]])

    def test_watch_other_db_same_name(self):
        self.differential([
            (A, "SELECT", "1"), (A, "SET", "w", "1"), (A, "WATCH", "w"), (B, "SET", "w", "db0"),
            (A, "MULTI"), (A, "INCR", "w"), (A, "EXEC"),
        ], [OK, OK, OK, OK, OK, QUEUED, [2]])

    def test_unwatch(self):
        self.differential([
            (A, "SET", "w", "v"), (A, "WATCH", "w"), (B, "SET", "w", "b"), (A, "UNWATCH"),
            (A, "MULTI"), (A, "SET", "w", "a"), (A, "EXEC"), (A, "GET", "w"),
        ], [OK, OK, OK, OK, OK, QUEUED, [OK], b"a"])

    def test_unwatch_queued_inside_multi(self):
        # UNWATCH inside MULTI is queued: the watch still guards this EXEC.
        self.differential([
            (A, "SET", "w", "v"), (A, "WATCH", "w"), (B, "SET", "w", "b"), (A, "MULTI"),
            (A, "UNWATCH"), (A, "SET", "w", "a"), (A, "EXEC"), (A, "GET", "w"),
        ], [OK, OK, OK, OK, QUEUED, QUEUED, NULL_ARRAY, b"b"])

    def test_discard_clears_watches(self):
        self.differential([
            (A, "SET", "w", "v"), (A, "WATCH", "w"), (B, "SET", "w", "b"), (A, "MULTI"),
            (A, "SET", "w", "x"), (A, "DISCARD"), (A, "MULTI"), (A, "SET", "w", "a"),
            (A, "EXEC"), (A, "GET", "w"),
        ], [OK, OK, OK, OK, QUEUED, OK, OK, QUEUED, [OK], b"a"])

    def test_execabort_clears_watches(self):
        self.differential([
            (A, "SET", "w", "v"), (A, "WATCH", "w"), (B, "SET", "w", "b"), (A, "MULTI"),
            (A, "BADCMD"), (A, "EXEC"), (A, "MULTI"), (A, "SET", "w", "a"), (A, "EXEC"),
        ])

    def test_select_inside_multi(self):
        self.differential([
            (A, "SET", "k", "db0"), (A, "MULTI"), (A, "SELECT", "2"), (A, "SET", "k", "db2"),
            (A, "GET", "k"), (A, "SELECT", "99"), (A, "DBSIZE"), (A, "EXEC"),
            (A, "GET", "k"), (A, "SELECT", "0"), (A, "GET", "k"),
        ], [OK, OK, QUEUED, QUEUED, QUEUED, QUEUED, QUEUED,
            [OK, OK, b"db2", err("ERR DB index is out of range"), 1],
            b"db2", OK, b"db0"])

    def test_queued_writes_invisible_until_exec(self):
        self.differential([
            (A, "MULTI"), (A, "SET", "m", "1"), (B, "GET", "m"), (B, "SET", "m", "b"),
            (A, "INCR", "m"), (A, "EXEC"), (B, "GET", "m"),
        ], [OK, QUEUED, None, OK, QUEUED, [OK, 2], b"2"])

    def test_flush_and_dbsize_inside_multi(self):
        self.differential([
            (A, "MSET", "a", "1", "b", "2"), (A, "MULTI"), (A, "DBSIZE"), (A, "FLUSHDB"),
            (A, "DBSIZE"), (A, "SET", "c", "3"), (A, "KEYS", "*"), (A, "EXEC"),
        ], [OK, OK, QUEUED, QUEUED, QUEUED, QUEUED, QUEUED,
            [2, OK, 0, OK, [b"c"]]])

    def test_watch_missing_key_then_flushdb(self):
        # A missing watched key is not touched by a flush (Redis 7.0): EXEC runs.
        self.differential([
            (A, "WATCH", "gone"), (B, "SET", "other", "1"), (B, "FLUSHDB"), (A, "MULTI"),
            (A, "SET", "gone", "1"), (A, "EXEC"),
        ], [OK, OK, OK, OK, QUEUED, [OK]])

    # Known deviation (docs/consistency.md): etcd keeps no trace of a key created and deleted
    # again, so a WATCHed absent key that comes and goes reads as unchanged. This test flips to
    # "unexpected success" (a failure) if that ever changes, so the doc gets updated.
    @unittest.expectedFailure
    def test_watch_missing_key_created_and_deleted_by_another(self):
        self.differential([
            (A, "WATCH", "w"), (B, "SET", "w", "x"), (B, "DEL", "w"), (A, "MULTI"),
            (A, "SET", "w", "y"), (A, "EXEC"), (A, "GET", "w"),
        ], [OK, OK, 1, OK, QUEUED, NULL_ARRAY, None])


if __name__ == "__main__":
    unittest.main()
