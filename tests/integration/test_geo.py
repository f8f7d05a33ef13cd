"""Differential test of the geo commands (GEOADD, GEODIST, GEOHASH, GEOPOS, GEORADIUS,
GEORADIUSBYMEMBER and their _RO forms, GEOSEARCH, GEOSEARCHSTORE): PetaCore (standalone)
against redis-server 7.0.15, compared as raw RESP bytes (reply types and digits count), plus
keyspace events and two replicated nodes.

- fixed cases: every error text of geo.c, units, the coordinate limits, missing keys;
- seeded random points (uniform, near the poles, on the antimeridian, at the ±85.05112878
  limits, clusters with duplicate positions so distances tie), then random GEOSEARCH /
  GEORADIUS* queries (units, BYBOX, COUNT, ANY, ASC/DESC, WITH*) reply by reply, and the
  STORE forms compared through ZRANGE WITHSCORES (seeds printed; rerun with
  PETACORE_GEO_SEEDS=1,2; sizes: PETACORE_GEO_POINTS, PETACORE_GEO_QUERIES);
- two nodes on a 3-member etcd cluster: points added on A, searched on B; racing GEOADDs
  from both nodes converge.
"""
import math
import os
import random
import sys
import threading
import unittest

import cluster
from differential import RawAgainstRedisTestCase
from harness import wait_for
from resp_wire import WireConn

DEFAULT_SEEDS = [20261206, 7, 4242]
POINTS_PER_SEED = int(os.environ.get("PETACORE_GEO_POINTS", "300"))
QUERIES_PER_SEED = int(os.environ.get("PETACORE_GEO_QUERIES", "400"))
LAT_LIMIT = 85.05112878
UNITS = ["m", "km", "ft", "mi", "M", "KM", "Ft", "mI"]

SICILY = [("GEOADD", "Sicily", "13.361389", "38.115556", "Palermo",
           "15.087269", "37.502669", "Catania", "12.758489", "38.788135", "edge1",
           "17.241510", "38.788135", "edge2")]


def fmt(x):
    """Six decimals, truncated toward zero (so a point near a limit stays inside it)."""
    if isinstance(x, float):
        return repr(math.trunc(x * 1e6) / 1e6) if abs(x) not in (LAT_LIMIT, 180.0) else repr(x)
    return str(x)


class GeoAgainstRedis(RawAgainstRedisTestCase):

    def load_sicily(self):
        for args in SICILY:
            self.same(*args)

    def test_geoadd(self):
        for args in [
            ("GEOADD", "k", "13.361389", "38.115556", "Palermo"),
            ("GEOADD", "k", "13.361389", "38.115556", "Palermo"),
            ("GEOADD", "k", "CH", "13.361390", "38.115556", "Palermo"),
            ("GEOADD", "k", "NX", "1", "1", "Palermo", "2", "2", "x"),
            ("GEOADD", "k", "XX", "CH", "3", "3", "x", "4", "4", "y"),
            ("GEOADD", "k", "XX", "NX", "3", "3", "x"),
            ("GEOADD", "k", "CH", "NX", "XX", "3", "3", "x"),
            ("GEOADD", "k", "GT", "3", "3", "x"),
            ("GEOADD", "k", "1", "2"), ("GEOADD", "k", "1", "2", "a", "3"),
            ("GEOADD", "k", "CH", "CH", "CH"), ("GEOADD", "k", "NX", "NX", "1", "2"),
            ("GEOADD", "k", "200", "10", "a"), ("GEOADD", "k", "10", "86", "a"),
            ("GEOADD", "k", "-180.0001", "0", "a"), ("GEOADD", "k", "0", "-85.05112879", "a"),
            ("GEOADD", "k", "1", "1", "ok", "181", "1", "bad"), ("ZCARD", "k"),
            ("GEOADD", "k", "x", "1", "a"), ("GEOADD", "k", "1", "y", "a"),
            ("GEOADD", "k", "", "1", "a"), ("GEOADD", "k", " 1", "1", "a"),
            ("GEOADD", "k", "inf", "1", "a"), ("GEOADD", "k", "nan", "1", "a"),
            ("GEOADD", "k", "1e400", "1", "a"), ("GEOADD", "k", "0x10", "1", "hex"),
            ("GEOADD", "k", "180", "85.05112878", "ne", "-180", "-85.05112878", "sw",
             "0", "0", "origin", "-0", "-0", "negzero"),
            ("ZRANGE", "k", "0", "-1", "WITHSCORES"),
            ("SET", "str", "v"), ("GEOADD", "str", "1", "1", "a"), ("GEOADD", "str", "1", "1000", "a"),
            ("GEOADD", "k"), ("GEOADD", "k", "1", "1"),
        ]:
            self.same(*args)

    def test_geopos_geohash_geodist(self):
        self.load_sicily()
        self.same("GEOADD", "k", "180", "85.05112878", "ne", "-180", "-85.05112878", "sw",
                  "0", "0", "origin", "0.00001", "-0.00001", "tiny")
        self.same("ZADD", "k", "0", "zero", "-5", "neg", "4503599627370496", "big", "1e20", "huge")
        self.same("SET", "str", "v")
        for args in [
            ("GEOPOS", "Sicily", "Palermo", "Catania", "nope", "edge1"), ("GEOPOS", "Sicily"),
            ("GEOPOS", "none", "a", "b"), ("GEOPOS", "str", "a"),
            ("GEOPOS", "k", "ne", "sw", "origin", "tiny", "zero", "neg", "big", "huge"),
            ("GEOHASH", "Sicily", "Palermo", "Catania", "x"), ("GEOHASH", "none", "a"),
            ("GEOHASH", "k", "ne", "sw", "origin", "tiny", "zero", "neg", "big", "huge"),
            ("GEOHASH", "str", "a"), ("GEOHASH", "Sicily"),
            ("GEODIST", "Sicily", "Palermo", "Catania"),
            ("GEODIST", "Sicily", "Palermo", "Catania", "km"),
            ("GEODIST", "Sicily", "Palermo", "Catania", "MI"),
            ("GEODIST", "Sicily", "Palermo", "Catania", "ft"),
            ("GEODIST", "Sicily", "Palermo", "Catania", "m"),
            ("GEODIST", "Sicily", "Palermo", "Catania", "yd"),
            ("GEODIST", "Sicily", "Palermo", "Catania", "km", "x"),
            ("GEODIST", "Sicily", "Palermo", "nope"), ("GEODIST", "Sicily", "nope", "Palermo"),
            ("GEODIST", "Sicily", "Palermo", "Palermo"), ("GEODIST", "none", "a", "b"),
            ("GEODIST", "none", "a", "b", "parsec"), ("GEODIST", "str", "a", "b"),
            ("GEODIST", "k", "ne", "sw"), ("GEODIST", "k", "origin", "tiny"),
            ("GEODIST", "k", "zero", "neg"), ("GEODIST", "k", "big", "huge", "km"),
            ("GEODIST", "k", "origin", "ne", "ft"),
        ]:
            self.same(*args)

    def test_search_errors(self):
        self.load_sicily()
        self.same("SET", "str", "v")
        for args in [
            ("GEORADIUS", "Sicily", "15", "37", "200", "km"),
            ("GEORADIUS", "Sicily", "15", "37", "200", "parsec"),
            ("GEORADIUS", "Sicily", "15", "37", "-1", "km"),
            ("GEORADIUS", "Sicily", "15", "37", "x", "km"),
            ("GEORADIUS", "Sicily", "15", "97", "1", "km"),
            ("GEORADIUS", "Sicily", "y", "37", "1", "km"),
            ("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "0"),
            ("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "-1"),
            ("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "x"),
            ("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT"),
            ("GEORADIUS", "Sicily", "15", "37", "200", "km", "ANY"),
            ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE"),
            ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "d", "WITHDIST"),
            ("GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHHASH", "STOREDIST", "d"),
            ("GEORADIUS", "Sicily", "15", "37", "200", "km", "FROMMEMBER", "Palermo"),
            ("GEORADIUS", "Sicily", "15", "37", "200", "km", "BYBOX", "1", "1", "km"),
            ("GEORADIUS", "Sicily", "15", "37", "200", "km", "bogus"),
            ("GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "STORE", "d"),
            ("GEORADIUS", "str", "15", "37", "200", "km"),
            ("GEORADIUS", "none", "15", "37", "200", "km", "WITHDIST"),
            ("GEORADIUS", "none", "15", "97", "200", "km"),
            ("GEORADIUSBYMEMBER", "Sicily", "nope", "100", "km"),
            ("GEORADIUSBYMEMBER", "Sicily", "Palermo", "-100", "km"),
            ("GEORADIUSBYMEMBER", "Sicily", "Palermo", "100", "au"),
            ("GEORADIUSBYMEMBER", "none", "nope", "x", "au"),
            ("GEORADIUSBYMEMBER", "none", "nope", "x", "au", "WITHDIST", "STORE", "d"),
            ("GEORADIUSBYMEMBER", "none", "nope", "x", "au", "bogus"),
            ("GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", "100", "km", "STOREDIST", "d"),
            ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"),
            ("GEOSEARCH", "Sicily", "BYRADIUS", "200", "km", "ASC"),
            ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "ASC", "WITHDIST"),
            ("geosearch", "Sicily", "FROMLONLAT", "15", "37", "ASC", "WITHDIST"),
            ("GeoSearch", "Sicily", "BYBOX", "1", "1", "km", "WITHDIST"),
            ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "m"),
            ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "m"),
            ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "m", "BYBOX", "1", "1", "m"),
            ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "1", "1", "m", "BYRADIUS", "1", "m"),
            ("GEOSEARCH", "Sicily", "FROMMEMBER", "nope", "BYRADIUS", "1", "m"),
            ("GEOSEARCH", "none", "FROMMEMBER", "nope", "BYRADIUS", "1", "m"),
            ("GEOSEARCH", "none", "FROMMEMBER", "nope", "BYRADIUS", "1", "zz"),
            ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "-1", "1", "m"),
            ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "1", "-1", "m"),
            ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "w", "1", "m"),
            ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "1", "h", "m"),
            ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "1", "1", "lightyear"),
            ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "m", "STORE", "d"),
            ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "m", "STOREDIST"),
            ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "m", "ANY"),
            ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "90", "BYRADIUS", "1", "m"),
            ("GEOSEARCH", "str", "FROMLONLAT", "15", "90", "BYRADIUS", "1", "m"),
            ("GEOSEARCHSTORE", "d", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km", "WITHDIST"),
            ("GEOSEARCHSTORE", "d", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km", "STORE", "x"),
            ("GEOSEARCHSTORE", "d", "Sicily", "FROMMEMBER", "Palermo", "COUNT", "1"),
            ("GEOSEARCHSTORE", "d", "str", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km"),
        ]:
            self.same(*args)

    def test_searches_fixed(self):
        self.load_sicily()
        self.same("SET", "d", "overwritten")
        for args in [
            ("GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "WITHCOORD", "WITHHASH"),
            ("GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "DESC"),
            ("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1", "ANY"),
            ("GEORADIUS", "Sicily", "15", "37", "10", "m"),
            ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "d"),
            ("TYPE", "d"), ("ZRANGE", "d", "0", "-1", "WITHSCORES"),
            ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STOREDIST", "d", "COUNT", "2", "DESC"),
            ("ZRANGE", "d", "0", "-1", "WITHSCORES"),
            ("GEORADIUS", "Sicily", "15", "37", "1", "m", "STORE", "d"), ("EXISTS", "d"),
            ("GEORADIUS", "none", "15", "37", "1", "km", "STORE", "Sicily"), ("EXISTS", "Sicily"),
        ]:
            self.same(*args)
        self.load_sicily()
        for args in [
            ("GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km", "WITHDIST", "ASC"),
            ("GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", "200", "km", "WITHCOORD"),
            ("GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "WITHCOORD", "COUNT", "2"),
            ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km",
             "ASC", "WITHCOORD", "WITHDIST", "WITHHASH"),
            ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "0", "km", "WITHDIST"),
            ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "0", "0", "km"),
            ("GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400",
             "km", "ASC", "COUNT", "3", "STOREDIST"),
            ("ZRANGE", "d", "0", "-1", "WITHSCORES"),
            ("GEOSEARCHSTORE", "Sicily", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "100",
             "km"),
            ("ZRANGE", "Sicily", "0", "-1", "WITHSCORES"),
            ("GEOSEARCHSTORE", "d", "none", "FROMLONLAT", "15", "37", "BYRADIUS", "100", "km"),
            ("EXISTS", "d"),
        ]:
            self.same(*args)

    def test_tied_distances_order(self):
        """Many members at a few identical positions: COUNT picks among equal distances with
        Redis's partial quicksort, a full sort keeps the scan order (a stable merge sort)."""
        args = []
        for i in range(120):
            lon, lat = [(10.0, 10.0), (10.001, 10.0), (9.999, 10.0), (10.0, 10.002)][i % 4]
            args += [repr(lon), repr(lat), f"p{(i * 37) % 120:03d}"]
        self.same("GEOADD", "t", *args)
        seen_unsorted = False
        for count in [None, "1", "3", "7", "40", "41", "80", "119", "500"]:
            for order in [[], ["ASC"], ["DESC"]]:
                for center in [["FROMLONLAT", "10", "10"], ["FROMMEMBER", "p005"]]:
                    q = ["GEOSEARCH", "t"] + center + ["BYRADIUS", "10", "km"] + order
                    if count:
                        q += ["COUNT", count]
                    got = self.same(*q)
                    names = [x for x in got.split(b"\r\n") if x.startswith(b"p")]
                    seen_unsorted |= names != sorted(names)
        self.assertTrue(seen_unsorted)  # ties are not simply in member order

    def test_resp3(self):
        self.load_sicily()
        pc, rr = self.pair(3)
        for args in [("GEOPOS", "Sicily", "Palermo", "nope"), ("GEOHASH", "Sicily", "Catania", "x"),
                     ("GEODIST", "Sicily", "Palermo", "Catania"), ("GEODIST", "none", "a", "b"),
                     ("GEODIST", "Sicily", "Palermo", "x"),
                     ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km",
                      "WITHCOORD", "WITHDIST", "WITHHASH"),
                     ("GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHCOORD")]:
            self.same(*args, conns=(pc, rr))

    def test_keyspace_events(self):
        self.same_events([("GEOADD", "g", "1", "1", "a"), ("GEOADD", "g", "1", "1", "a"),
                         ("GEOADD", "g", "2", "1", "a"),
                         ("GEORADIUS", "g", "1", "1", "1000", "km", "STORE", "d"),
                         ("GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "a", "BYRADIUS", "1", "km"),
                         ("GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "50", "50", "BYRADIUS", "1", "km"),
                         ("GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "a", "BYRADIUS", "1", "km"),
                         ("GEORADIUS", "none", "1", "1", "1", "km", "STOREDIST", "d")])

    def test_multi_script_and_command_info(self):
        for args in [("MULTI",), ("GEOADD", "g", "1", "1", "a", "1.001", "1", "b"),
                     ("GEODIST", "g", "a", "b", "km"), ("GEOSEARCH", "g", "FROMMEMBER", "a",
                                                         "BYRADIUS", "1000", "km", "WITHDIST"),
                     ("EXEC",),
                     ("EVAL", "return redis.call('geopos', KEYS[1], 'a')", "1", "g"),
                     ("EVAL", "return redis.call('geodist', KEYS[1], 'a', 'b')", "1", "g")]:
            self.same(*args)
        for name in ["geoadd", "geodist", "geohash", "geopos", "georadius", "georadius_ro",
                     "georadiusbymember", "georadiusbymember_ro", "geosearch", "geosearchstore"]:
            self.same("COMMAND", "INFO", name)
        for args in [("COMMAND", "GETKEYS", "GEORADIUS", "k", "1", "1", "1", "km", "STORE", "d"),
                     ("COMMAND", "GETKEYS", "GEORADIUSBYMEMBER", "k", "m", "1", "km", "STOREDIST", "d"),
                     ("COMMAND", "GETKEYS", "GEOSEARCHSTORE", "d", "k", "FROMMEMBER", "m", "BYRADIUS", "1", "m")]:
            self.same(*args)

    # ---- seeded random points and queries ------------------------------------------------
    def random_point(self, rng):
        c = rng.random()
        if c < 0.4:
            return rng.uniform(-180, 180), rng.uniform(-LAT_LIMIT, LAT_LIMIT)
        if c < 0.55:  # near the poles
            return rng.uniform(-180, 180), rng.choice([1, -1]) * rng.uniform(80, LAT_LIMIT)
        if c < 0.7:  # the antimeridian
            return rng.choice([1, -1]) * rng.uniform(179, 180), rng.uniform(-60, 60)
        if c < 0.75:  # the limits exactly
            return (rng.choice([-180.0, 180.0, 0.0, rng.uniform(-180, 180)]),
                    rng.choice([LAT_LIMIT, -LAT_LIMIT, 0.0]))
        # a cluster around a few centres, rounded so several members share a position
        cx, cy = rng.choice([(12.5, 41.9), (-73.98, 40.75), (179.99, -16.5), (0.0, 84.9)])
        d = rng.choice([0.001, 0.01, 0.5])
        return (max(-180.0, min(180.0, round(cx + rng.uniform(-d, d), 3))),
                max(-LAT_LIMIT, min(LAT_LIMIT, round(cy + rng.uniform(-d, d), 3))))

    def random_center(self, rng, members):
        if members and rng.random() < 0.4:
            return ("member", rng.choice(members + ["nosuch"]))
        return ("lonlat",) + self.random_point(rng)

    def random_query(self, rng, key, members):
        unit = rng.choice(UNITS)
        per_unit = {"m": 1, "km": 1000, "ft": 0.3048, "mi": 1609.34}[unit.lower()]
        meters = rng.choice([0, 50, 1000, 20000, 200000, 1000000, 5000000, 15000000])
        meters *= rng.uniform(0.5, 1.5)
        size = fmt(meters / per_unit)
        opts = []
        for o in ["WITHDIST", "WITHCOORD", "WITHHASH"]:
            if rng.random() < 0.3:
                opts.append(o)
        r = rng.random()
        if r < 0.3:
            opts.append("ASC")
        elif r < 0.55:
            opts.append("DESC")
        if rng.random() < 0.5:
            opts += ["COUNT", str(rng.choice([1, 2, 3, 5, 10, 50]))]
            if rng.random() < 0.4:
                opts.append("ANY")
        rng.shuffle(opts)
        # re-join "COUNT n" that the shuffle split
        if "COUNT" in opts:
            n = opts[[i for i, o in enumerate(opts) if o.isdigit()][0]]
            opts = [o for o in opts if o != "COUNT" and not o.isdigit()] + ["COUNT", n]
        center = self.random_center(rng, members)
        kind = rng.random()
        if kind < 0.55:
            frm = (["FROMMEMBER", center[1]] if center[0] == "member"
                   else ["FROMLONLAT", fmt(center[1]), fmt(center[2])])
            if rng.random() < 0.5:
                by = ["BYRADIUS", size, unit]
            else:
                by = ["BYBOX", size, fmt(meters * rng.uniform(0.2, 3) / per_unit), unit]
            return ["GEOSEARCH", key] + frm + by + opts
        ro = rng.choice(["", "_RO"])
        if center[0] == "member":
            return ["GEORADIUSBYMEMBER" + ro, key, center[1], size, unit] + opts
        return ["GEORADIUS" + ro, key, fmt(center[1]), fmt(center[2]), size, unit] + opts

    def store_variant(self, rng, query):
        """The query turned into its STORE form, or None."""
        opts = [o for o in query if o not in ("WITHDIST", "WITHCOORD", "WITHHASH")]
        if opts[0] == "GEOSEARCH":
            out = ["GEOSEARCHSTORE", "dst"] + opts[1:]
            if rng.random() < 0.5:
                out.append("STOREDIST")
            return out
        if opts[0].endswith("_RO"):
            return None
        return opts + [rng.choice(["STORE", "STOREDIST"]), "dst"]

    def test_random_points_and_queries(self):
        env = os.environ.get("PETACORE_GEO_SEEDS")
        seeds = [int(s) for s in env.split(",")] if env else DEFAULT_SEEDS
        for seed in seeds:
            with self.subTest(seed=seed):
                print(f"\n[test_geo] seed={seed} points={POINTS_PER_SEED} "
                      f"queries={QUERIES_PER_SEED}", file=sys.stderr)
                self.both("FLUSHALL")
                rng = random.Random(seed)
                members = []
                batch = []
                for i in range(POINTS_PER_SEED):
                    lon, lat = self.random_point(rng)
                    name = f"m{i}" if rng.random() < 0.9 else f"m{rng.randrange(i + 1)}"
                    members.append(name)
                    batch += [fmt(lon), fmt(lat), name]
                    if len(batch) >= 30 or i == POINTS_PER_SEED - 1:
                        self.same("GEOADD", "pts", *batch)
                        batch = []
                # members whose scores ZADD wrote (any 52-bit value, negatives, non-integers)
                for i in range(15):
                    score = rng.choice([rng.randrange(1 << 52), -rng.uniform(0, 1e6),
                                        rng.uniform(0, 1 << 52), 0])
                    self.same("ZADD", "pts", repr(float(score)), f"z{i}")
                    members.append(f"z{i}")
                self.same("ZRANGE", "pts", "0", "-1", "WITHSCORES")
                some = rng.sample(members, 20) + ["nosuch"]
                self.same("GEOPOS", "pts", *some)
                self.same("GEOHASH", "pts", *some)
                for _ in range(40):
                    self.same("GEODIST", "pts", rng.choice(members), rng.choice(members),
                              rng.choice(UNITS))
                nonempty = 0
                for i in range(QUERIES_PER_SEED):
                    q = self.random_query(rng, "pts", members)
                    got, want = self.both(*q)
                    nonempty += got.startswith(b"*") and not got.startswith((b"*0\r", b"*1\r"))
                    if got != want:
                        self.fail(f"seed {seed} query {i}: {q!r}\n  petacore: {got[:600]!r}\n"
                                  f"  redis:    {want[:600]!r}")
                    s = self.store_variant(rng, q) if rng.random() < 0.3 else None
                    if s:
                        self.same(*s)
                        self.same("ZRANGE", "dst", "0", "-1", "WITHSCORES")
                print(f"[test_geo] seed={seed}: {nonempty} replies with 2+ results",
                      file=sys.stderr)
                # the queries must find something often enough to compare orders
                self.assertGreater(nonempty, QUERIES_PER_SEED // 5)


class GeoTwoNodes(unittest.TestCase):
    """Two PetaCore nodes on a 3-member etcd cluster (cluster.py): points added on A are
    searched on B; GEOADDs racing from both nodes into one set converge to one state."""

    @classmethod
    def setUpClass(cls):
        cls.etcd = cluster.EtcdCluster()
        try:
            cls.a, cls.b = cluster.start_nodes(cls.etcd, 2)
        except BaseException:
            cls.etcd.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.a.close()
        cls.b.close()
        cls.etcd.close()

    def test_added_on_a_searched_on_b(self):
        a, b = WireConn(self.a.port), WireConn(self.b.port)
        try:
            a.call("FLUSHALL")
            a.call("GEOADD", "Sicily", "13.361389", "38.115556", "Palermo",
                   "15.087269", "37.502669", "Catania")
            a.call("GEOSEARCHSTORE", "near", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS",
                   "200", "km", "STOREDIST")
            wait_for(lambda: b.call("EXISTS", "near")[0] == b":1\r\n", what="GEOSEARCHSTORE on B")
            for args in [("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200",
                          "km", "ASC", "WITHDIST", "WITHCOORD", "WITHHASH"),
                         ("GEOPOS", "Sicily", "Palermo", "Catania"),
                         ("GEODIST", "Sicily", "Palermo", "Catania", "km"),
                         ("ZRANGE", "near", "0", "-1", "WITHSCORES")]:
                self.assertEqual(b.call(*args)[0], a.call(*args)[0], f"{args!r}")
            self.assertEqual(b.call("ZRANGE", "near", "0", "-1", "WITHSCORES")[0],
                             b"*4\r\n$7\r\nCatania\r\n$18\r\n56.441257870158204\r\n"
                             b"$7\r\nPalermo\r\n$18\r\n190.44242984775784\r\n")  # as Redis
            self.assertEqual(b.call("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX",
                                    "400", "400", "km", "ASC")[0],
                             b"*2\r\n$7\r\nPalermo\r\n$7\r\nCatania\r\n")
        finally:
            a.close()
            b.close()

    def test_racing_geoadds_converge(self):
        """Two clients GEOADD into one set at once, one per node (their commits conflict on
        the set's meta key and retry): both nodes end with every member, the same scores."""
        a0 = WireConn(self.a.port)
        a0.call("FLUSHALL")
        a0.close()
        errors = []

        def writer(port, seed):
            conn = WireConn(port)
            try:
                rng = random.Random(seed)
                for i in range(40):
                    lon, lat = rng.uniform(-10, 10), rng.uniform(-10, 10)
                    raw, _ = conn.call("GEOADD", "race", fmt(lon), fmt(lat), f"s{seed}-{i % 30}")
                    if not raw.startswith(b":"):
                        errors.append(raw)
            finally:
                conn.close()

        threads = [threading.Thread(target=writer, args=(n.port, k))
                   for k, n in enumerate([self.a, self.b])]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        self.assertFalse(any(t.is_alive() for t in threads))
        self.assertEqual(errors, [])
        cluster.wait_converged([self.a, self.b], self.etcd)
        a, b = WireConn(self.a.port), WireConn(self.b.port)
        try:
            q = ("GEOSEARCH", "race", "FROMLONLAT", "0", "0", "BYBOX", "3000", "3000", "km",
                 "DESC", "WITHDIST", "WITHHASH")
            self.assertEqual(a.call(*q)[0], b.call(*q)[0])
            self.assertEqual(a.call("ZCARD", "race")[0], b":60\r\n")
            self.assertEqual(a.call("ZRANGE", "race", "0", "-1", "WITHSCORES")[0],
                             b.call("ZRANGE", "race", "0", "-1", "WITHSCORES")[0])
        finally:
            a.close()
            b.close()


if __name__ == "__main__":
    unittest.main()
