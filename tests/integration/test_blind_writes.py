"""Blind writes (issue 18): SET / SETEX / MSET of a key they did not read write the meta key
and delete the key's whole range without a compare. Two nodes on one etcd: a blind SET over
a collection another node wrote (maybe not yet seen by the writer) replaces it fully — no
stale subkey left in etcd or visible on any node — and concurrent SET / HSET of one key from
two nodes end in one state both nodes agree on."""
import threading
import unittest

import redis

from differential import ReplicatedTestCase
from harness import Etcd, Node, wait_for

PREFIX = "/petacore/"


class BlindWrites(ReplicatedTestCase):
    def setUp(self):
        self.flush_replicated()

    def etcd_keys_of(self, name):
        """How many etcd keys (meta key + subkeys) hold the Redis key `name`."""
        out = self.etcd.ctl("get", "--prefix", PREFIX, "--keys-only")
        return sum(1 for line in out.split(b"\n") if name.encode() in line)

    def state(self, node, key):
        """(type, content) of `key` on `node`."""
        c = node.client()
        t = c.type(key)
        if t == b"string":
            return t, c.get(key)
        if t == b"hash":
            return t, sorted(c.hgetall(key).items())
        if t == b"list":
            return t, c.lrange(key, 0, -1)
        if t == b"zset":
            return t, c.zrange(key, 0, -1, withscores=True)
        if t == b"set":
            return t, sorted(c.smembers(key))
        return t, None

    def converged(self, key):
        wait_for(lambda: self.state(self.a, key) == self.state(self.b, key),
                 what=f"both nodes agree on {key}")
        return self.state(self.a, key)

    def fill(self, node, kind, key, n):
        c = node.client()
        if kind == "hash":
            c.hset(key, mapping={f"f{i}": i for i in range(n)})
        elif kind == "list":
            c.rpush(key, *range(n))
        elif kind == "zset":
            c.zadd(key, {f"m{i}": i for i in range(n)})
        else:
            c.sadd(key, *[f"m{i}" for i in range(n)])

    def test_set_over_a_collection_from_another_node_replaces_it(self):
        for kind in ("hash", "list", "zset", "set"):
            for i in range(10):
                key = f"blind:{kind}:{i}"
                self.fill(self.b, kind, key, 50)
                if i % 2 == 0:  # sometimes A has seen the collection, sometimes maybe not
                    wait_for(lambda: self.a.client().exists(key) == 1, what="A sees it")
                    self.assertTrue(self.a.client().set(key, "s"))
                else:
                    self.assertTrue(self.a.client().set(key, "s", ex=100))
                with self.subTest(kind=kind, i=i):
                    self.assertEqual(self.converged(key), (b"string", b"s"))
                    self.assertEqual(self.etcd_keys_of(key), 1)
                    # Made a collection again, no old element resurfaces on either node.
                    self.a.client().delete(key)  # A reads its own writes
                    self.a.client().hset(key, "only", "1")
                    self.assertEqual(self.converged(key), (b"hash", [(b"only", b"1")]))

    def test_mset_over_collections_replaces_them(self):
        self.fill(self.b, "list", "ms:l", 30)
        self.fill(self.b, "hash", "ms:h", 30)
        wait_for(lambda: self.a.client().exists("ms:l", "ms:h") == 2, what="A sees both")
        self.assertTrue(self.a.client().mset({"ms:l": "1", "ms:h": "2", "ms:x": "3"}))
        self.assertEqual(self.converged("ms:l"), (b"string", b"1"))
        self.assertEqual(self.converged("ms:h"), (b"string", b"2"))
        self.assertEqual(self.etcd_keys_of("ms:l"), 1)
        self.assertEqual(self.etcd_keys_of("ms:h"), 1)
        self.assertEqual(self.a.client().ttl("ms:x"), -1)

    def test_set_clears_a_ttl_set_on_another_node(self):
        self.b.client().set("ttl:k", "old", ex=1000)
        wait_for(lambda: self.a.client().exists("ttl:k") == 1, what="A sees it")
        self.a.client().set("ttl:k", "new")
        wait_for(lambda: self.b.client().get("ttl:k") == b"new", what="B sees the SET")
        self.assertEqual(self.a.client().ttl("ttl:k"), -1)
        self.assertEqual(self.b.client().ttl("ttl:k"), -1)

    def test_concurrent_set_and_hset_on_one_key_converge(self):
        key = "race"
        errors = []

        def setter():
            c = self.a.client()
            try:
                for i in range(150):
                    c.set(key, f"s{i}")
            except Exception as e:  # noqa: BLE001 - surfaced below
                errors.append(e)

        def hsetter():
            c = self.b.client()
            for i in range(150):
                try:
                    c.hset(key, f"f{i}", i)
                except redis.ResponseError as e:
                    if "WRONGTYPE" not in str(e):
                        errors.append(e)
                except Exception as e:  # noqa: BLE001
                    errors.append(e)

        threads = [threading.Thread(target=setter), threading.Thread(target=hsetter)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        self.assertEqual(errors, [])
        t, content = self.converged(key)
        if t == b"string":
            self.assertEqual(content, b"s149")
            self.assertEqual(self.etcd_keys_of(key), 1)
        else:
            self.assertEqual(t, b"hash")
            self.assertEqual(self.etcd_keys_of(key), 1 + len(content))
        # The last SET of A always wins over a hash: a final SET makes it a string everywhere.
        self.a.client().set(key, "end")
        self.assertEqual(self.converged(key), (b"string", b"end"))
        self.assertEqual(self.etcd_keys_of(key), 1)



class SetOverABigCollection(unittest.TestCase):
    """A SET over what the node sees as a collection of thousands of elements takes the read
    path: its subkeys go by a range tombstone (replication/range_tombstone.h), not by a blind
    etcd DeleteRange that etcd would apply key by key in the SET's Txn. The cleaners are slowed
    down so the tombstone is still in etcd when the test looks."""

    @classmethod
    def setUpClass(cls):
        cls.etcd = Etcd()
        args = ["--chunk-cleaner-interval-ms", "600000"]
        cls.a = Node(cls.etcd, extra_args=args)
        cls.b = Node(cls.etcd, extra_args=args)

    @classmethod
    def tearDownClass(cls):
        cls.a.close()
        cls.b.close()
        cls.etcd.close()

    def tombstones(self):
        out = self.etcd.ctl("get", "--prefix", PREFIX.encode() + b"\xfftombstone/", "--keys-only")
        return [line for line in out.split(b"\n") if line.strip()]

    def test_set_over_a_big_hash(self):
        a, b = self.a.client(), self.b.client()
        for start in range(0, 6000, 2000):
            a.hset("big", mapping={f"f{i}": i for i in range(start, start + 2000)})
        wait_for(lambda: b.hlen("big") == 6000, what="B to see the hash")
        self.assertEqual(self.tombstones(), [])
        self.assertTrue(a.set("big", "now a string"))
        self.assertEqual(len(self.tombstones()), 1)
        wait_for(lambda: b.get("big") == b"now a string", what="B to see the SET")
        # A small collection's subkeys are deleted in the SET's own Txn: no tombstone.
        a.hset("small", mapping={f"f{i}": i for i in range(50)})
        self.assertTrue(a.set("small", "s"))
        self.assertEqual(len(self.tombstones()), 1)
        self.assertEqual(b.get("big"), b"now a string")


if __name__ == "__main__":
    unittest.main()
