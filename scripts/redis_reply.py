"""Helpers shared by the generators that read the reference redis-server's COMMAND replies
(gen-command-docs.py, gen-command-spec.py): raw replies to text, flat pairs to a dict, and
C++ string literals."""


def text(x):
    """bytes (or nested lists of them) from a raw redis-py reply, as str."""
    if isinstance(x, bytes):
        return x.decode()
    if isinstance(x, list):
        return [text(i) for i in x]
    return x


def pairs(flat):
    """[k1, v1, k2, v2, ...] as {k1: v1, k2: v2}."""
    return {flat[i]: flat[i + 1] for i in range(0, len(flat), 2)}


def cstr(s):
    """A C++ string literal of s."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
