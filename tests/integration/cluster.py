"""Multi-member test harness: a 3-member etcd cluster and N PetaCore nodes, all on free
loopback ports, with the faults the fault tests inject (kill -9, SIGSTOP/SIGCONT, restart).

Members are started with scripts/start-etcd.sh (PetaCore's etcd settings, plus NAME and
--initial-cluster), nodes are harness.Node processes given every member's endpoint (or a
tcpproxy.TcpProxy's). Everything started here is stopped by close(), SIGKILL as a last resort.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import harness
from harness import free_port, wait_for


class Member:
    """One member of an EtcdCluster. pid is None while it is down (killed)."""

    def __init__(self, cluster, index):
        self.cluster = cluster
        self.name = f"etcd{index}"
        self.dir = os.path.join(cluster.dir, self.name)
        self.port = free_port()
        self.peer_port = free_port()
        self.pid = None
        self.stopped = False

    @property
    def endpoint(self):
        return f"127.0.0.1:{self.port}"

    @property
    def peer_url(self):
        return f"http://127.0.0.1:{self.peer_port}"

    def start(self, wait=True):
        env = dict(os.environ, PETACORE_ETCD_NOWAIT="0" if wait else "1")
        out = subprocess.run(["bash", harness.START_ETCD, self.dir, str(self.port),
                              str(self.peer_port), self.name, self.cluster.initial_cluster],
                             check=True, capture_output=True, text=True, timeout=60, env=env)
        self.pid = int(out.stdout.strip())
        self.stopped = False

    def alive(self):
        if self.pid is None:
            return False
        try:
            os.kill(self.pid, 0)
            return True
        except ProcessLookupError:
            return False

    def signal(self, sig):
        if self.pid is not None:
            os.kill(self.pid, sig)

    def kill(self):
        """kill -9, and wait until the process is gone (etcd is a child of no one here)."""
        if self.pid is None:
            return
        try:
            os.kill(self.pid, signal.SIGCONT if self.stopped else 0)
            os.kill(self.pid, signal.SIGKILL)
            for _ in range(400):
                os.kill(self.pid, 0)
                time.sleep(0.025)
        except ProcessLookupError:
            pass
        self.pid = None
        self.stopped = False

    def stop(self):
        """SIGSTOP: the member stays a member but answers nothing."""
        self.signal(signal.SIGSTOP)
        self.stopped = True

    def cont(self):
        self.signal(signal.SIGCONT)
        self.stopped = False

    def restart(self):
        """Starts a killed member again from its data dir (waits for it to be healthy)."""
        self.kill()
        self.start(wait=True)

    def status(self):
        """etcdctl endpoint status of this member: dict with header/leader/raftIndex..."""
        out = self.cluster.ctl("endpoint", "status", "-w", "json", endpoints=[self.endpoint])
        return json.loads(out)[0]["Status"]


class EtcdCluster:
    """A 3-member (by default) etcd cluster on loopback."""

    def __init__(self, size=3):
        # Free ports are picked before etcd binds them, so a test running in parallel can take
        # one first; the member then exits at start. Every member must be up and healthy, or
        # the whole cluster starts again on new ports (a silently dead member would make a
        # later stop/kill of it fail far from the cause).
        for attempt in range(3):
            self.dir = tempfile.mkdtemp(prefix="petacore-cluster-")
            self.members = [Member(self, i + 1) for i in range(size)]
            self.initial_cluster = ",".join(f"{m.name}={m.peer_url}" for m in self.members)
            try:
                for m in self.members:  # the first member alone has no quorum: do not wait
                    m.start(wait=False)
                wait_for(lambda: not all(m.alive() for m in self.members) or
                         self.healthy(self.members), timeout=30, interval=0.2,
                         what="etcd cluster health")
                if all(m.alive() for m in self.members):
                    return
                dead = [m.name for m in self.members if not m.alive()]
                self.close()
                if attempt == 2:
                    raise RuntimeError(f"etcd members {dead} exited at start, 3 times")
            except BaseException:
                self.close()
                raise

    @property
    def endpoints(self):
        return [m.endpoint for m in self.members]

    @property
    def endpoint(self):
        """All endpoints, comma-separated (what --etcd-endpoints takes); lets an
        EtcdCluster stand where harness.Node expects an Etcd."""
        return ",".join(self.endpoints)

    def ctl(self, *args, endpoints=None, check=True, timeout=30):
        env = dict(os.environ, ETCDCTL_API="3")
        eps = endpoints or [m.endpoint for m in self.members if m.alive() and not m.stopped]
        return subprocess.run(["etcdctl", "--endpoints", ",".join(eps), "--dial-timeout", "2s",
                               "--command-timeout", "5s", *args], env=env, check=check,
                              capture_output=True, timeout=timeout).stdout

    def healthy(self, members=None):
        """Whether every given (default: every running) member answers `endpoint health`."""
        members = members or [m for m in self.members if m.alive() and not m.stopped]
        out = subprocess.run(["etcdctl", "--endpoints", ",".join(m.endpoint for m in members),
                              "--dial-timeout", "1s", "--command-timeout", "2s", "endpoint",
                              "health"], env=dict(os.environ, ETCDCTL_API="3"),
                             capture_output=True, timeout=15)
        return out.returncode == 0

    def leader(self):
        """The member that is leader now (asked of the running members), or None."""
        for m in self.members:
            if not m.alive() or m.stopped:
                continue
            try:
                st = m.status()
            except Exception:
                continue
            if st.get("leader") and st["leader"] == st["header"]["member_id"]:
                return m
        return None

    def wait_leader(self, timeout=30):
        found = []
        wait_for(lambda: found.append(self.leader()) or found[-1] is not None, timeout=timeout,
                 interval=0.1, what="etcd leader")
        return found[-1]

    def followers(self):
        lead = self.wait_leader()
        return [m for m in self.members if m is not lead and m.alive()]

    def revision(self):
        """The cluster's current revision (a linearizable read through etcdctl)."""
        out = self.ctl("get", "-w", "json", "petacore-test-revision-probe")
        return int(json.loads(out)["header"]["revision"])

    def compact(self, revision):
        self.ctl("compaction", "--physical", str(revision))

    def close(self):
        for m in self.members:
            m.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def start_nodes(etcd, n, extra_args=(), prefix=None):
    """n harness.Node processes on `etcd` (an EtcdCluster, Etcd or TcpProxy: anything with
    .endpoint). The caller closes them."""
    nodes = []
    try:
        for _ in range(n):
            nodes.append(harness.Node(etcd, extra_args=extra_args, prefix=prefix))
    except BaseException:
        for node in nodes:
            node.close()
        raise
    return nodes


def digest_at(node):
    """(revision, digest): DEBUG DIGEST-REVISION, both taken from one snapshot of the node's
    store (the revision is the node's applied etcd revision)."""
    rev, dig = node.client(socket_timeout=10).execute_command("DEBUG", "DIGEST-REVISION")
    return int(rev), dig.decode() if isinstance(dig, bytes) else dig


def applied_revision(node):
    return digest_at(node)[0]


def current_revision(etcd):
    """etcd's current revision (a linearizable read) through `etcd`'s endpoint(s): an
    EtcdCluster or a harness.Etcd."""
    if isinstance(etcd, EtcdCluster):
        return etcd.revision()
    out = subprocess.run(["etcdctl", "--endpoints", etcd.endpoint, "get", "-w", "json",
                          "petacore-test-revision-probe"], env=dict(os.environ, ETCDCTL_API="3"),
                         check=True, capture_output=True, timeout=30).stdout
    return int(json.loads(out)["header"]["revision"])


def wait_converged(nodes, etcd, timeout=60):
    """Waits until every node has applied etcd's current revision, then checks that all
    report the same digest (see below for revisions). Returns (revision, digest)."""
    target = current_revision(etcd)
    wait_for(lambda: all(applied_revision(n) >= target for n in nodes), timeout=timeout,
             interval=0.1, what=f"all nodes at revision {target}")
    # No client writes run now, but housekeeping may still commit (a node registry record, an
    # eviction or expiry delete): equal digests converge whatever the revisions; different
    # digests at different revisions are retried until the nodes meet at one revision, and
    # different digests at one revision are a divergence.
    deadline = time.monotonic() + timeout
    while True:
        results = {n.port: digest_at(n) for n in nodes}
        revs = {r for r, _ in results.values()}
        digs = {d for _, d in results.values()}
        if len(digs) == 1:
            return results[nodes[0].port]
        if len(revs) == 1 or time.monotonic() > deadline:
            raise AssertionError(f"nodes diverge: {results}")
        time.sleep(0.2)
