"""Unit tests of linearizability.py: hand-made linearizable and non-linearizable register
histories, in-doubt writes, P-compositionality, agreement with a brute-force checker on
random small histories, and the staleness report. No server needed."""
import itertools
import random
import unittest

from linearizability import INFINITY, Op, check_history, check_register, staleness


def w(v, a, b, key="k", client=None):
    return Op(key, "w", v, a, b, client)


def r(v, a, b, key="k", client=None):
    return Op(key, "r", v, a, b, client)


def brute_force(ops, initial=None):
    """Reference: some order of a subset of ops (every op with a finite return, plus any
    in-doubt ones) respects real time and the register semantics."""
    certain = [op for op in ops if op.ret != INFINITY]
    doubtful = [op for op in ops if op.ret == INFINITY]
    for k in range(len(doubtful) + 1):
        for extra in itertools.combinations(doubtful, k):
            chosen = certain + list(extra)
            for perm in itertools.permutations(chosen):
                ok, state = True, initial
                for i, op in enumerate(perm):
                    # real time: nothing later in the order returned before op was invoked
                    if any(later.ret < op.invoke for later in perm[i + 1:]):
                        ok = False
                        break
                    if op.kind == "w":
                        state = op.value
                    elif op.value != state:
                        ok = False
                        break
                if ok:
                    return True
    return False


class HandMade(unittest.TestCase):
    def assertLin(self, ops, expected):
        result = check_history(ops)
        self.assertEqual(bool(result), expected, result.describe())

    def test_empty_and_sequential(self):
        self.assertLin([], True)
        self.assertLin([r(None, 0, 1), w(1, 2, 3), r(1, 4, 5), w(2, 6, 7), r(2, 8, 9)], True)

    def test_stale_read_after_acknowledged_write_fails(self):
        self.assertLin([w(1, 0, 1), w(2, 2, 3), r(1, 4, 5)], False)
        self.assertLin([w(1, 0, 1), r(None, 2, 3)], False)

    def test_read_of_a_value_never_written_fails(self):
        self.assertLin([w(1, 0, 1), r(7, 2, 3)], False)

    def test_concurrent_write_may_be_seen_or_not(self):
        self.assertLin([w(1, 0, 10), r(None, 1, 2), r(1, 3, 4)], True)
        self.assertLin([w(1, 0, 10), r(1, 1, 2), r(1, 3, 4)], True)
        self.assertLin([w(1, 0, 10), r(None, 1, 9)], True)

    def test_new_old_inversion_fails(self):
        # Once a read returned the new value, a later read may not return the old one.
        self.assertLin([w(1, 0, 10), r(1, 1, 2), r(None, 3, 4)], False)
        # Two readers, one after the other, disagree with the write order.
        self.assertLin([w(1, 0, 1), w(2, 2, 20), r(2, 3, 4, client=1), r(1, 5, 6, client=2)],
                       False)

    def test_concurrent_writes_order_fixed_by_reads(self):
        ops = [w(1, 0, 10), w(2, 0, 10), r(1, 11, 12), r(1, 13, 14)]
        self.assertLin(ops, True)
        ops = [w(1, 0, 10), w(2, 0, 10), r(1, 11, 12), r(2, 13, 14)]
        self.assertLin(ops, False)  # no write between the two reads
        ops = [w(1, 0, 10), w(2, 0, 10), r(1, 2, 3), r(2, 4, 5), r(2, 11, 12)]
        self.assertLin(ops, True)

    def test_in_doubt_write_may_apply_late_or_never(self):
        self.assertLin([w(1, 0, INFINITY), r(None, 5, 6), r(1, 7, 8)], True)
        self.assertLin([w(1, 0, INFINITY), r(None, 5, 6)], True)
        self.assertLin([w(1, 0, INFINITY), r(1, 5, 6), r(None, 7, 8)], False)
        # An in-doubt write cannot take effect before it was invoked.
        self.assertLin([r(1, 0, 1), w(1, 2, INFINITY)], False)
        # Two in-doubt writes: applied in either order, or not at all.
        self.assertLin([w(1, 0, INFINITY), w(2, 0, INFINITY), r(2, 3, 4), r(1, 5, 6)], True)
        self.assertLin([w(1, 0, INFINITY), w(2, 0, INFINITY), r(2, 3, 4), r(1, 5, 6),
                        r(2, 7, 8)], False)

    def test_keys_are_checked_independently(self):
        good = [w(1, 0, 1, "a"), r(1, 2, 3, "a"), w(5, 0, 1, "b"), r(5, 2, 3, "b")]
        self.assertLin(good, True)
        # Each key alone is fine, with the same timing on both: still fine together.
        bad = good + [r(None, 4, 5, "b")]
        result = check_history(bad)
        self.assertFalse(result)
        self.assertEqual(result.key, "b")
        self.assertIn("NOT linearizable", result.describe())

    def test_unobserved_in_doubt_writes_are_pruned_observed_ones_kept(self):
        from linearizability import prune
        ops = [w(1, 0, INFINITY), w(2, 0, INFINITY), r(2, 3, 4)]
        self.assertEqual([op.value for op in prune(ops)], [2, 2])
        # Many unobserved in-doubt writes cost nothing.
        many = [w(100 + i, i, INFINITY) for i in range(200)] + [w(1, 0, 1), r(1, 2, 3)]
        ok, _, explored = check_register(many)
        self.assertTrue(ok)
        self.assertLess(explored, 10)

    def test_budget_gives_undecided_not_a_pass(self):
        # 14 overlapping writes and a read of a value never written: exhaustive search.
        ops = [w(i, 0, 100) for i in range(14)] + [r(99, 101, 102)]
        result = check_history(ops, max_states=1000)
        self.assertIsNone(result.ok)
        self.assertFalse(result)
        self.assertIn("UNDECIDED", result.describe())

    def test_initial_value(self):
        ok, _, _ = check_register([r(0, 0, 1)], initial=0)
        self.assertTrue(ok)
        ok, _, _ = check_register([r(0, 0, 1)])
        self.assertFalse(ok)


class AgainstBruteForce(unittest.TestCase):
    def random_history(self, rng, n_ops, doubt_rate):
        ops, value = [], 0
        for _ in range(n_ops):
            a = rng.randint(0, 20)
            b = a + rng.randint(0, 8)
            if rng.random() < 0.5:
                value += 1
                ops.append(w(value, a, INFINITY if rng.random() < doubt_rate else b))
            else:
                ops.append(r(rng.choice([None] + list(range(1, value + 2))), a, b))
        return ops

    def test_random_small_histories_agree(self):
        rng = random.Random(6)
        verdicts = {True: 0, False: 0}
        for _ in range(1500):
            ops = self.random_history(rng, rng.randint(1, 6), doubt_rate=0.2)
            expected = brute_force(ops)
            got, _, _ = check_register(ops)
            self.assertEqual(got, expected, ops)
            verdicts[expected] += 1
        # Both verdicts are exercised.
        self.assertGreater(verdicts[True], 100)
        self.assertGreater(verdicts[False], 100)

    def test_simulated_linearizable_executions_pass(self):
        """Histories built from a real sequential execution: each op takes effect at a point
        inside its interval. Many concurrent clients, hundreds of ops: must pass, and must
        fail once one read is made to return a superseded value."""
        rng = random.Random(7)
        for _ in range(20):
            points, value, state, ops = [], 0, None, []
            t = 0.0
            for _ in range(400):
                t += rng.expovariate(1.0)
                points.append(t)
            for p in points:
                a = p - rng.uniform(0, 5)
                b = p + rng.uniform(0, 5)
                if rng.random() < 0.4:
                    value += 1
                    state = value
                    doubt = rng.random() < 0.02
                    ops.append(w(value, a, INFINITY if doubt else b))
                else:
                    ops.append(r(state, a, b))
            self.assertTrue(check_history(ops), "simulated linearizable history rejected")
            # Corrupt: a read returns the value from long before it was invoked.
            reads = [op for op in ops if op.kind == "r" and op.value is not None and op.value > 30]
            victim = rng.choice(reads)
            victim.value -= 25
            self.assertFalse(check_history(ops))


class Staleness(unittest.TestCase):
    def test_measures_revisions_versions_and_time(self):
        ops = [w("a", 0, 10), w("b", 20, 30), w("c", 40, 50),
               r("a", 60, 61),   # missed b (acked 30 ms before) and c: 2 versions
               r("c", 62, 63),   # fresh
               r("b", 45, 47),   # c not yet acknowledged at 45: not stale
               Op("other", "w", "x", 0, 1)]
        revision = {("k", "a"): 5, ("k", "b"): 9, ("k", "c"): 12, ("other", "x"): 3}
        report = staleness(ops, revision)
        self.assertEqual(report["reads"], 3)
        self.assertEqual(report["stale"], 1)
        self.assertEqual(report["revisions_max"], 7)
        self.assertEqual(report["versions_max"], 2)
        self.assertEqual(report["ms_max"], 30)

    def test_read_of_unknown_value_is_an_error(self):
        with self.assertRaises(AssertionError):
            staleness([r("zzz", 0, 1)], {})


if __name__ == "__main__":
    unittest.main()
