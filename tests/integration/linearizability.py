"""A linearizability checker for single-key register histories, and a staleness report.

The algorithm is Wing & Gong's, with Lowe's memoization, as Porcupine implements it: the
history becomes a time-ordered list of call and return entries; a depth-first search picks,
among the operations whose call comes before the first pending return, one that the model
accepts in the current state, "lifts" it out of the list and goes on; when it meets a return
entry whose operation is not linearized yet, it backtracks. A (set of linearized ops, model
state) pair already explored is never explored again. Registers are P-compositional: a
history is linearizable iff each key's sub-history is, so keys are checked one by one.

Operations (Op): kind "w" (write `value`) or "r" (read, observed `value`; None = key absent),
invoke and ret timestamps from one clock (any unit). An operation whose outcome is unknown —
a write that timed out or failed with an etcd error may or may not have been applied — has
ret = INFINITY: it may take effect at any point after its call, or (placed after everything
else) never. A read that failed has no effect and should be left out of the history.

Pruning: an in-doubt write whose value no read observed is dropped before the search. That
is exact for a register: in any linearization such a write is followed by another write (or
by nothing), so taking it out keeps the rest valid; and a linearization without it extends
to one with it, placed last (its return is at infinity). Without this, every such write
doubles the states the search may visit. The search has a budget (max_states); past it the
verdict is "undecided" (None), never a silent pass.
"""
from collections import defaultdict
import math

INFINITY = math.inf


class Op:
    __slots__ = ("key", "kind", "value", "invoke", "ret", "client", "node", "mode")

    def __init__(self, key, kind, value, invoke, ret, client=None, node=None, mode=None):
        assert kind in ("r", "w")
        assert ret >= invoke, "an operation cannot return before it is invoked"
        self.key, self.kind, self.value = key, kind, value
        self.invoke, self.ret = invoke, ret
        self.client, self.node, self.mode = client, node, mode

    def __repr__(self):
        ret = "inf" if self.ret == INFINITY else self.ret
        return f"{self.kind}({self.key}={self.value!r} @{self.invoke}..{ret} c={self.client})"


def _step(state, op):
    """Register model: a write always succeeds; a read must observe the current value."""
    if op.kind == "w":
        return True, op.value
    return op.value == state, state


class Result:
    """ok: linearizable. For a failing key: `key`, `ops` (that key's history) and
    `longest` (the longest linearized prefix found: ops in linearization order), whose
    next step no remaining operation could take."""

    def __init__(self, ok, key=None, ops=None, longest=None, explored=0):
        # ok: True, False, or None (undecided: the state budget ran out)
        self.ok, self.key, self.ops, self.longest, self.explored = ok, key, ops, longest, explored

    def __bool__(self):
        return self.ok is True

    def describe(self, limit=12):
        if self.ok:
            return f"linearizable ({self.explored} states explored)"
        if self.ok is None:
            return (f"UNDECIDED: key {self.key!r}: state budget exhausted after "
                    f"{self.explored} states ({len(self.ops)} ops)")
        tail = self.longest[-limit:]
        pending = [op for op in self.ops if op not in self.longest]
        pending.sort(key=lambda op: op.invoke)
        return (f"NOT linearizable: key {self.key!r}: longest linearizable prefix "
                f"{len(self.longest)}/{len(self.ops)} ops, ending with {tail}; "
                f"first ops that could not follow: {pending[:limit]}")


DEFAULT_MAX_STATES = 500_000


def prune(ops):
    """Drops in-doubt writes whose value no read observed (see the module comment)."""
    observed = {op.value for op in ops if op.kind == "r"}
    return [op for op in ops
            if not (op.kind == "w" and op.ret == INFINITY and op.value not in observed)]


def check_register(ops, initial=None, max_states=DEFAULT_MAX_STATES):
    """Checks one key's history against a register that starts at `initial`.
    Returns (verdict, longest linearized prefix as a list of ops, states explored); verdict
    is True, False, or None when more than max_states states would be needed."""
    ops = prune(ops)
    n = len(ops)
    if n == 0:
        return True, [], 0
    # Entries: (time, 0 = call / 1 = return, op index); at equal times calls come first,
    # which makes the operations overlap (the permissive reading of a tie).
    entries = sorted([(op.invoke, 0, i) for i, op in enumerate(ops)] +
                     [(op.ret, 1, i) for i, op in enumerate(ops)])
    m = len(entries)
    head = m  # sentinel node
    nxt = list(range(1, m + 1)) + [0]
    prv = [head] + list(range(0, m - 1)) + [None]
    nxt[m - 1] = None
    nxt[head] = 0
    call_node, ret_node = [0] * n, [0] * n
    is_call = [False] * m
    op_of = [0] * m
    for k, (_, kind, i) in enumerate(entries):
        op_of[k] = i
        if kind == 0:
            call_node[i] = k
            is_call[k] = True
        else:
            ret_node[i] = k

    def unlink(x):
        nxt[prv[x]] = nxt[x]
        if nxt[x] is not None:
            prv[nxt[x]] = prv[x]

    def relink(x):
        nxt[prv[x]] = x
        if nxt[x] is not None:
            prv[nxt[x]] = x

    state = initial
    linearized = 0  # bit i set: op i is linearized
    stack = []      # (op index, state before it)
    cache = set()
    longest = []
    explored = 0
    entry = nxt[head]
    while nxt[head] is not None:
        if is_call[entry]:
            i = op_of[entry]
            ok, new_state = _step(state, ops[i])
            if ok:
                bits = linearized | (1 << i)
                memo = (bits, new_state)
                if memo not in cache:
                    if explored >= max_states:
                        return None, longest, explored
                    cache.add(memo)
                    explored += 1
                    stack.append((i, state))
                    state, linearized = new_state, bits
                    unlink(call_node[i])
                    unlink(ret_node[i])
                    if len(stack) > len(longest):
                        longest = [ops[j] for j, _ in stack]
                    entry = nxt[head]
                    continue
            entry = nxt[entry]
        else:
            # A return whose operation is not linearized yet: every choice so far fails.
            if not stack:
                return False, longest, explored
            i, state = stack.pop()
            linearized &= ~(1 << i)
            relink(ret_node[i])
            relink(call_node[i])
            entry = nxt[call_node[i]]
    return True, [ops[j] for j, _ in stack], explored


def check_history(ops, initial=None, max_states=DEFAULT_MAX_STATES):
    """Checks a multi-key history key by key (P-compositionality). Returns a Result: the
    first failing (or undecided) key's, or ok with the total states explored."""
    by_key = defaultdict(list)
    for op in ops:
        by_key[op.key].append(op)
    explored = 0
    for key in sorted(by_key, key=repr):
        ok, longest, n = check_register(by_key[key], initial, max_states)
        explored += n
        if ok is not True:
            return Result(ok, key, by_key[key], longest, explored)
    return Result(True, explored=explored)


def staleness(ops, write_revision):
    """How stale reads are, for histories whose writes carry unique values.

    `write_revision` maps (key, value) to the etcd revision that applied that write (writes
    absent from it never took effect). For each read, the writes of its key acknowledged
    (returned) before the read was invoked must be visible to a linearizable read; the newest
    of them by revision is what the read should at least see. A read that observed an older
    value is stale by:
      - revisions: revision(newest acknowledged) - revision(observed) (etcd revisions, which
        count every write of the cluster, not only this key's),
      - versions: how many writes of this key with revisions in (observed, newest] it missed,
      - ms: how long before the read's invocation the first missed write was acknowledged.
    Returns a dict: reads, stale, and max/p50/p99 of each measure over the stale reads,
    plus `samples` (the stale reads' (revisions, versions, ms, op)).
    """
    acked = defaultdict(list)  # key -> [(ret, revision)] of acknowledged writes
    revs_by_key = defaultdict(list)
    for op in ops:
        if op.kind != "w":
            continue
        rev = write_revision.get((op.key, op.value))
        if rev is None:
            continue
        revs_by_key[op.key].append((rev, op))
        if op.ret != INFINITY:
            acked[op.key].append((op.ret, rev))
    for key in revs_by_key:
        revs_by_key[key].sort(key=lambda x: x[0])
    reads, samples = 0, []
    for op in ops:
        if op.kind != "r":
            continue
        reads += 1
        seen = 0 if op.value is None else write_revision.get((op.key, op.value))
        if seen is None:
            raise AssertionError(f"read observed a value no write produced: {op}")
        before = [(ret, rev) for ret, rev in acked[op.key] if ret < op.invoke and rev > seen]
        if not before:
            continue
        newest = max(rev for _, rev in before)
        missed = [(rev, w) for rev, w in revs_by_key[op.key] if seen < rev <= newest]
        first_missed_ack = min(ret for ret, _ in before)
        samples.append((newest - seen, len(missed), (op.invoke - first_missed_ack), op))
    report = {"reads": reads, "stale": len(samples), "samples": samples}
    for idx, name in ((0, "revisions"), (1, "versions"), (2, "ms")):
        vals = sorted(s[idx] for s in samples)
        if vals:
            report[f"{name}_max"] = vals[-1]
            report[f"{name}_p50"] = vals[len(vals) // 2]
            report[f"{name}_p99"] = vals[min(len(vals) - 1, int(len(vals) * 0.99))]
    return report
