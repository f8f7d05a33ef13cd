#!/usr/bin/python3
"""Prints the CommandSpec of Redis commands, for pasting into a family's Register function:
name, arity, flags, ACL categories, key specs and tips as redis-server 7.0.15 reports them
(COMMAND INFO), with subcommands nested, written with designated initializers.

Usage: scripts/gen-command-spec.py NAME [NAME ...]    e.g. xadd "client|kill" object

Starts a redis-server on a free port (stopped at the end). The handler is printed as
`.handler = TODO`: set it, add the PetaCore-internal flags the Driver needs (kNoQueue,
kInternalWrite, kRunsQueue, kSelectsDb; see docs/architecture.md "Command specs"), and for a
key spec with kKeyVariableFlags a `.keys_function`. Then run scripts/gen-command-docs.py for
COMMAND DOCS and tests/integration/test_command_info.py. Needs redis-py.
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

import redis

from redis_reply import cstr, pairs, text

FLAGS = {"write": "kWrite", "readonly": "kReadOnly", "denyoom": "kDenyOom", "admin": "kAdmin",
         "pubsub": "kPubSub", "noscript": "kNoScript", "blocking": "kBlocking",
         "loading": "kLoading", "stale": "kStale", "skip_monitor": "kSkipMonitor",
         "skip_slowlog": "kSkipSlowlog", "fast": "kFast", "no_auth": "kNoAuth",
         "no_mandatory_keys": "kNoMandatoryKeys", "no_async_loading": "kNoAsyncLoading",
         "no_multi": "kNoMulti", "allow_busy": "kAllowBusy",
         "movablekeys": None}  # derived from the key specs
CATEGORIES = {"keyspace": "kKeyspace", "read": "kRead", "write": "kWrite", "set": "kSet",
              "sortedset": "kSortedSet", "list": "kList", "hash": "kHash",
              "string": "kString", "bitmap": "kBitmap", "hyperloglog": "kHyperLogLog",
              "geo": "kGeo", "stream": "kStream", "pubsub": "kPubSub", "admin": "kAdmin",
              "fast": "kFast", "slow": "kSlow", "blocking": "kBlocking",
              "dangerous": "kDangerous", "connection": "kConnection",
              "transaction": "kTransaction", "scripting": "kScripting"}
KEY_FLAGS = {"RO": "kKeyRO", "RW": "kKeyRW", "OW": "kKeyOW", "RM": "kKeyRM",
             "access": "kKeyAccess", "update": "kKeyUpdate", "insert": "kKeyInsert",
             "delete": "kKeyDelete", "not_key": "kKeyNotKey", "incomplete": "kKeyIncomplete",
             "variable_flags": "kKeyVariableFlags"}


def key_spec(flat):
    k = pairs(flat)
    flags = " | ".join(KEY_FLAGS[f] for f in k["flags"]) or "0"
    bs, fk = pairs(k["begin_search"]), pairs(k["find_keys"])
    b, f = pairs(bs["spec"]), pairs(fk["spec"])
    begin = (f"Index({b['index']})" if bs["type"] == "index"
             else f"Keyword({cstr(b['keyword'])}, {b['startfrom']})")
    find = (f"Range({f['lastkey']}, {f['keystep']}, {f['limit']})" if fk["type"] == "range"
            else f"KeyNum({f['keynumidx']}, {f['firstkey']}, {f['keystep']})")
    out = f"{{.flags = {flags}, .begin = {begin}, .find = {find}"
    if "notes" in k:
        out += f", .notes = {cstr(k['notes'])}"
    return out + "}"


def spec(entry, indent, container=False):
    name, arity, flags, _, _, _, acl, tips, keyspecs, subs = entry
    pad = "\n" + " " * indent
    lines = [f".name = {cstr(name.split('|')[-1])},", f".arity = {arity},",
             ".flags = " + (" | ".join(FLAGS[f] for f in flags if FLAGS[f]) or "0") + ","]
    if acl:
        lines.append(".acl = " + " | ".join("acl::" + CATEGORIES[c.lstrip("@")] for c in acl) +
                     ",")
    if keyspecs:
        lines.append(".key_specs = {" + ", ".join(key_spec(k) for k in keyspecs) + "},")
    if tips:
        lines.append(".tips = {" + ", ".join(cstr(t) for t in tips) + "},")
    if not subs:
        lines.append(".handler = TODO,")
    if any("variable_flags" in pairs(k)["flags"] for k in keyspecs):
        lines.append(".keys_function = TODO,")
    if subs:
        lines.append(".subcommands = {" + ("," + pad + "                ").join(
            spec(s, indent + 16) for s in sorted(subs)) + "},")
    lines[-1] = lines[-1].rstrip(",")
    return "{" + pad.join(lines) + "}"


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tmp = tempfile.mkdtemp(prefix="gen-command-spec-")
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", tmp],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = redis.Redis(port=port)
        client.response_callbacks.clear()
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        entries = text(client.execute_command("COMMAND", "INFO", *sys.argv[1:]))
    finally:
        proc.kill()
    for name, entry in zip(sys.argv[1:], entries):
        if entry is None:
            print(f"// {name}: not a Redis command", file=sys.stderr)
            continue
        if "|" in entry[0]:  # a subcommand: an element of its container's .subcommands
            print(f"// {entry[0]}\n{spec(entry, 1)},")
        else:
            print(f".Add({spec(entry, 7)})")


if __name__ == "__main__":
    main()
