"""A raw RESP3 client for the RESP3 differential test (test_resp3.py): sends one command as
a multibulk request and hands back the reply's exact bytes together with a parsed tree, so a
test can compare bytes exactly or, where the server's order is a hash order, compare the
trees with their aggregates sorted (canonical).

Trees are resp_wire's (type byte, value) tuples.
Not thread-safe: one object per connection.
"""
from resp_wire import WireConn


class Resp3Conn(WireConn):
    """One TCP connection (no HELLO sent); call(*args) returns (raw bytes, tree) of the next
    reply (resp_wire.WireConn)."""

    def read(self):
        """The next reply: (raw bytes, tree)."""
        return self.read_tree()


def canonical(tree):
    """The tree with every set and map sorted (maps by key) and every array kept in order;
    for replies whose order is a hash order use canonical_unordered."""
    kind, value = tree
    if not isinstance(value, list):
        return tree
    items = [canonical(x) for x in value]
    if kind == b"~":
        items.sort()
    elif kind == b"%":
        pairs = sorted(zip(items[0::2], items[1::2]))
        items = [x for p in pairs for x in p]
    return (kind, items)


def canonical_unordered(tree):
    """canonical, and the top-level array's elements sorted too (KEYS, HKEYS, ...); a
    two-element [cursor, items] SCAN-style reply gets its items sorted instead."""
    kind, value = canonical(tree)
    if kind == b"*" and isinstance(value, list):
        if len(value) == 2 and value[0][0] == b"$" and value[1][0] == b"*":
            return (kind, [value[0], (b"*", sorted(value[1][1]))])
        return (kind, sorted(value))
    return (kind, value)


def shape(tree):
    """The reply's types and sizes with the values left out, for random replies (SRANDMEMBER
    with a negative count): only the RESP3 types must agree."""
    kind, value = tree
    if isinstance(value, list):
        return (kind, [shape(x) for x in value])
    return (kind, None if value is None else "...")
