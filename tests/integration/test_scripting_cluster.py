"""Scripts across nodes and busy scripts (issue 14): two PetaCore nodes (A, B; --threads 2
each) on one etcd.

- Atomicity across nodes: concurrent read-modify-write scripts from A and B lose no update; a
  script on A and WATCH/MULTI/EXEC on B over the same keys never interleave; keys a script
  reads without declaring them in KEYS are covered by its commit like declared ones.
- Busy scripts: past busy-reply-threshold every other client of the node — on both io
  threads — gets Redis's BUSY reply, SCRIPT KILL (sent from a connection on the busy
  script's own io thread, or on the other) stops a script that has not written, one that has
  written is UNKILLABLE, and SIGTERM still stops a node whose busy script cannot be killed;
  the same with --threads 1 (BusyScriptOneThread); the replies of a busy session are compared
  byte for byte with redis-server 7.0.15's (BusyAgainstRedis).
- Linearizable scripts: under `linearizable` read consistency a script's reads are fenced
  like a linearizable GET (EVAL_RO, EVALSHA_RO, and EVAL / EVALSHA that write nothing).

Connections are raw sockets (resp_wire.WireConn) opened one after another: the server
spreads connections over its io threads round-robin, so consecutive connections alternate
between the two threads.
"""
import signal
import subprocess
import threading
import time
import unittest

import redis

import harness
from differential import ReplicatedTestCase
from harness import Node, RealRedis, wait_for
from resp_wire import WireConn

INCR_SCRIPT = ("local v = redis.call('GET', KEYS[1]) or '0'\n"
               "redis.call('SET', KEYS[1], tostring(tonumber(v) + 1))\n"
               "return tonumber(v) + 1")

BUSY = (b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or "
        b"SHUTDOWN NOSAVE.\r\n")
UNKILLABLE = (b"-UNKILLABLE Sorry the script already executed write commands against the "
              b"dataset. You can either wait the script termination or kill the server in a "
              b"hard way using the SHUTDOWN NOSAVE command.\r\n")


def call(conn, *args):
    conn.send(*args)
    value = conn.read_value(time.monotonic() + 30)
    if value is None:
        raise AssertionError(f"no reply to {args!r} within 30 s")
    return value


class ScriptThread(threading.Thread):
    """Sends one command on its own connection and keeps its raw reply."""

    def __init__(self, conn, *args):
        super().__init__(daemon=True)
        self.conn, self.args, self.reply = conn, args, None

    def run(self):
        self.conn.send(*self.args)
        self.reply = self.conn.read_value(time.monotonic() + 120)


def run_workers(workers):
    errors = []

    def wrap(fn):
        def body():
            try:
                fn()
            except Exception as e:  # noqa: BLE001 - reported by the assertion below
                errors.append(repr(e))
        return body

    threads = [threading.Thread(target=wrap(w), daemon=True) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "workers did not finish"
    return errors


class ScriptsAcrossNodes(ReplicatedTestCase):
    def setUp(self):
        self.flush_replicated()

    def tearDown(self):
        for node in (self.a, self.b):
            node.client().config_set("busy-reply-threshold", 5000)

    # -- atomicity across nodes ---------------------------------------------------------------

    def test_2x500_concurrent_increment_scripts_give_exactly_1000(self):
        per_node, conns_per_node = 500, 5

        def worker(node):
            def body():
                c = node.client()
                sha = None
                for i in range(per_node // conns_per_node):
                    if i % 2 == 0:
                        c.execute_command("EVAL", INCR_SCRIPT, 1, "counter")
                    else:
                        sha = sha or c.execute_command("SCRIPT", "LOAD", INCR_SCRIPT).decode()
                        c.execute_command("EVALSHA", sha, 1, "counter")
                c.close()
            return body

        errors = run_workers([worker(n) for n in (self.a, self.b) for _ in range(conns_per_node)])
        self.assertEqual(errors, [])
        # Each node's replica may lag the other's last commits (local reads): wait for them.
        for node in (self.a, self.b):
            c = node.client()
            wait_for(lambda: c.get("counter") == b"1000", what=f"counter on port {node.port}")

    def test_script_on_a_and_exec_on_b_never_interleave(self):
        # Invariant: x == y. The script on A and the transaction on B each read both and
        # write both + 1; if either saw the other half-done, it would see x != y.
        self.a.client().mset({"x": 0, "y": 0})
        wait_for(lambda: self.b.client().get("y") == b"0", what="x, y on B")
        script = ("local x = tonumber(redis.call('GET', KEYS[1]))\n"
                  "local y = tonumber(redis.call('GET', KEYS[2]))\n"
                  "if x ~= y then return redis.error_reply('INTERLEAVED ' .. x .. ' ' .. y) end\n"
                  "redis.call('SET', KEYS[1], x + 1)\n"
                  "redis.call('SET', KEYS[2], y + 1)\n"
                  "return x + 1")
        rounds = 150
        done = {"script": 0, "exec": 0}
        seen = []

        def scripts():
            c = self.a.client()
            for _ in range(rounds):
                c.execute_command("EVAL", script, 2, "x", "y")
                done["script"] += 1

        def transactions():
            c = self.b.client()
            for _ in range(rounds):
                while True:
                    with c.pipeline(transaction=True) as p:
                        p.watch("x", "y")
                        x, y = (int(v) for v in p.mget("x", "y"))  # one atomic read
                        if x != y:
                            seen.append((x, y))
                        p.multi()
                        p.set("x", x + 1)
                        p.set("y", y + 1)
                        try:
                            p.execute()
                            break
                        except redis.WatchError:
                            continue
                done["exec"] += 1

        def checker():
            # A script on B that only reads: it must never see x != y either.
            c = self.b.client()
            for _ in range(rounds):
                x, y = c.execute_command(
                    "EVAL_RO", "return {redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2])}",
                    2, "x", "y")
                if x != y:
                    seen.append((x, y))

        errors = run_workers([scripts, transactions, checker])
        self.assertEqual(errors, [])
        self.assertEqual(seen, [])
        total = done["script"] + done["exec"]
        self.assertEqual(total, 2 * rounds)
        # A's replica may not have applied B's last EXEC yet (local reads): wait for it.
        for node in (self.a, self.b):
            c = node.client()
            wait_for(lambda: c.mget("x", "y") == [str(total).encode()] * 2,
                     what=f"x == y == {total} on port {node.port}")

    def test_keys_not_in_keys_are_covered_by_the_commit(self):
        # The scripts declare no key; node B INCRs the same key meanwhile. A script read that
        # the commit did not compare would lose increments: the final value must be the
        # number of acknowledged increments. (Undeclared keys are not in the node's KeyLocks,
        # so under this contention a script or an INCR may exhaust its retries: it then has no effect
        # and is not counted.)
        script = ("local v = tonumber(redis.call('GET', 'undeclared') or '0')\n"
                  "redis.call('SET', 'undeclared', v + 1)\n"
                  "return v + 1")
        n = 200
        acked = []

        def scripts(node):
            def body():
                c = node.client()
                for _ in range(n):
                    try:
                        c.execute_command("EVAL", script, 0)
                        acked.append(1)
                    except redis.ResponseError as e:
                        if "commit conflict" not in str(e):
                            raise
            return body

        def incrs():
            c = self.b.client()
            for _ in range(n):
                try:
                    c.incr("undeclared")
                    acked.append(1)
                except redis.ResponseError as e:
                    if "commit conflict" not in str(e):
                        raise

        errors = run_workers([scripts(self.a), scripts(self.b), incrs])
        self.assertEqual(errors, [])
        self.assertGreater(len(acked), n)
        c = self.a.client()
        wait_for(lambda: c.get("undeclared") == str(len(acked)).encode(),
                 what=f"undeclared == {len(acked)} on A")

    # -- busy scripts -------------------------------------------------------------------------

    def wait_busy(self, conn):
        """Waits (bounded) until `conn` gets BUSY for PING."""
        deadline = time.monotonic() + 30
        while True:
            reply = call(conn, "PING")
            if reply == BUSY:
                return
            self.assertEqual(reply, b"+PONG\r\n")
            self.assertLess(time.monotonic(), deadline, "the script never became busy")
            time.sleep(0.02)

    def test_script_kill_and_busy_replies_on_both_io_threads(self):
        self.a.client().config_set("busy-reply-threshold", 50)
        # Round 1: the killer is the next connection (the other io thread); round 2: the
        # second next (the script's own io thread, which only its event pump can serve).
        for killer_index in (0, 1):
            with self.subTest(killer_index=killer_index):
                runner = WireConn(self.a.port)
                others = [WireConn(self.a.port) for _ in range(4)]
                script = ScriptThread(runner, "EVAL",
                                      "local v = redis.call('GET', KEYS[1]) while true do end",
                                      1, "k")
                script.start()
                self.wait_busy(others[0])
                for c in others:
                    self.assertEqual(call(c, "PING"), BUSY)
                    self.assertEqual(call(c, "GET", "k"), BUSY)
                    self.assertEqual(call(c, "EVAL", "return 1", 0), BUSY)
                # MULTI is allow-busy; a refused command inside it aborts EXEC.
                c = others[2]
                self.assertEqual(call(c, "MULTI"), b"+OK\r\n")
                self.assertEqual(call(c, "SET", "k", "v"), BUSY)
                # Node B is not busy.
                self.assertTrue(self.b.client().ping())
                self.assertEqual(call(others[killer_index], "SCRIPT", "KILL"), b"+OK\r\n")
                script.join(timeout=60)
                self.assertFalse(script.is_alive())
                self.assertTrue(script.reply.startswith(
                    b"-ERR Script killed by user with SCRIPT KILL... script: "), script.reply)
                self.assertIn(b"on @user_script:1.", script.reply)
                self.assertTrue(call(c, "EXEC").startswith(b"-EXECABORT"))
                for conn in others:
                    self.assertEqual(call(conn, "PING"), b"+PONG\r\n")
                self.assertEqual(call(others[1], "SCRIPT", "KILL"),
                                 b"-NOTBUSY No scripts in execution right now.\r\n")
                for conn in [runner, *others]:
                    conn.close()

    def test_a_script_that_wrote_is_unkillable(self):
        self.a.client().config_set("busy-reply-threshold", 50)
        # Writes, then spins for 10 s of server time (bounded, so the test ends by itself).
        body = ("redis.call('SET', KEYS[1], 'written')\n"
                "local t = redis.call('TIME')\n"
                "local stop = tonumber(t[1]) + 10\n"
                "while tonumber(redis.call('TIME')[1]) < stop do end\n"
                "return 'done'")
        runner, other = WireConn(self.a.port), WireConn(self.a.port)
        script = ScriptThread(runner, "EVAL", body, 1, "w")
        script.start()
        self.wait_busy(other)
        self.assertEqual(call(other, "SCRIPT", "KILL"), UNKILLABLE)
        script.join(timeout=60)
        self.assertEqual(script.reply, b"$4\r\ndone\r\n")
        self.assertEqual(call(other, "GET", "w"), b"$7\r\nwritten\r\n")
        runner.close()
        other.close()

    def test_a_killed_script_leaves_no_effect_and_the_node_keeps_serving_scripts(self):
        self.a.client().config_set("busy-reply-threshold", 50)
        for body in ["while true do end",
                     "while true do pcall(function() while true do end end) end",
                     "local ok = pcall(function() while true do end end) return 'survived'"]:
            with self.subTest(script=body):
                runner, other = WireConn(self.a.port), WireConn(self.a.port)
                script = ScriptThread(runner, "EVAL", body, 0)
                script.start()
                self.wait_busy(other)
                self.assertEqual(call(other, "SCRIPT", "KILL"), b"+OK\r\n")
                script.join(timeout=60)
                self.assertTrue(script.reply.startswith(
                    b"-ERR Script killed by user with SCRIPT KILL..."), script.reply)
                self.assertEqual(call(runner, "EVAL", "return 'still serving'", 0),
                                 b"$13\r\nstill serving\r\n")
                runner.close()
                other.close()

    # -- linearizable scripts -----------------------------------------------------------------

    def test_linearizable_scripts_see_writes_acknowledged_on_the_other_node(self):
        ca, cb = self.a.client(), self.b.client()
        cb.execute_command("PETACORE", "READCONSISTENCY", "LINEARIZABLE")
        get = "return redis.call('GET', KEYS[1])"
        sha = cb.execute_command("SCRIPT", "LOAD", get).decode()
        fetches = lambda: int(cb.info("petacore")["read_barrier_fetches"])  # noqa: E731
        before = fetches()
        for i in range(100):
            ca.set("lin", i)
            want = str(i).encode()
            self.assertEqual(cb.execute_command("EVAL_RO", get, 1, "lin"), want, f"round {i}")
            self.assertEqual(cb.execute_command("EVALSHA_RO", sha, 1, "lin"), want, f"round {i}")
            # EVAL / EVALSHA that write nothing answer from reads no commit re-checks.
            self.assertEqual(cb.execute_command("EVAL", get, 1, "lin"), want, f"round {i}")
            self.assertEqual(cb.execute_command("EVALSHA", sha, 1, "lin"), want, f"round {i}")
        self.assertGreaterEqual(fetches() - before, 400)


class BusyAgainstRedis(unittest.TestCase):
    """The same busy-script session on redis-server 7.0.15 and on a standalone PetaCore node:
    every reply (BUSY, MULTI and EXECABORT, SCRIPT KILL, the killed script's error, NOTBUSY,
    UNKILLABLE) must be the same bytes."""

    @classmethod
    def setUpClass(cls):
        cls.redis = RealRedis()
        cls.node = Node()

    @classmethod
    def tearDownClass(cls):
        cls.redis.close()
        cls.node.close()

    def session(self, port, body, kill_first):
        runner, other, third = WireConn(port), WireConn(port), WireConn(port)
        call(other, "CONFIG", "SET", "busy-reply-threshold", "50")
        script = ScriptThread(runner, "EVAL", body, 1, "w")
        script.start()
        deadline = time.monotonic() + 30
        while call(other, "PING") != BUSY:
            self.assertLess(time.monotonic(), deadline, "the script never became busy")
            time.sleep(0.02)
        # (FUNCTION KILL joins when FUNCTION lands: lua::KillBusy(true) answers as Redis.)
        replies = [call(third, "GET", "w"), call(third, "MULTI"), call(third, "SET", "w", "x")]
        if kill_first:
            replies.append(call(other, "SCRIPT", "KILL"))
        script.join(timeout=60)
        self.assertFalse(script.is_alive())
        replies += [script.reply, call(third, "EXEC"), call(other, "SCRIPT", "KILL"),
                    call(other, "GET", "w")]
        call(other, "CONFIG", "SET", "busy-reply-threshold", "5000")
        for c in (runner, other, third):
            c.close()
        return replies

    def test_a_killed_read_only_script(self):
        body = "local v = redis.call('GET', KEYS[1]) while true do end"
        self.assertEqual(self.session(self.node.port, body, True),
                         self.session(self.redis.port, body, True))

    def test_an_unkillable_script(self):
        # Writes, then spins for 5 s of server time; SCRIPT KILL meanwhile is UNKILLABLE.
        body = ("redis.call('SET', KEYS[1], 'written')\n"
                "local stop = tonumber(redis.call('TIME')[1]) + 5\n"
                "while tonumber(redis.call('TIME')[1]) < stop do end\n"
                "return 'done'")
        ours = self.session(self.node.port, body, True)
        self.assertEqual(ours, self.session(self.redis.port, body, True))
        self.assertIn(UNKILLABLE, ours)


class SingleThreadNode(Node):
    """A standalone node with --threads 1: every connection shares the busy script's thread,
    which serves them only through its event pump."""

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([harness.SERVER, "--port", str(self.port), "--threads", "1"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(lambda: self.client().ping(), what=f"petacore on {self.port}")


class BusyScriptOneThread(unittest.TestCase):
    """--threads 1: BUSY replies and SCRIPT KILL reach the clients of the busy script's own
    (only) thread; SIGTERM stops a node whose busy script has written (the only way out, as
    Redis's SHUTDOWN NOSAVE; PetaCore has no SHUTDOWN command)."""

    def setUp(self):
        self.node = SingleThreadNode()
        self.node.client().config_set("busy-reply-threshold", 50)

    def tearDown(self):
        self.node.close()

    def start_busy(self, body):
        runner, other = WireConn(self.node.port), WireConn(self.node.port)
        script = ScriptThread(runner, "EVAL", body, 1, "k")
        script.start()
        deadline = time.monotonic() + 30
        while call(other, "PING") != BUSY:
            self.assertLess(time.monotonic(), deadline, "the script never became busy")
            time.sleep(0.02)
        return runner, other, script

    def test_script_kill_on_one_thread(self):
        runner, other, script = self.start_busy("while true do end")
        third = WireConn(self.node.port)
        self.assertEqual(call(third, "GET", "k"), BUSY)
        self.assertEqual(call(other, "SCRIPT", "KILL"), b"+OK\r\n")
        script.join(timeout=60)
        self.assertTrue(script.reply.startswith(b"-ERR Script killed by user with SCRIPT KILL"),
                        script.reply)
        self.assertEqual(call(third, "PING"), b"+PONG\r\n")
        for c in (runner, other, third):
            c.close()

    def test_sigterm_stops_a_node_with_an_unkillable_script(self):
        runner, other, script = self.start_busy("redis.call('SET', KEYS[1], 'v') while true do end")
        self.assertEqual(call(other, "SCRIPT", "KILL"), UNKILLABLE)
        self.node.proc.send_signal(signal.SIGTERM)
        self.node.proc.wait(timeout=30)  # raises if the node does not stop
        runner.close()
        other.close()


if __name__ == "__main__":
    unittest.main()
