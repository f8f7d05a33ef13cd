"""COMMAND LIST and COMMAND COUNT against a real redis-server 7.0.15: every command and
subcommand name Redis 7.0.15 has, PetaCore has (issue 16), and PetaCore's only extras are its
own (PETACORE_ONLY). Fails listing the names one side lacks."""
import unittest

from differential import RawAgainstRedisTestCase

# PetaCore's own commands and the later-Redis subcommands it has (CommandSpec.petacore_only).
PETACORE_ONLY = {"petacore", "petacore|help", "petacore|readconsistency", "client|setinfo"}
PETACORE_ONLY_TOP = {n for n in PETACORE_ONLY if "|" not in n}


def names(tree):
    kind, items = tree
    assert kind == b"*", tree
    return {v.decode() for _, v in items}


class CommandListTest(RawAgainstRedisTestCase):
    def test_every_redis_name_present(self):
        (_, got), (_, want) = self.both_trees("COMMAND", "LIST")
        got, want = names(got), names(want)
        missing = sorted(want - got)
        self.assertEqual(missing, [], f"missing from PetaCore's COMMAND LIST: {missing}")
        extra = sorted(got - want - PETACORE_ONLY)
        self.assertEqual(extra, [], f"not in Redis 7.0.15's COMMAND LIST: {extra}")

    def test_count(self):
        (_, got), (_, want) = self.both_trees("COMMAND", "COUNT")
        self.assertEqual(got[0], b":")
        self.assertEqual(int(got[1]), int(want[1]) + len(PETACORE_ONLY_TOP))

    def test_count_matches_list(self):
        (_, count), _ = self.both_trees("COMMAND", "COUNT")
        (_, listed), _ = self.both_trees("COMMAND", "LIST")
        top = {n for n in names(listed) if "|" not in n}
        self.assertEqual(int(count[1]), len(top))


if __name__ == "__main__":
    unittest.main()
