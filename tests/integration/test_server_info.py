"""INFO sections and fields, SAVE / BGSAVE / BGREWRITEAOF / LASTSAVE, LOLWUT, ACL LOAD / SAVE /
LOG and the HELP texts, against a real redis-server 7.0.15 (raw RESP, types kept)."""
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from differential import RawAgainstRedisTestCase
from harness import Etcd, Node, free_port, wait_for
from resp_wire import WireConn, encode

# Sections other changes add (replication: h16; commandstats/errorstats/latencystats: h15).
# Per-command sections: their fields depend on the commands run (test_observability.py
# compares their formats).
NOT_MINE = {"Commandstats", "Errorstats", "Latencystats"}
# PetaCore's own fields, per section (docs/operations.md "INFO").
PETACORE_FIELDS = {
    "Server": {"petacore_version", "petacore_threads"},
    "Memory": {"mvcc_versions", "mvcc_index_keys", "mvcc_live_keys"},
    "Stats": {"commit_retries", "commit_conflict_revision_fetches", "acks_before_visible", "write_ack_fence_waits",
              "client_output_buffer_limit_disconnections"},
}
# Redis fields PetaCore does not have: none.
MISSING_ALLOWED = {}


def info_text(tree):
    kind, value = tree
    assert kind in (b"$", b"="), tree
    text = value.decode()
    return text[4:] if kind == b"=" else text  # RESP3 verbatim: "txt:" first


def sections(text):
    """{section title: {field: value}} in order."""
    out, current = {}, None
    for line in text.split("\r\n"):
        if line.startswith("# "):
            current = out.setdefault(line[2:], {})
        elif line and current is not None:
            name, _, value = line.partition(":")
            current[name] = value
    return out


class InfoTest(RawAgainstRedisTestCase):
    def info(self, *args):
        (_, got), (_, want) = self.both_trees("INFO", *args)
        return info_text(got), info_text(want)

    def test_section_sets(self):
        for args in [(), ("default",), ("all",), ("everything",), ("server", "cpu"),
                     ("CLUSTER",), ("modules",), ("nosuchsection",)]:
            got, want = self.info(*args)
            mine = [s for s in sections(got) if s != "PetaCore"]
            theirs = list(sections(want))
            self.assertEqual(mine, theirs, args)
            self.assertFalse(got.endswith("\r\n\r\n"), args)
            if got:
                self.assertTrue(got.endswith("\r\n"), args)

    def test_fields_per_section(self):
        self.both("SET", "k", "v", "EX", "100")
        got, want = self.info("everything")
        got, want = sections(got), sections(want)
        for title, fields in want.items():
            if title in NOT_MINE:
                continue
            mine = got[title]
            missing = set(fields) - set(mine) - MISSING_ALLOWED.get(title, set())
            self.assertEqual(missing, set(), f"{title}: missing {sorted(missing)}")
            extra = set(mine) - set(fields) - PETACORE_FIELDS.get(title, set())
            self.assertEqual(extra, set(), f"{title}: extra {sorted(extra)}")
            # Redis's fields in Redis's order.
            order = [f for f in mine if f in fields]
            self.assertEqual(order, [f for f in fields if f in mine], title)

    def test_values_sane(self):
        self.pc.call("FUNCTION", "FLUSH")
        self.pc.call("SET", "t", "v", "PX", "50000")
        self.pc.call("SET", "n", "v")
        info = sections(self.info("everything")[0])
        server = info["Server"]
        self.assertRegex(server["run_id"], r"^[0-9a-f]{40}$")
        self.assertEqual(int(server["tcp_port"]), self.node.port)
        self.assertEqual(int(server["process_id"]), self.node.proc.pid)
        self.assertTrue(os.path.isabs(server["executable"]))
        self.assertLess(abs(int(server["server_time_usec"]) / 1e6 - time.time()), 60)
        self.assertGreaterEqual(int(info["Clients"]["connected_clients"]), 1)
        mem = info["Memory"]
        self.assertGreater(int(mem["used_memory"]), 0)
        self.assertGreaterEqual(int(mem["used_memory_peak"]), int(mem["used_memory"]))
        self.assertGreater(float(mem["mem_fragmentation_ratio"]), 0)
        self.assertGreater(float(info["CPU"]["used_cpu_user"]) + float(info["CPU"]["used_cpu_sys"]), 0)
        self.assertEqual(info["Cluster"], {"cluster_enabled": "0"})
        self.assertEqual(info["Modules"], {})
        self.assertEqual(info["Persistence"]["aof_enabled"], "0")
        self.assertEqual(info["Persistence"]["loading"], "0")
        db0 = dict(kv.split("=") for kv in info["Keyspace"]["db0"].split(","))
        self.assertEqual((db0["keys"], db0["expires"]), ("2", "1"))
        self.assertTrue(0 < int(db0["avg_ttl"]) <= 50000, db0)
        self.assertGreater(int(info["Stats"]["total_commands_processed"]), 0)
        self.assertEqual(info["Memory"]["number_of_libraries"], "0")
        self.assertEqual(info["Stats"]["tracking_total_keys"], "0")
        tracker = WireConn(self.node.port, 3)
        self.addCleanup(tracker.close)
        tracker.call("CLIENT", "TRACKING", "ON")
        tracker.call("GET", "t")
        tracker.call("GET", "n")
        stats = sections(self.info("stats")[0])["Stats"]
        self.assertEqual(stats["tracking_total_keys"], "2")
        self.pc.call("FUNCTION", "LOAD",
                     "#!lua name=infolib\nredis.register_function('f', function() return 1 end)")
        try:
            mem = sections(self.info("memory")[0])["Memory"]
            self.assertEqual(mem["number_of_libraries"], "1")
        finally:
            self.pc.call("FUNCTION", "DELETE", "infolib")


def stats_of(conn):
    """(INFO stats' raw reply, its Stats fields) on `conn`."""
    raw, tree = conn.call("INFO", "stats")
    return raw, sections(info_text(tree))["Stats"]


class CountersTest(RawAgainstRedisTestCase):
    """Stats and clients figures counted as Redis counts them: network bytes, reads and writes,
    the tracking table, the script cache. Its own class (its own servers): the network
    counters are server-wide, so no other test's connections may run meanwhile."""
    NET = ("total_net_input_bytes", "total_net_output_bytes", "total_reads_processed",
           "total_writes_processed")

    def net_deltas(self, conn, commands):
        """The four NET counters' growth between two INFO stats on `conn` with `commands`
        sent one at a time in between, and what the client itself sent and received then."""
        raw1, before = stats_of(conn)
        sent, received = 0, len(raw1)  # INFO's own reply is written after it counted
        for args in commands:
            sent += len(encode(args))
            received += len(conn.call(*args)[0])
        sent += len(encode(("INFO", "stats")))  # read (and counted) before INFO runs
        _, after = stats_of(conn)
        deltas = tuple(int(after[f]) - int(before[f]) for f in self.NET)
        return deltas, (sent, received, len(commands) + 1, len(commands) + 1)

    def test_net_bytes_reads_writes(self):
        commands = [("SET", "k", "v" * 300), ("GET", "k"), ("GET", "missing"),
                    ("MGET", "k", "k"), ("PING",), ("HSET", "h", "f", "x" * 5000),
                    ("HGETALL", "h"), ("GET", "h")]
        for name, port in (("petacore", self.node.port), ("redis", self.redis.port)):
            for protocol in (2, 3):
                conn = WireConn(port, protocol)
                self.addCleanup(conn.close)
                got, want = self.net_deltas(conn, commands)
                self.assertEqual(dict(zip(self.NET, got)), dict(zip(self.NET, want)),
                                 (name, protocol))

    def test_resetstat_zeroes_them(self):
        got = []
        for conn in (self.pc, self.rr):
            self.assertEqual(conn.call("CONFIG", "RESETSTAT")[0], b"+OK\r\n")
            fields = stats_of(conn)[1]
            got.append([fields[f] for f in self.NET])
        # INFO's request read once; RESETSTAT's "+OK" written once.
        self.assertEqual(got, [[str(len(encode(("INFO", "stats")))), "5", "1", "1"]] * 2)

    def test_instantaneous_kbps(self):
        fields = []
        for conn in (self.pc, self.rr):
            stats_of(conn)
            conn.call("SET", "big", "x" * 300_000)
            time.sleep(0.15)  # Redis samples every 100 ms; PetaCore between INFO calls 100 ms apart
            fields.append(stats_of(conn)[1])
        for f in fields:
            for name in ("instantaneous_input_kbps", "instantaneous_output_kbps"):
                self.assertRegex(f[name], r"^\d+\.\d\d$", name)
        self.assertGreater(float(fields[0]["instantaneous_input_kbps"]), 0)

    def tracking_figures(self):
        out = []
        for conn in (self.pc, self.rr):
            raw, tree = conn.call("INFO", "everything")
            info = sections(info_text(tree))
            out.append((info["Clients"]["tracking_clients"],
                        *(info["Stats"][f"tracking_total_{f}"]
                          for f in ("keys", "items", "prefixes"))))
        self.assertEqual(out[0], out[1])
        return out[0]

    def test_tracking_table(self):
        self.assertEqual(self.tracking_figures(), ("0", "0", "0", "0"))
        default, bcast, everything, optin = (self.pair(3) for _ in range(4))
        self.same("CLIENT", "TRACKING", "ON", conns=default)
        for args in [("GET", "k1"), ("GET", "k2"), ("MGET", "k1", "k3")]:
            self.same(*args, conns=default)
        self.same("CLIENT", "TRACKING", "ON", "OPTIN", conns=optin)
        self.same("CLIENT", "CACHING", "YES", conns=optin)
        self.same("GET", "k1", conns=optin)
        self.same("GET", "k2", conns=optin)  # not cached: CACHING YES was for one command
        self.same("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "PREFIX", "b",
                  conns=bcast)
        self.same("CLIENT", "TRACKING", "ON", "BCAST", conns=everything)
        # Refused on both: "a" overlaps the "" prefix everything tracks (no prefix added).
        got = self.same("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", conns=everything)
        self.assertTrue(got.startswith(b"-ERR Prefix 'a' overlaps"), got)
        self.assertEqual(self.tracking_figures(), ("4", "3", "4", "3"))
        self.same("SET", "k1", "v")  # invalidates k1 for default and optin
        self.assertEqual(self.tracking_figures(), ("4", "2", "2", "3"))
        self.same("CLIENT", "TRACKING", "OFF", conns=default)  # its keys stay (lazily)
        self.same("CLIENT", "TRACKING", "OFF", conns=bcast)
        self.assertEqual(self.tracking_figures(), ("2", "2", "2", "1"))
        self.same("FLUSHALL")
        self.assertEqual(self.tracking_figures(), ("2", "0", "0", "1"))

    def test_cached_scripts(self):
        def cached():
            got = [sections(info_text(c.call("INFO", "memory")[1]))["Memory"]
                   ["number_of_cached_scripts"] for c in (self.pc, self.rr)]
            self.assertEqual(got[0], got[1])
            return int(got[0])
        self.same("SCRIPT", "FLUSH")
        self.assertEqual(cached(), 0)
        self.same("SCRIPT", "LOAD", "return 1")
        self.same("EVAL", "return 2", "0")
        self.same("EVAL", "return 2", "0")
        self.same("SCRIPT", "LOAD", "return 1")
        self.assertEqual(cached(), 2)
        self.same("SCRIPT", "FLUSH")
        self.assertEqual(cached(), 0)


class SaveTest(RawAgainstRedisTestCase):
    def redis_idle(self):
        text = info_text(self.rr.call("INFO", "persistence")[1])
        return "rdb_bgsave_in_progress:0" in text and "aof_rewrite_in_progress:0" in text

    def same_when_idle(self, *args):
        wait_for(self.redis_idle, timeout=30, what="redis-server's fork done")
        return self.same(*args)

    def test_replies(self):
        before = int(self.pc.call("LASTSAVE")[1][1])
        self.same_when_idle("SAVE")
        self.same_when_idle("BGSAVE")
        self.same_when_idle("BGSAVE", "SCHEDULE")
        self.same_when_idle("BGSAVE", "NOW")
        self.same_when_idle("BGREWRITEAOF")
        self.same_when_idle("SAVE", "x")
        self.same_when_idle("LASTSAVE", "x")
        (raw, tree), _ = self.both_trees("LASTSAVE")
        self.assertEqual(tree[0], b":")
        self.assertGreaterEqual(int(tree[1]), before)
        self.assertLess(abs(int(tree[1]) - time.time()), 60)

    def test_info_persistence_follows_saves(self):
        def persistence():
            return sections(info_text(self.pc.call("INFO", "persistence")[1]))["Persistence"]
        first = persistence()
        self.pc.call("SET", "a", "1")
        self.pc.call("SET", "a", "2")
        self.assertGreaterEqual(int(persistence()["rdb_changes_since_last_save"]), 2)
        self.pc.call("SAVE")
        after = persistence()
        self.assertEqual(after["rdb_changes_since_last_save"], "0")
        self.assertEqual(int(after["rdb_saves"]), int(first["rdb_saves"]) + 1)
        self.assertEqual(after["rdb_last_save_time"], str(self.pc.call("LASTSAVE")[1][1].decode()))
        self.assertEqual(after["rdb_last_bgsave_status"], "ok")
        self.pc.call("BGREWRITEAOF")
        self.assertEqual(int(persistence()["aof_rewrites"]), int(first["aof_rewrites"]) + 1)


class LolwutTest(RawAgainstRedisTestCase):
    LAST = re.compile(rb"Redis ver\. \d+\.\d+\.\d+\n$")

    def test_versions(self):
        for protocol in (2, 3):
            pc, rr = self.pair(protocol)
            for args in [(), ("VERSION", "5"), ("VERSION", "5", "20", "3", "4"), ("VERSION", "6"),
                         ("VERSION", "6", "30", "8"), ("VERSION", "7"), ("VERSION", "4"),
                         ("VERSION", "1000"), ("10", "20")]:
                (_, got), (_, want) = self.both_trees("LOLWUT", *args, conns=(pc, rr))
                self.assertEqual(got[0], want[0], args)
                self.assertRegex(got[1], self.LAST, args)
                lines = got[1].split(b"\n")
                if args[:2] == ("VERSION", "5"):
                    self.assertIn(b"Georg Nees - schotter, plotter on paper, 1968. Redis ver.",
                                  lines[-2])
                if args[:2] == ("VERSION", "6"):
                    self.assertIn(b"Plaguemon", lines[-2])
                if args[:2] in [("VERSION", "7"), ("VERSION", "4"), ("VERSION", "1000")]:
                    self.assertEqual(len(lines), 2, args)  # the version line alone

    def test_art_size(self):
        _, tree = self.pc.call("LOLWUT", "VERSION", "5", "20", "4", "2")
        rows = tree[1].decode().split("\n")[:-2]
        self.assertTrue(rows and all(len(r.rstrip()) == 20 for r in rows if r), rows)

    def test_errors(self):
        for args in [("VERSION", "x"), ("VERSION", "5", "x"), ("VERSION", "6", "1", "y")]:
            self.same("LOLWUT", *args)


HELP_CONTAINERS = ["acl", "client", "command", "config", "function", "object", "pubsub",
                   "script", "xinfo", "xgroup", "memory", "slowlog", "latency", "module",
                   "cluster"]


class HelpTest(RawAgainstRedisTestCase):
    def test_help_texts(self):
        (_, listed), _ = self.both_trees("COMMAND", "LIST")
        ours = {v.decode() for _, v in listed[1]}
        checked = 0
        for container in HELP_CONTAINERS:
            if f"{container}|help" not in ours:
                continue  # another change adds it
            self.same(container.upper(), "HELP")
            checked += 1
        self.assertGreaterEqual(checked, 9)

    def test_script_debug(self):
        self.same("SCRIPT", "DEBUG", "NO")
        self.same("SCRIPT", "DEBUG", "maybe")
        self.same("SCRIPT", "DEBUG")
        got, _ = self.pc.call("SCRIPT", "DEBUG", "YES")
        self.assertEqual(got, b"-ERR SCRIPT DEBUG YES/SYNC is not supported: PetaCore has no "
                              b"Lua debugger\r\n")
        got, _ = self.pc.call("SCRIPT", "DEBUG", "SYNC")
        self.assertTrue(got.startswith(b"-ERR SCRIPT DEBUG YES/SYNC is not supported"))


def start_redis(extra):
    port = free_port()
    d = tempfile.mkdtemp(prefix="petacore-redis-acl-")
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", d, *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    conn = []
    def up():
        try:
            conn.append(WireConn(port))
            return True
        except OSError:
            return False
    wait_for(up, what="redis-server")
    return proc, conn[0], d


class AclLogTest(RawAgainstRedisTestCase):
    def log_entries(self, conn):
        _, tree = conn.call("ACL", "LOG")
        entries = []
        for entry in tree[1]:
            items = entry[1]
            entries.append({items[i][1].decode(): items[i + 1] for i in range(0, len(items), 2)})
        return entries

    def test_same_entries(self):
        self.both("ACL", "LOG", "RESET")
        self.both("ACL", "DELUSER", "lu")
        self.same("ACL", "SETUSER", "lu", "on", ">pw", "~a*", "&ch", "+get", "+subscribe",
                  "+multi", "+exec", "+eval", "+publish")
        for protocol in (2, 3):
            pc, rr = self.pair(protocol)
            self.same("AUTH", "lu", "wrong", conns=(pc, rr))
            self.same("AUTH", "lu", "pw", conns=(pc, rr))
            self.same("GET", "b", conns=(pc, rr))
            self.same("SET", "a", "1", conns=(pc, rr))
            self.same("SUBSCRIBE", "other", conns=(pc, rr))
            self.same("MULTI", conns=(pc, rr))
            self.same("GET", "zz", conns=(pc, rr))
            self.same("EXEC", conns=(pc, rr))
            # Denials inside a script: context "lua".
            for call in ("redis.call('set','a','1')", "redis.call('get','b')",
                         "redis.call('publish','zz','1')", "redis.pcall('get','b')"):
                self.same("EVAL", f"return {call}", "0", conns=(pc, rr))
        got, want = self.log_entries(self.pc), self.log_entries(self.rr)
        self.assertEqual(len(got), len(want))
        for g, w in zip(got, want):
            self.assertEqual(list(g), list(w))  # field names, in order
            for field in ("count", "reason", "context", "object", "username"):
                self.assertEqual(g[field], w[field], field)
            self.assertEqual(g["age-seconds"][0], w["age-seconds"][0])
            names = lambda e: [kv.split(b"=")[0] for kv in e["client-info"][1].split(b" ")]
            self.assertEqual(names(g), names(w))
        self.assertEqual({e["reason"][1] for e in got}, {b"auth", b"key", b"command", b"channel"})
        self.assertEqual({e["context"][1] for e in got}, {b"toplevel", b"multi", b"lua"})


class AclFileTest(RawAgainstRedisTestCase):
    def test_not_configured(self):
        self.same("ACL", "LOAD")
        self.same("ACL", "SAVE")
        self.same("ACL", "LOAD", "x")

    def test_parse_errors_as_redis(self):
        d = tempfile.mkdtemp(prefix="petacore-aclfile-")
        self.addCleanup(shutil.rmtree, d, True)
        rpath, ppath = os.path.join(d, "redis.acl"), os.path.join(d, "pc.acl")
        for p in (rpath, ppath):
            with open(p, "w") as f:
                f.write("user default on nopass ~* &* +@all\n")
        proc, rr, rdir = start_redis(["--aclfile", rpath])
        self.addCleanup(shutil.rmtree, rdir, True)
        self.addCleanup(lambda: (proc.kill(), proc.wait(timeout=30)))
        self.addCleanup(rr.close)
        etcd_less = Node(extra_args=["--aclfile", ppath])
        self.addCleanup(etcd_less.close)
        pc = WireConn(etcd_less.port)
        self.addCleanup(pc.close)
        bad_files = [
            "user default on nopass ~* &* +@all\nnotuser x\n",
            "user default on nopass ~* &* +@all\nuser a on +nosuchcommand\n",
            "user default on nopass ~* &* +@all\nuser a on badrule\n",
            "user default on nopass ~* &* +@all\nuser a on\nuser a off\n",
            "user default on nopass ~* &* +@all\nuser\n",
            "\n\n  user b on >x ~* +@all  \r\n",
        ]
        for text in bad_files:
            for p in (rpath, ppath):
                with open(p, "w") as f:
                    f.write(text)
            got, _ = pc.call("ACL", "LOAD")
            want, _ = rr.call("ACL", "LOAD")
            self.assertEqual(got.replace(ppath.encode(), b"PATH"),
                             want.replace(rpath.encode(), b"PATH"), text)
        self.assertEqual(pc.call("ACL", "USERS"), rr.call("ACL", "USERS"))
        os.unlink(ppath)
        os.unlink(rpath)
        got, _ = pc.call("ACL", "LOAD")
        want, _ = rr.call("ACL", "LOAD")
        self.assertEqual(got.replace(ppath.encode(), b"PATH"),
                         want.replace(rpath.encode(), b"PATH"))

    def test_round_trip_two_nodes(self):
        d = tempfile.mkdtemp(prefix="petacore-aclfile-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "users.acl")
        with open(path, "w") as f:
            f.write("user default on nopass ~* &* +@all\n")
        etcd = Etcd()
        self.addCleanup(etcd.close)
        a = Node(etcd=etcd, extra_args=["--aclfile", path])
        self.addCleanup(a.close)
        b = Node(etcd=etcd)
        self.addCleanup(b.close)
        ca, cb = WireConn(a.port), WireConn(b.port)
        self.addCleanup(ca.close)
        self.addCleanup(cb.close)
        self.assertEqual(ca.call("ACL", "SETUSER", "alice", "on", ">secret", "~x*", "+get")[0],
                         b"+OK\r\n")
        self.assertEqual(ca.call("ACL", "SETUSER", "bob", "on", "nopass", "+@read")[0], b"+OK\r\n")
        self.assertEqual(ca.call("ACL", "SAVE")[0], b"+OK\r\n")
        with open(path) as f:
            saved = f.read()
        self.assertEqual(saved.splitlines(),
                         [l.decode() for _, l in ca.call("ACL", "LIST")[1][1]])
        self.assertIn("user alice on #", saved)
        # The file, edited: alice changes, bob goes, carol comes.
        with open(path, "w") as f:
            f.write(saved.replace("~x*", "~y*").replace(
                next(l for l in saved.splitlines() if l.startswith("user bob")),
                "user carol on >c ~* +ping"))
        self.assertEqual(ca.call("ACL", "LOAD")[0], b"+OK\r\n")
        def users_b():
            return sorted(v for _, v in cb.call("ACL", "USERS")[1][1])
        wait_for(lambda: users_b() == [b"alice", b"carol", b"default"], timeout=20,
                 what="the loaded users on the second node")
        self.assertIn(b"~y*", cb.call("ACL", "GETUSER", "alice")[0])
        c2 = WireConn(b.port)
        self.addCleanup(c2.close)
        self.assertEqual(c2.call("AUTH", "carol", "c")[0], b"+OK\r\n")
        self.assertEqual(c2.call("PING")[0], b"+PONG\r\n")
        # A broken file changes nothing.
        with open(path, "w") as f:
            f.write("user zed on badrule\n")
        got, _ = ca.call("ACL", "LOAD")
        self.assertTrue(got.startswith(b"-ERR " + path.encode() + b":1: "), got)
        self.assertEqual(users_b(), [b"alice", b"carol", b"default"])
        # Node b has no aclfile.
        self.assertTrue(cb.call("ACL", "SAVE")[0].startswith(b"-ERR This Redis instance"))


if __name__ == "__main__":
    unittest.main()
