"""Write load for the fault tests, with the bookkeeping that proves no acknowledged write was
lost and none applied twice.

Each Client thread talks to one node and loops: INCR its own counter, then SET a fresh key of
its own (one key per SET, so every acknowledged SET stays checkable). Every reply is
classified:
  acked     the node answered success: the write must be in the final state;
  in doubt  an error or a timeout: the write may or may not have been applied (etcd's
            indeterminate outcome; PetaCore never retries it, so at most once).
At the end: counter in [acked INCRs, acked + in-doubt INCRs]; every acked SET present with its
value; every in-doubt SET either absent or with its value. An exception of any other kind is
recorded and reported as an anomaly (a worker never dies silently).

PETACORE_LONG=1 scales durations up (long_factor()); the long run is the same code.
"""
import os
import threading
import time

import redis

LONG = os.environ.get("PETACORE_LONG", "0") not in ("", "0")


def long_factor():
    """How much longer each phase runs: 1 in CI, PETACORE_LONG_FACTOR (default 20) with
    PETACORE_LONG=1."""
    return float(os.environ.get("PETACORE_LONG_FACTOR", "20")) if LONG else 1.0


def phase(seconds):
    return seconds * long_factor()


class Client(threading.Thread):
    def __init__(self, node, name, socket_timeout=15):
        super().__init__(daemon=True)
        self.node = node
        self.name = name
        self.socket_timeout = socket_timeout
        self.stop_flag = threading.Event()
        self.incr_acked = 0
        self.incr_doubt = 0
        self.set_acked = {}  # key -> its value (each SET writes a key of its own)
        self.set_doubt = {}  # key -> its value, for SETs in doubt
        self.unexpected = []  # exceptions of no expected kind: anomalies
        self.errors = []  # (time, text), the first few
        self.ops = 0
        self.seq = 0

    @property
    def counter_key(self):
        return f"cnt:{self.name}"

    def _conn(self):
        return self.node.client(socket_timeout=self.socket_timeout,
                                socket_connect_timeout=5)

    def _note(self, e):
        if len(self.errors) < 20:
            self.errors.append((time.monotonic(), repr(e)))

    def run(self):
        r = None
        while not self.stop_flag.is_set():
            try:
                if r is None:
                    r = self._conn()
            except Exception as e:  # node down: try again soon
                self._note(e)
                time.sleep(0.1)
                continue
            try:
                r.incr(self.counter_key)
                self.incr_acked += 1
            except (redis.ConnectionError, redis.TimeoutError) as e:
                self.incr_doubt += 1
                self._note(e)
                r = None
                time.sleep(0.05)
                continue
            except redis.ResponseError as e:
                self.incr_doubt += 1
                self._note(e)
                time.sleep(0.02)
                continue
            except Exception as e:  # noqa: BLE001 - reported by check()
                self.incr_doubt += 1  # it may have been sent
                self.unexpected.append(f"INCR: {type(e).__name__}: {e}")
                r = None
                time.sleep(0.05)
                continue
            self.seq += 1
            key = f"set:{self.name}:{self.seq}"
            try:
                r.set(key, self.seq)
                self.set_acked[key] = self.seq
            except (redis.ConnectionError, redis.TimeoutError) as e:
                self.set_doubt[key] = self.seq
                self._note(e)
                r = None
                time.sleep(0.05)
            except redis.ResponseError as e:
                self.set_doubt[key] = self.seq
                self._note(e)
                time.sleep(0.02)
            except Exception as e:  # noqa: BLE001 - reported by check()
                self.set_doubt[key] = self.seq
                self.unexpected.append(f"SET: {type(e).__name__}: {e}")
                r = None
                time.sleep(0.05)
            self.ops += 2

    def stop(self):
        self.stop_flag.set()
        self.join(timeout=60)
        assert not self.is_alive(), f"client {self.name} did not stop"

    def check(self, r):
        """Checks this client's writes against the final state read through `r`; returns a
        list of anomalies (empty when none)."""
        anomalies = [f"{self.name}: {u}" for u in self.unexpected]
        if self.is_alive():
            anomalies.append(f"{self.name}: still running at the check")
        value = int(r.get(self.counter_key) or 0)
        if not self.incr_acked <= value <= self.incr_acked + self.incr_doubt:
            anomalies.append(f"{self.counter_key}={value}, acked {self.incr_acked}, "
                             f"in doubt {self.incr_doubt}")
        keys = list(self.set_acked) + list(self.set_doubt)
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            for key, got in zip(chunk, r.mget(chunk)):
                # A value that is not one this client wrote is an anomaly, not an exception.
                got = got.decode(errors="replace") if got is not None else None
                got = int(got) if got is not None and got.isdigit() else got
                if key in self.set_acked:
                    if got != self.set_acked[key]:
                        anomalies.append(f"{key}={got}, acked {self.set_acked[key]}")
                elif got not in (None, self.set_doubt[key]):
                    anomalies.append(f"{key}={got}, in doubt {self.set_doubt[key]}")
        return anomalies


class Load:
    """`per_node` Client threads on each node."""

    def __init__(self, nodes, per_node=1, prefix="c"):
        self.clients = [Client(n, f"{prefix}{i}.{j}") for i, n in enumerate(nodes)
                        for j in range(per_node)]

    def start(self):
        for c in self.clients:
            c.start()
        return self

    def stop(self):
        for c in self.clients:
            c.stop()

    def wait_ops(self, n, timeout=60):
        """Waits until the clients did n more operations in all (the load is running)."""
        start = self.ops
        deadline = time.monotonic() + timeout
        while self.ops < start + n:
            if time.monotonic() > deadline:
                raise TimeoutError(f"load made no progress: {self.ops - start} ops")
            time.sleep(0.02)

    @property
    def ops(self):
        return sum(c.ops for c in self.clients)

    def stats(self):
        return {
            "ops": self.ops,
            "acked": sum(c.incr_acked + len(c.set_acked) for c in self.clients),
            "incr_acked": sum(c.incr_acked for c in self.clients),
            "in_doubt": sum(c.incr_doubt + len(c.set_doubt) for c in self.clients),
        }

    def check(self, r):
        anomalies = []
        for c in self.clients:
            anomalies += c.check(r)
        return anomalies
