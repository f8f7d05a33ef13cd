"""Recording register histories from real clients, for linearizability.py.

Workers (one redis-py connection each, one thread each) run a random mix of SET of a unique
value and GET on a few keys until stopped, recording every operation's invoke and return time
(time.monotonic, ms, one clock for all threads) and result:
  - a SET answered +OK: a write with a finite return time;
  - a SET that failed (an "etcd: ..." error, a timeout, a dropped connection): in doubt, it
    may or may not have been applied — return time INFINITY;
  - a GET that failed: no effect, left out (counted in `read_errors`).
Values are unique tags "<n{node}c{client}s{seq}>", so a read names the write it observed and
the etcd history (etcd_write_revisions) gives each write's revision.
"""
import base64
import json
import random
import re
import threading
import time
import urllib.request

import redis

from linearizability import INFINITY, Op


def now_ms():
    return time.monotonic() * 1000.0


class Worker(threading.Thread):
    def __init__(self, node, node_index, client_index, keys, mode, stop, write_ratio=0.5,
                 seed=None):
        super().__init__(daemon=True)
        self.node, self.node_index, self.client_index = node, node_index, client_index
        self.keys, self.mode, self.stop = keys, mode, stop
        self.write_ratio = write_ratio
        self.rng = random.Random(seed)
        self.ops = []
        self.read_errors = 0
        self.write_errors = 0
        self.unexpected = []  # exceptions of no expected kind (run_workers fails on any)
        self.conn = None

    def connect(self):
        self.conn = self.node.client(socket_timeout=10, socket_connect_timeout=2)
        self.conn.execute_command("PETACORE", "READCONSISTENCY", self.mode)

    def run(self):
        seq = 0
        while not self.stop.is_set():
            if self.conn is None:
                try:
                    self.connect()
                except redis.RedisError:
                    self.conn = None
                    time.sleep(0.05)
                    continue
                except Exception as e:  # noqa: BLE001 - recorded, fails the run
                    self.unexpected.append(f"connect: {type(e).__name__}: {e}")
                    self.conn = None
                    time.sleep(0.05)
                    continue
            key = self.rng.choice(self.keys)
            if self.rng.random() < self.write_ratio:
                seq += 1
                value = f"<n{self.node_index}c{self.client_index}s{seq}>"
                t0 = now_ms()
                try:
                    self.conn.set(key, value)
                    t1 = now_ms()
                except redis.RedisError as e:
                    t1 = INFINITY
                    self.write_errors += 1
                    self.after_error(e)
                except Exception as e:  # noqa: BLE001 - recorded, fails the run
                    t1 = INFINITY
                    self.unexpected.append(f"SET: {type(e).__name__}: {e}")
                    self.after_error(e)
                self.ops.append(Op(key, "w", value, t0, t1, self.client_id, self.node_index,
                                   self.mode))
            else:
                t0 = now_ms()
                try:
                    got = self.conn.get(key)
                    t1 = now_ms()
                except redis.RedisError as e:
                    self.read_errors += 1
                    self.after_error(e)
                    continue
                except Exception as e:  # noqa: BLE001 - recorded, fails the run
                    self.unexpected.append(f"GET: {type(e).__name__}: {e}")
                    self.after_error(e)
                    continue
                self.ops.append(Op(key, "r", None if got is None else got.decode(), t0, t1,
                                   self.client_id, self.node_index, self.mode))

    @property
    def client_id(self):
        return f"n{self.node_index}c{self.client_index}"

    def after_error(self, e):
        if not isinstance(e, redis.ResponseError):  # the connection may be unusable
            try:
                self.conn.close()
            except Exception:
                pass
            self.conn = None
        time.sleep(0.05)  # fewer in-doubt writes while etcd has no leader


def run_workers(nodes, clients_per_node, keys, mode, fault_schedule, seed=1):
    """Runs the workload on every node while fault_schedule(stop_event) runs in this thread;
    stops the workers when it returns. Returns (ops, stats). Raises AssertionError when a
    worker met an exception of no expected kind or did not stop."""
    stop = threading.Event()
    workers = [Worker(node, ni, ci, keys, mode, stop, seed=seed * 1000 + ni * 10 + ci)
               for ni, node in enumerate(nodes) for ci in range(clients_per_node)]
    for w in workers:
        w.start()
    try:
        fault_schedule()
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=30)
    stuck = [w.client_id for w in workers if w.is_alive()]
    unexpected = [f"{w.client_id}: {u}" for w in workers for u in w.unexpected]
    if stuck or unexpected:
        raise AssertionError(f"workers did not stop: {stuck}; unexpected errors: {unexpected[:5]}")
    ops = [op for w in workers for op in w.ops]
    stats = {
        "ops": len(ops),
        "writes": sum(op.kind == "w" for op in ops),
        "reads": sum(op.kind == "r" for op in ops),
        "writes_in_doubt": sum(op.kind == "w" and op.ret == INFINITY for op in ops),
        "read_errors": sum(w.read_errors for w in workers),
    }
    return ops, stats


TAG = re.compile(rb"<n\d+c\d+s\d+>")


def etcd_write_revisions(endpoint, prefix, last_tag, timeout=30):
    """Every value tag written under `prefix` in etcd's history, with its mod_revision: a
    watch from revision 1 through etcd's JSON gateway, read until the write of `last_tag`
    (made after the workload) arrives. Needs the history uncompacted."""
    b64 = lambda b: base64.b64encode(b).decode()
    end = prefix[:-1] + bytes([prefix[-1] + 1])
    body = json.dumps({"create_request": {"key": b64(prefix), "range_end": b64(end),
                                          "start_revision": 1}}).encode()
    req = urllib.request.Request(f"http://{endpoint}/v3/watch", data=body, method="POST")
    revisions = {}
    deadline = time.monotonic() + timeout
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        for line in resp:
            msg = json.loads(line).get("result", {})
            if int(msg.get("compact_revision", 0) or 0) > 0:
                raise AssertionError(
                    f"etcd's history is compacted to {msg['compact_revision']}: run the nodes "
                    "with --etcd-compaction no")
            done = False
            for ev in msg.get("events", []):
                kv = ev["kv"]
                rev = int(kv["mod_revision"])
                for tag in TAG.findall(base64.b64decode(kv.get("value", ""))):
                    revisions[tag.decode()] = rev
                    done = done or tag.decode() == last_tag
            if done:
                return revisions
            if time.monotonic() > deadline:
                raise TimeoutError("etcd history not read in time")
    raise AssertionError("watch ended before the last revision")


def save_history(ops, path):
    """Writes ops as JSON lines (ret "inf" for in-doubt), for offline checking."""
    with open(path, "w") as f:
        for op in ops:
            f.write(json.dumps([op.key, op.kind, op.value, op.invoke,
                                "inf" if op.ret == INFINITY else op.ret, op.client, op.node,
                                op.mode]) + "\n")


def load_history(path):
    ops = []
    with open(path) as f:
        for line in f:
            key, kind, value, invoke, ret, client, node, mode = json.loads(line)
            ops.append(Op(key, kind, value, invoke, INFINITY if ret == "inf" else ret, client,
                          node, mode))
    return ops
