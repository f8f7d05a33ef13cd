"""Observability against redis-server 7.0.15: SLOWLOG, LATENCY, MONITOR, MEMORY, INFO
commandstats / errorstats / latencystats, redis-cli --bigkeys / --memkeys.

Times, durations, ports and allocator figures differ between the two servers by nature; the
tests compare what must be equal (argument lists, names, field sets, counts, error texts,
reply shapes as RESP types) and only bound the rest. The same commands are sent to both.
"""
import re
import subprocess
import time
import unittest

from differential import RawAgainstRedisTestCase, ReplicatedTestCase
from harness import wait_for
from resp_wire import WireConn

SLOW_LUA = "local i = 0 while i < 3000000 do i = i + 1 end return i"


def shape(node):
    """A raw reply tree (resp_wire.parse) with each leaf's value dropped: the RESP shape."""
    kind, value = node
    if isinstance(value, list):
        return (kind, [shape(v) for v in value])
    return kind


def plain(node):
    """A raw reply tree as Python values: ints, bytes, lists, dicts (RESP3 maps), None, and
    ("error", text) for errors; verbatim strings lose their "txt:" prefix."""
    kind, value = node
    if value is None:
        return None
    if kind == b":":
        return int(value)
    if kind == b",":
        return float(value)
    if kind == b"-":
        return ("error", value)
    if kind == b"=":
        return value[4:]
    if kind == b"%":
        items = [plain(v) for v in value]
        return dict(zip(items[::2], items[1::2]))
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def info_section(conn, section):
    """INFO `section` as {name: value} (values as text)."""
    text = plain(conn.call("INFO", section)[1]).decode()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#") and ":" in line:
            k, v = line.split(":", 1)
            out[k] = v
    return out


def fields(value):
    """"a=1,b=2" -> {"a": "1", "b": "2"}."""
    return dict(kv.split("=", 1) for kv in value.split(","))


class ObservabilityAgainstRedis(RawAgainstRedisTestCase):

    def trees(self, *args, conns=None):
        """((PetaCore's tree, Redis's tree), (PetaCore's value, Redis's value)) of args."""
        (_, got), (_, want) = self.both_trees(*args, conns=conns)
        return (got, want), (plain(got), plain(want))

    def both_config(self, *pairs):
        for name, value in pairs:
            self.same("CONFIG", "SET", name, value)

    def tearDown(self):
        self.both_config(("slowlog-log-slower-than", "10000"), ("slowlog-max-len", "128"),
                         ("latency-monitor-threshold", "0"), ("latency-tracking", "yes"),
                         ("latency-tracking-info-percentiles", "50 99 99.9"))
        super().tearDown()

    # --- SLOWLOG -------------------------------------------------------------------------

    def slowlog_args(self, conn, count="-1"):
        tree = plain(conn.call("SLOWLOG", "GET", count)[1])
        for entry in tree:
            self.assertEqual(len(entry), 6)
            self.assertIsInstance(entry[0], int)
            self.assertIsInstance(entry[1], int)
            self.assertIsInstance(entry[2], int)
            self.assertGreaterEqual(entry[2], 0)
            self.assertRegex(entry[4], rb"^127\.0\.0\.1:\d+$")
        return [(e[3], e[5]) for e in tree]

    def test_slowlog_entries_and_truncation(self):
        self.both_config(("slowlog-log-slower-than", "0"))
        self.same("CLIENT", "SETNAME", "observer")
        self.same("SLOWLOG", "RESET")
        self.same("SET", "k", "v")
        self.same("RPUSH", "l", *[str(i) for i in range(40)])   # 42 args: cut at 32
        self.same("SET", "long", "x" * 300)                     # cut at 128 bytes
        self.same("GET", "nokey")
        got, want = self.slowlog_args(self.pc), self.slowlog_args(self.rr)
        self.assertEqual(got, want)
        rpush = next(a for a, _ in got if a[0] == b"RPUSH")
        self.assertEqual(len(rpush), 32)
        self.assertEqual(rpush[-1], b"... (11 more arguments)")
        self.assertEqual(got[0][1], b"observer")
        long = next(a for a, _ in got if a[:2] == [b"SET", b"long"])
        self.assertEqual(long[2], b"x" * 128 + b"... (172 more bytes)")
        self.same("SLOWLOG", "LEN")
        got, want = self.slowlog_args(self.pc, "1"), self.slowlog_args(self.rr, "1")
        self.assertEqual(got, want)
        self.assertEqual(len(got), 1)
        # Off: nothing more is logged.
        self.both_config(("slowlog-log-slower-than", "-1"))
        self.same("SLOWLOG", "RESET")
        self.same("SET", "k", "v2")
        self.same("SLOWLOG", "LEN")

    def test_slowlog_max_len_and_errors(self):
        self.both_config(("slowlog-log-slower-than", "0"), ("slowlog-max-len", "3"))
        for i in range(6):
            self.same("SET", f"k{i}", "v")
        self.same("SLOWLOG", "LEN")
        self.assertEqual(self.slowlog_args(self.pc), self.slowlog_args(self.rr))
        self.both_config(("slowlog-max-len", "0"))
        self.same("SET", "x", "1")
        self.same("SLOWLOG", "LEN")
        for args in [("SLOWLOG", "GET", "-2"), ("SLOWLOG", "GET", "abc"),
                     ("SLOWLOG", "GET", "1", "2"), ("SLOWLOG", "LEN", "x"),
                     ("SLOWLOG", "RESET", "x"), ("SLOWLOG", "foo"), ("SLOWLOG",),
                     ("SLOWLOG", "HELP"), ("SLOWLOG", "help", "x"),
                     ("CONFIG", "SET", "slowlog-log-slower-than", "-2"),
                     ("CONFIG", "SET", "slowlog-max-len", "-1"),
                     ]:
            self.same(*args)
        _, (got, want) = self.trees("CONFIG", "GET", "slowlog-*")
        self.assertEqual(dict(zip(got[::2], got[1::2])), dict(zip(want[::2], want[1::2])))

    # --- LATENCY -------------------------------------------------------------------------

    def test_latency_events(self):
        self.same("LATENCY", "RESET")
        self.same("LATENCY", "DOCTOR")  # disabled: Redis's text
        self.both_config(("latency-monitor-threshold", "5000"))
        self.same("LATENCY", "DOCTOR")  # enabled, nothing yet (no command takes 5 s)
        self.both_config(("latency-monitor-threshold", "1"))
        self.same("EVAL", SLOW_LUA, "0")
        (tg, tw), (got, want) = self.trees("LATENCY", "LATEST")
        # Each entry [event, time, latest ms, max ms]; under load another command may also
        # pass 1 ms (on either server), so "command" must be there, others may.
        self.assertEqual(set(repr(shape(e)) for e in tg[1]), set(repr(shape(e)) for e in tw[1]))
        for events in (got, want):
            self.assertIn(b"command", [e[0] for e in events])
        self.assertGreaterEqual(dict((e[0], e[3]) for e in got)[b"command"], 1)
        (tg, tw), _ = self.trees("LATENCY", "HISTORY", "command")
        self.assertEqual(shape(tg), shape(tw))
        for conn in (self.pc, self.rr):
            doctor = plain(conn.call("LATENCY", "DOCTOR")[1])
            self.assertRegex(doctor, rb"\d\. command: \d+ latency spikes \(average \d+ms, "
                                     rb"mean deviation \d+ms, period [\d.]+ sec\)")
            graph = plain(conn.call("LATENCY", "GRAPH", "command")[1])
            self.assertTrue(graph.startswith(b"command - high "), graph)
        for args in [("LATENCY", "HISTORY", "nosuch"), ("LATENCY", "GRAPH", "nosuch"),
                     ("LATENCY", "RESET", "nosuch"), ("LATENCY", "RESET", "command", "x"),
                     ("LATENCY", "LATEST"), ("LATENCY", "RESET"), ("LATENCY", "foo"),
                     ("LATENCY", "HISTORY"), ("LATENCY", "LATEST", "x"), ("LATENCY", "HELP"),
                     ("CONFIG", "SET", "latency-monitor-threshold", "-1"),
                     ]:
            self.same(*args)
        _, (got, want) = self.trees("CONFIG", "GET", "latency-*")
        self.assertEqual(dict(zip(got[::2], got[1::2])), dict(zip(want[::2], want[1::2])))

    def test_latency_histogram_and_info(self):
        self.same("CONFIG", "RESETSTAT")
        for i in range(5):
            self.same("SET", f"k{i}", "v")
        self.same("GET", "k1")
        self.same("HSET", "h", "f", "v")
        self.same("CONFIG", "GET", "maxmemory")
        for args in [("MULTI",), ("HINCRBY", "h2", "n", "1"), ("HINCRBY", "k1", "n", "1"),
                     ("EXEC",), ("MULTI",), ("INCR",), ("EXEC",)]:
            self.same(*args)
        for args in [("GET", "h"), ("INCR",), ("NOSUCHCMD",), ("HGET", "k1", "f"),
                     ("CONFIG", "GET"), ("CONFIG", "NOPE"), ("INCR", "k1")]:
            self.same(*args)
        for protocol in (2, 3):
            conns = self.pair(protocol)
            (tg, tw), (got, want) = self.trees("LATENCY", "HISTOGRAM", "set", "get", "config",
                                               "nosuch", conns=conns)
            self.assertEqual(tg[0], tw[0])
            # Subcommands come in hash order in Redis: compared as sets.
            self.assertEqual(sorted(got) if isinstance(got, dict) else sorted(got[::2]),
                             sorted(want) if isinstance(want, dict) else sorted(want[::2]))
            if protocol == 3:
                for name in (b"set", b"get", b"config|get"):
                    self.assertEqual(sorted(got[name]), sorted(want[name]))
                    self.assertEqual(got[name][b"calls"], want[name][b"calls"])
                    self.assertEqual(shape(got[name]), shape(want[name]))
                _, (got, want) = self.trees("LATENCY", "HISTOGRAM", conns=conns)
                self.assertEqual(set(got), set(want))
        got, want = info_section(self.pc, "commandstats"), info_section(self.rr, "commandstats")
        self.assertEqual(set(got), set(want))
        for name in got:
            g, w = fields(got[name]), fields(want[name])
            self.assertEqual(list(g), list(w), name)
            for f in ("calls", "rejected_calls", "failed_calls"):
                if name != "cmdstat_info":
                    self.assertEqual(g[f], w[f], f"{name} {f}")
        self.assertEqual(info_section(self.pc, "errorstats"), info_section(self.rr, "errorstats"))
        got, want = info_section(self.pc, "latencystats"), info_section(self.rr, "latencystats")
        self.assertEqual(set(got), set(want))
        for name in got:
            self.assertEqual(list(fields(got[name])), list(fields(want[name])))
        got, want = info_section(self.pc, "stats"), info_section(self.rr, "stats")
        for f in ("total_error_replies", "unexpected_error_replies"):
            self.assertEqual(got[f], want[f], f)
        self.both_config(("latency-tracking-info-percentiles", "50 99.5 100"))
        self.same("CONFIG", "GET", "latency-tracking-info-percentiles")
        got = info_section(self.pc, "latencystats")["latency_percentiles_usec_set"]
        self.assertEqual(list(fields(got)), ["p50", "p99.5", "p100"])
        for args in [("CONFIG", "SET", "latency-tracking-info-percentiles", "101"),
                     ("CONFIG", "SET", "latency-tracking-info-percentiles", "abc"),
                     ("CONFIG", "SET", "latency-tracking", "maybe")]:
            self.same(*args)
        # latency-tracking off: no new histograms.
        self.both_config(("latency-tracking", "no"))
        self.same("CONFIG", "RESETSTAT")
        self.same("SET", "a", "b")
        self.same("LATENCY", "HISTOGRAM", "set")

    def test_keyspace_hits_and_misses(self):
        """INFO keyspace_hits / keyspace_misses count the key lookups of read-only commands
        (Redis's lookupKeyRead): writes, MEMORY USAGE and keyless reads count nothing."""
        self.same("FLUSHALL")
        self.same("SET", "s", "v")
        self.same("HSET", "h", "f", "v")
        self.same("SET", "gone", "v", "PX", "1")
        time.sleep(0.05)  # "gone" expired: a lookup of it is a miss on both
        self.same("CONFIG", "RESETSTAT")
        for args in [("GET", "s"), ("GET", "nope"), ("MGET", "s", "h", "nope", "s"),
                     ("EXISTS", "s", "nope"), ("TYPE", "h"), ("STRLEN", "nope"),
                     ("HGET", "h", "f"), ("HGET", "s", "f"), ("GET", "gone"), ("TTL", "s"),
                     ("SUNION", "nope", "nope2"), ("LRANGE", "s", "0", "-1"),
                     ("SET", "s", "v2"), ("INCR", "n"), ("APPEND", "s", "x"), ("DEL", "nope"),
                     ("DBSIZE",)]:
            self.same(*args)
        # Sizes and key order differ by design: not compared, but still no lookups counted.
        for conn in (self.pc, self.rr):
            for args in [("MEMORY", "USAGE", "s"), ("SCAN", "0"), ("KEYS", "*")]:
                conn.call(*args)
        got, want = info_section(self.pc, "stats"), info_section(self.rr, "stats")
        self.assertEqual((got["keyspace_hits"], got["keyspace_misses"]),
                         (want["keyspace_hits"], want["keyspace_misses"]))
        self.assertNotEqual(want["keyspace_hits"], "0")
        self.same("CONFIG", "RESETSTAT")
        got = info_section(self.pc, "stats")
        self.assertEqual((got["keyspace_hits"], got["keyspace_misses"]), ("0", "0"))

    # --- MONITOR -------------------------------------------------------------------------

    def monitor_lines(self, monitor, n):
        """The next n MONITOR lines as (db, "lua" or "client", args text): the time and the
        client's port stripped."""
        out = []
        deadline = time.monotonic() + 10
        while len(out) < n:
            raw = monitor.read_value(deadline)
            self.assertIsNotNone(raw, f"only {out!r}")
            m = re.match(rb"^\+(\d+)\.(\d{6}) \[(\d+) ([^\]]+)\] (.*)\r\n$", raw, re.S)
            self.assertIsNotNone(m, raw)
            addr = m.group(4)
            self.assertTrue(addr == b"lua" or re.match(rb"^127\.0\.0\.1:\d+$", addr), addr)
            out.append((m.group(3), addr if addr == b"lua" else b"client", m.group(5)))
        return out

    def test_monitor_lines(self):
        for protocol in (2, 3):
            mon_pc, mon_rr = self.pair(protocol)
            self.assertEqual(mon_pc.call("MONITOR"), mon_rr.call("MONITOR"))
            commands = [("SET", "k", b'a"b\n\x01\xff\\ \t'), ("GET", "k"), ("MULTI",),
                        ("SET", "x", "1"), ("INCR", "x"), ("EXEC",), ("AUTH", "secret"),
                        ("AUTH", "user", "secret"), ("CONFIG", "GET", "maxmemory"),
                        ("SELECT", "2"), ("SET", "y", "12"), ("GET", "nokey"),
                        ("NOSUCHCOMMAND",), ("GET",), ("EVAL", "return 1", "0"),
                        ("EVAL", "redis.call('set', KEYS[1], ARGV[1]) "
                                 "return redis.call('get', KEYS[1])", "1", "sk", "10"),
                        ("HELLO", "2", "AUTH", "default", "pw"), ("SELECT", "0"), ("PING",)]
            for args in commands:
                if args[0] == "HELLO":
                    self.both(*args)  # the server version differs
                else:
                    self.same(*args)
            # Redis feeds what ran: not NOSUCHCOMMAND, GET with no key, CONFIG (admin).
            n = len(commands) - 3 + 2  # the script's two calls, from "lua"
            got, want = self.monitor_lines(mon_pc, n), self.monitor_lines(mon_rr, n)
            self.assertEqual(got, want)
            self.assertIn((b"0", b"client", b'"AUTH" "(redacted)"'), got)
            self.assertIn((b"0", b"client", b'"SET" "k" "a\\"b\\n\\x01\\xff\\\\ \\t"'), got)
            self.assertIn((b"2", b"client", b'"SET" "y" "12"'), got)
            self.assertIn((b"2", b"lua", b'"set" "sk" "10"'), got)
            # The monitor itself may not touch the key space; RESET ends the monitoring.
            self.assertEqual(mon_pc.call("GET", "k"), mon_rr.call("GET", "k"))
            self.assertEqual(mon_pc.call("RESET"), mon_rr.call("RESET"))
            self.same("SET", "after", "reset")
            self.assertEqual(mon_pc.call("GET", "after"), mon_rr.call("GET", "after"))

    def test_monitor_in_exec(self):
        for args in [("MULTI",), ("MONITOR",), ("EXEC",), ("PING",), ("SET", "k", "v")]:
            self.same(*args)

    def test_redis_cli_monitor(self):
        proc = subprocess.Popen(["redis-cli", "-p", str(self.node.port), "MONITOR"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            line = proc.stdout.readline()  # "OK"
            self.assertEqual(line.strip(), b"OK")
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                self.pc.call("SET", "cli", "monitored")
                line = proc.stdout.readline()
                if b'"SET" "cli" "monitored"' in line:
                    break
            self.assertRegex(line, rb'^\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] "SET" "cli" "monitored"')
        finally:
            proc.kill()
            proc.wait(timeout=10)
            proc.stdout.close()

    # --- MEMORY --------------------------------------------------------------------------

    def fill_both(self):
        for conn in (self.pc, self.rr):
            conn.call("SET", "s1", "v")
            conn.call("SET", "s2", "x" * 1000)
            conn.call("RPUSH", "l", *[f"element-{i}" for i in range(500)])
            conn.call("RPUSH", "lsmall", "a", "b")
            conn.call("HSET", "h", *sum([[f"field-{i}", "v" * 20] for i in range(500)], []))
            conn.call("HSET", "hsmall", "a", "1")
            conn.call("SADD", "S", *[f"member{i}" for i in range(500)])
            conn.call("SADD", "Ssmall", "x")
            conn.call("ZADD", "z", *sum([[str(i), f"member-{i}"] for i in range(500)], []))
            conn.call("ZADD", "zsmall", "1", "a")
            for i in range(200):
                conn.call("XADD", "x", "*", "field", "value" * 3, "n", str(i))

    def test_memory_usage(self):
        self.fill_both()
        # Stated factor: within 6x of Redis's figure either way (docs/operations.md).
        for key in ["s1", "s2", "l", "h", "S", "z", "x", "lsmall", "hsmall", "Ssmall", "zsmall"]:
            _, (got, want) = self.trees("MEMORY", "USAGE", key, "SAMPLES", "0")
            self.assertIsInstance(got, int)
            ratio = got / want
            self.assertTrue(1 / 6 <= ratio <= 6, f"{key}: {got} vs redis {want}")
            self.assertIsInstance(plain(self.pc.call("MEMORY", "USAGE", key)[1]), int)
        for args in [("MEMORY", "USAGE", "nokey"), ("MEMORY", "USAGE", "s1", "SAMPLES"),
                     ("MEMORY", "USAGE", "s1", "SAMPLES", "x"),
                     ("MEMORY", "USAGE", "s1", "SAMPLES", "-1"),
                     ("MEMORY", "USAGE", "s1", "FOO", "1"), ("MEMORY", "USAGE"),
                     ("MEMORY", "HELP"), ("MEMORY", "PURGE"), ("MEMORY", "foo"),
                     ("MEMORY", "STATS", "x"), ("MEMORY",)]:
            self.same(*args)
        _, (got, want) = self.trees("MEMORY", "STATS")
        self.assertEqual(got[::2], want[::2])
        self.assertEqual(got[got.index(b"keys.count") + 1], want[want.index(b"keys.count") + 1])
        for conn in (self.pc, self.rr):
            self.assertIsInstance(plain(conn.call("MEMORY", "MALLOC-STATS")[1]), bytes)
        self.same("FLUSHALL")
        self.same("MEMORY", "DOCTOR")

    def cli_report(self, port, flag):
        done = subprocess.run(["redis-cli", "-p", str(port), flag], capture_output=True,
                              timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        return sorted(re.findall(rb"Biggest +(\w+) found '([^']*)'", done.stdout))

    def test_bigkeys_memkeys(self):
        self.fill_both()
        self.assertEqual(self.cli_report(self.node.port, "--bigkeys"),
                         self.cli_report(self.redis.port, "--bigkeys"))
        # By memory: each type's biggest key is the large one on both servers.
        got = self.cli_report(self.node.port, "--memkeys")
        self.assertEqual(got, self.cli_report(self.redis.port, "--memkeys"))
        self.assertEqual(len(got), 6)


class ObservabilityTwoNodes(ReplicatedTestCase):
    """Node-local: MONITOR, SLOWLOG and commandstats of node A show A's commands only."""

    def test_monitor_and_stats_are_node_local(self):
        self.flush_replicated()
        a, b = WireConn(self.a.port), WireConn(self.b.port)
        mon = WireConn(self.a.port)
        try:
            for conn in (a, b):
                conn.call("CONFIG", "RESETSTAT")
                conn.call("CONFIG", "SET", "slowlog-log-slower-than", "0")
                conn.call("SLOWLOG", "RESET")
            self.assertEqual(mon.call("MONITOR")[0], b"+OK\r\n")
            for i in range(3):
                self.assertEqual(b.call("SET", "from-b", str(i))[0], b"+OK\r\n")
            wait_for(lambda: a.call("GET", "from-b")[0] == b"$1\r\n2\r\n", what="B's write on A")
            self.assertEqual(a.call("SET", "from-a", "x")[0], b"+OK\r\n")
            raw = mon.read_value(time.monotonic() + 10)
            self.assertIsNotNone(raw)
            self.assertIn(b'"GET" "from-b"', raw)  # A's own command, not B's SETs
            while b'"SET" "from-a"' not in raw:
                self.assertNotIn(b"SET", raw)
                raw = mon.read_value(time.monotonic() + 10)
                self.assertIsNotNone(raw)
            stats = info_section(a, "commandstats")
            self.assertEqual(fields(stats["cmdstat_set"])["calls"], "1")
            self.assertEqual(fields(info_section(b, "commandstats")["cmdstat_set"])["calls"], "3")
            logged = [e[3] for e in plain(a.call("SLOWLOG", "GET", "-1")[1])]
            self.assertIn([b"SET", b"from-a", b"x"], logged)
            self.assertNotIn([b"SET", b"from-b", b"0"], logged)
        finally:
            for conn in (a, b):
                conn.call("CONFIG", "SET", "slowlog-log-slower-than", "10000")
            for conn in (a, b, mon):
                conn.close()


if __name__ == "__main__":
    unittest.main()
