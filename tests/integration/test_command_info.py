"""COMMAND against Debian's redis-server 7.0: for every command and subcommand PetaCore
implements, COMMAND INFO (arity, flags, key positions, ACL categories, tips, key specs,
subcommands), COMMAND GETKEYS / GETKEYSANDFLAGS on generated and hand-picked argument lists,
COMMAND DOCS, COMMAND LIST (with its filters) and COMMAND COUNT, and the container errors
(unknown subcommand, a subcommand's arity).

PetaCore-only entries are left out of the comparison (PETACORE_ONLY): the PETACORE container
and its subcommands, and CLIENT SETINFO (Redis 7.2, not in 7.0). A container is compared for
the subcommands PetaCore implements (Redis 7.0 has more, e.g. ACL LOG). Fields whose order is
a hash order in Redis (flags, categories, subcommand lists, COMMAND LIST) compare as sets.
"""
import unittest

from differential import AgainstRedisTestCase, raw_client

PETACORE_ONLY = {"petacore", "petacore|help", "petacore|readconsistency", "client|setinfo"}

# Argument lists for GETKEYS / GETKEYSANDFLAGS beyond the generated ones: options that move
# or re-flag keys (SET ... GET, numkeys, WEIGHTS, LIMIT), and invalid numkeys.
EXTRA_GETKEYS = [
    ["set", "k", "v"], ["set", "k", "v", "GET"], ["set", "k", "v", "ex", "10", "get"],
    ["set", "k", "v", "nx"], ["mset", "a", "1", "b", "2", "c", "3"], ["mset", "a", "1", "b"],
    ["zunionstore", "d", "2", "a", "b", "weights", "1", "2"], ["zunionstore", "d", "x", "a"],
    ["zinterstore", "d", "0", "a"], ["zdiffstore", "d", "3", "a", "b"],
    ["zunion", "2", "a", "b", "withscores"], ["zinter", "-1", "a"], ["zdiff", "1", "a", "b"],
    ["sintercard", "2", "a", "b", "limit", "1"], ["sintercard", "x", "a"],
    ["blpop", "a", "b", "c", "0"], ["bzpopmin", "a", "0"], ["blmove", "a", "b", "left", "right",
                                                            "0"],
    ["lmove", "a", "b", "left", "right"], ["rpoplpush", "a", "b"], ["object", "encoding", "k"],
    ["object", "help"], ["object", "nosuch", "k"], ["config", "get", "x"], ["nosuch", "a"],
    ["get"], ["get", "a", "b"], ["del", "a", "b", "c"], ["watch", "a", "b"],
    ["copy", "a", "b", "db", "1", "replace"], ["rename", "a", "b"], ["smove", "a", "b", "m"],
    ["zrangestore", "d", "s", "0", "-1"], ["getex", "a", "persist"],
]


def to_str(x):
    """A raw reply with bytes decoded, recursively."""
    if isinstance(x, bytes):
        return x.decode()
    if isinstance(x, list):
        return [to_str(i) for i in x]
    return x


def pairs(flat):
    """A RESP2 flat map as a dict (values converted recursively when they are flat maps)."""
    return {flat[i]: flat[i + 1] for i in range(0, len(flat), 2)}


def key_spec(flat):
    d = pairs(flat)
    out = {"flags": set(d["flags"])}
    if "notes" in d:
        out["notes"] = d["notes"]
    for part in ("begin_search", "find_keys"):
        p = pairs(d[part])
        out[part] = (p["type"], tuple(sorted(pairs(p["spec"]).items())))
    return out


def info_entry(e):
    """A COMMAND INFO entry in comparable form; subcommands as a name → entry dict."""
    return {
        "name": e[0], "arity": e[1], "flags": set(e[2]), "keys": (e[3], e[4], e[5]),
        "acl": set(e[6]), "tips": e[7], "key_specs": [key_spec(k) for k in e[8]],
        "subcommands": {s[0]: info_entry(s) for s in e[9]},
    }


def call(client, *args):
    try:
        return to_str(client.execute_command(*args))
    except Exception as e:  # noqa: BLE001 — the error text is the compared reply
        return ("error", str(e))


class CommandInfoTest(AgainstRedisTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pc = raw_client(cls.node.port)
        cls.rr = raw_client(cls.redis.port)
        cls.pc_info = {e[0]: info_entry(e) for e in to_str(cls.pc.execute_command("COMMAND"))}
        cls.rr_info = {e[0]: info_entry(e) for e in to_str(cls.rr.execute_command("COMMAND"))}
        cls.pc_list = to_str(cls.pc.execute_command("COMMAND", "LIST"))
        cls.rr_list = to_str(cls.rr.execute_command("COMMAND", "LIST"))

    def entries(self):
        """(full name, PetaCore entry, Redis entry) of every compared command and subcommand."""
        for name, pc in sorted(self.pc_info.items()):
            if name in PETACORE_ONLY:
                continue
            rr = self.rr_info[name]
            yield name, pc, rr
            for sub, pcs in sorted(pc["subcommands"].items()):
                if sub not in PETACORE_ONLY:
                    yield sub, pcs, rr["subcommands"][sub]

    def test_every_entry_is_redis_one(self):
        for name, pc, rr in self.entries():
            with self.subTest(name=name):
                self.assertIn(name, self.rr_list)

    def test_info_fields(self):
        for name, pc, rr in self.entries():
            for field in ("name", "arity", "flags", "keys", "acl", "tips", "key_specs"):
                with self.subTest(name=name, field=field):
                    self.assertEqual(pc[field], rr[field])
            with self.subTest(name=name, field="subcommands"):
                mine = set(pc["subcommands"]) - PETACORE_ONLY
                self.assertLessEqual(mine, set(rr["subcommands"]))

    def test_info_by_name(self):
        names = [n for n, _, _ in self.entries()] + ["nosuch", "config|nosuch", "GET", "Config|Get"]
        pc = call(self.pc, "COMMAND", "INFO", *names)
        rr = call(self.rr, "COMMAND", "INFO", *names)
        self.assertEqual(len(pc), len(rr))
        for mine, theirs in zip(pc, rr):
            if not mine or not theirs:
                self.assertEqual(mine, theirs)
                continue
            mine, theirs = info_entry(mine), info_entry(theirs)
            theirs["subcommands"] = {n: e for n, e in theirs["subcommands"].items()
                                     if n in mine["subcommands"]}
            mine["subcommands"] = {n: e for n, e in mine["subcommands"].items()
                                   if n not in PETACORE_ONLY}
            self.assertEqual(mine, theirs)

    def test_count_and_list(self):
        top = [n for n in self.pc_list if "|" not in n]
        self.assertEqual(call(self.pc, "COMMAND", "COUNT"), len(top))
        self.assertEqual(set(top), set(self.pc_info))
        self.assertEqual(len(self.pc_list), len(set(self.pc_list)))
        for name, pc in self.pc_info.items():
            with self.subTest(container=name):
                listed = {n for n in self.pc_list if n.startswith(name + "|")}
                self.assertEqual(listed, set(pc["subcommands"]))
        for name in self.pc_list:
            if name not in PETACORE_ONLY:
                self.assertIn(name, self.rr_list)

    def test_list_filters(self):
        mine = set(self.pc_list) - PETACORE_ONLY
        for f in (["ACLCAT", "read"], ["ACLCAT", "connection"], ["ACLCAT", "nosuch"],
                  ["PATTERN", "z*"], ["PATTERN", "CONFIG|*"], ["PATTERN", "*et"],
                  ["MODULE", "x"]):
            with self.subTest(filter=f):
                pc = set(call(self.pc, "COMMAND", "LIST", "FILTERBY", *f)) - PETACORE_ONLY
                rr = set(call(self.rr, "COMMAND", "LIST", "FILTERBY", *f)) & mine
                self.assertEqual(pc, rr)
        for bad in (["FILTERBY"], ["FILTERBY", "ACLCAT"], ["FILTERBY", "X", "y"], ["x", "y", "z"]):
            with self.subTest(bad=bad):
                self.assertEqual(call(self.pc, "COMMAND", "LIST", *bad),
                                 call(self.rr, "COMMAND", "LIST", *bad))

    def getkeys_cases(self):
        """Generated argument lists: for each entry, argc at and around its arity, with key-like
        names and with numbers (so numkeys arguments parse), plus EXTRA_GETKEYS."""
        cases = []
        for name, pc, _ in self.entries():
            prefix = name.split("|")
            arity = pc["arity"]
            counts = {arity} if arity > 0 else {-arity, -arity + 1, -arity + 3}
            counts |= {max(len(prefix), abs(arity) - 1), abs(arity) + 1}
            for n in sorted(counts):
                rest = n - len(prefix)
                if rest < 0:
                    continue
                cases.append(prefix + [f"k{i}" for i in range(rest)])
                cases.append(prefix + ["2"] * rest)
        return cases + EXTRA_GETKEYS

    def test_getkeys(self):
        for args in self.getkeys_cases():
            for sub in ("GETKEYS", "GETKEYSANDFLAGS"):
                with self.subTest(args=args, sub=sub):
                    pc = call(self.pc, "COMMAND", sub, *args)
                    rr = call(self.rr, "COMMAND", sub, *args)
                    if sub == "GETKEYSANDFLAGS" and isinstance(pc, list):
                        pc = [(k, set(f)) for k, f in pc]
                        rr = [(k, set(f)) for k, f in rr] if isinstance(rr, list) else rr
                    self.assertEqual(pc, rr)

    def test_docs(self):
        names = [n for n, _, _ in self.entries()]
        pc = call(self.pc, "COMMAND", "DOCS", *names)
        rr = call(self.rr, "COMMAND", "DOCS", *names)
        pc_docs, rr_docs = pairs(pc), pairs(rr)
        for name in names:
            with self.subTest(name=name):
                self.assertIn(name, pc_docs)
                mine, theirs = pairs(pc_docs[name]), pairs(rr_docs[name])
                if "subcommands" in theirs:  # only the implemented ones are listed
                    subs = pairs(theirs["subcommands"])
                    mine_subs = pairs(mine.pop("subcommands", []))
                    theirs.pop("subcommands")
                    for sub, doc in mine_subs.items():
                        if sub not in PETACORE_ONLY:
                            self.assertEqual(doc, subs[sub], sub)
                self.assertEqual(mine, theirs)
        self.assertEqual(call(self.pc, "COMMAND", "DOCS", "nosuch"), [])

    def test_container_errors(self):
        for args in (["config", "nosuch"], ["config", "get"], ["CONFIG", "Nosuch", "x"],
                     ["object", "encoding"], ["object", "x" * 200], ["client", "setname"],
                     ["acl", "whoami", "x"], ["command", "nosuch"], ["command", "count", "x"],
                     ["command", "getkeys"], ["config"], ["object"], ["acl"]):
            with self.subTest(args=args):
                self.assertEqual(call(self.pc, *args), call(self.rr, *args))


if __name__ == "__main__":
    unittest.main()
