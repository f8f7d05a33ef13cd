#!/usr/bin/python3
"""Writes src/commands/command_docs_data.inc: the COMMAND DOCS data (summary, since, group,
complexity, doc flags, deprecation, history, arguments) of every command and subcommand
PetaCore implements, as Redis 7.0.15 reports them.

Usage: scripts/gen-command-docs.py [path/to/petacore-server]   (default build/bin/...)

Starts a standalone petacore-server and a redis-server (both on free ports, stopped at the
end), takes PetaCore's COMMAND LIST and Redis's COMMAND DOCS, and writes the C++ data. Entries
Redis does not have (PETACORE, CLIENT SETINFO) are skipped; command_docs.cc has their docs.
Run it again after adding a command (the diff of the .inc is the review). Needs redis-py.
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

import redis

from redis_reply import cstr, pairs, text

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "src", "commands", "command_docs_data.inc")
ARG_FLAGS = {"optional": "kArgOptional", "multiple": "kArgMultiple",
             "multiple_token": "kArgMultipleToken"}
DOC_FLAGS = {"deprecated": "kDocDeprecated", "syscmd": "kDocSyscmd"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args, port):
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    client.response_callbacks.clear()
    for _ in range(200):
        try:
            client.ping()
            return proc, client
        except redis.ConnectionError:
            time.sleep(0.05)
    raise SystemExit(f"{args[0]} did not start")


class Writer:
    def __init__(self):
        self.decls = []  # arrays, emitted before their users
        self.count = 0

    def array_name(self, prefix):
        self.count += 1
        return f"k{prefix}{self.count}"

    def args(self, args):
        """Emits an ArgDoc array; returns its name."""
        items = []
        for a in args:
            a = pairs(a)
            fields = [f".name = {cstr(a['name'])}", f".type = {cstr(a['type'])}"]
            if "display_text" in a:
                fields.append(f".display_text = {cstr(a['display_text'])}")
            if "key_spec_index" in a:
                fields.append(f".key_spec_index = {a['key_spec_index']}")
            for f in ("token", "summary", "since", "deprecated_since"):
                if f in a:
                    fields.append(f".{f} = {cstr(a[f])}")
            if a.get("flags"):
                fields.append(".flags = " + " | ".join(ARG_FLAGS[f] for f in a["flags"]))
            if a.get("arguments"):
                fields.append(f".arguments = {self.args(a['arguments'])}")
            unknown = set(a) - {"name", "type", "display_text", "key_spec_index", "token",
                                "summary", "since", "deprecated_since", "flags", "arguments"}
            if unknown:
                raise SystemExit(f"unknown argument fields {unknown}")
            items.append("{" + ", ".join(fields) + "}")
        name = self.array_name("Args")
        self.decls.append(f"constexpr ArgDoc {name}[] = {{\n    " + ",\n    ".join(items) +
                          "};")
        return name

    def command(self, fullname, doc):
        d = pairs(doc)
        fields = [f".name = {cstr(fullname)}"]
        for f in ("summary", "since", "group"):
            fields.append(f".{f} = {cstr(d[f])}")
        if "complexity" in d:  # LOLWUT has none
            fields.append(f".complexity = {cstr(d['complexity'])}")
        if d.get("doc_flags"):
            fields.append(".doc_flags = " + " | ".join(DOC_FLAGS[f] for f in d["doc_flags"]))
        for f in ("deprecated_since", "replaced_by"):
            if f in d:
                fields.append(f".{f} = {cstr(d[f])}")
        if d.get("history"):
            name = self.array_name("History")
            self.decls.append(f"constexpr HistoryDoc {name}[] = {{\n    " + ",\n    ".join(
                "{" + cstr(v) + ", " + cstr(t) + "}" for v, t in d["history"]) + "};")
            fields.append(f".history = {name}")
        if d.get("arguments"):
            fields.append(f".arguments = {self.args(d['arguments'])}")
        unknown = set(d) - {"summary", "since", "group", "complexity", "doc_flags",
                            "deprecated_since", "replaced_by", "history", "arguments",
                            "subcommands"}
        if unknown:
            raise SystemExit(f"unknown doc fields {unknown}")
        return "{" + ",\n     ".join(fields) + "}"


def main():
    server = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "bin",
                                                                 "petacore-server")
    pc_port, rr_port = free_port(), free_port()
    tmp = tempfile.mkdtemp(prefix="gen-command-docs-")
    pc, pcc = start([server, "--port", str(pc_port), "--threads", "1"], pc_port)
    rr, rrc = start(["redis-server", "--port", str(rr_port), "--bind", "127.0.0.1", "--save",
                     "", "--appendonly", "no", "--dir", tmp], rr_port)
    try:
        names = sorted(text(pcc.execute_command("COMMAND", "LIST")))
        version = pairs(text(rrc.execute_command("HELLO")))["version"]
        docs = pairs(text(rrc.execute_command("COMMAND", "DOCS", *names)))
    finally:
        pc.kill()
        rr.kill()
    w = Writer()
    entries = [w.command(n, docs[n]) for n in names if n in docs]
    with open(OUT, "w") as f:
        f.write(f"// Generated by scripts/gen-command-docs.py from redis-server {version}'s\n"
                "// COMMAND DOCS (Redis's interface data) for the commands PetaCore implements.\n"
                "// Do not edit; run the script again. Included by command_docs.cc only.\n\n")
        f.write("\n".join(w.decls) + "\n\n")
        f.write("constexpr CommandDoc kCommandDocs[] = {\n    " + ",\n    ".join(entries) +
                "};\n")
    print(f"{OUT}: {len(entries)} entries from Redis {version}")


if __name__ == "__main__":
    main()
