// Sorted-set commands through the Driver, checked against Redis 7.0's exact replies (the
// differential test in tests/integration/test_zset.py covers the rest).
#include <gtest/gtest.h>

#include <string>

#include "tests/commands/test_util.h"

namespace petacore::testing {
namespace {

class ZSetFamilyTest : public CommandTest {};

const std::string kWrongType =
    Err("WRONGTYPE Operation against a key holding the wrong kind of value");

TEST_F(ZSetFamilyTest, AddScoreRangeAndEmptyKeyRemoval) {
  EXPECT_EQ(Run({"zadd", "z", "2", "b", "1", "a", "1", "c"}), Int(3));
  EXPECT_EQ(Run({"zadd", "z", "CH", "5", "a", "1", "c", "7", "d"}), Int(2));
  // Ties in score are ordered by member bytes.
  EXPECT_EQ(Run({"zrange", "z", "0", "-1", "withscores"}),
            Array({Bulk("c"), Bulk("1"), Bulk("b"), Bulk("2"), Bulk("a"), Bulk("5"), Bulk("d"),
                   Bulk("7")}));
  EXPECT_EQ(Run({"zrank", "z", "a"}), Int(2));
  EXPECT_EQ(Run({"zrevrank", "z", "a"}), Int(1));
  EXPECT_EQ(Run({"zcard", "z"}), Int(4));
  EXPECT_EQ(Run({"zrem", "z", "a", "b", "c", "x"}), Int(3));
  EXPECT_EQ(Run({"zpopmax", "z"}), Array({Bulk("d"), Bulk("7")}));
  EXPECT_EQ(Run({"exists", "z"}), Int(0));  // the last member gone, the key is gone
}

TEST_F(ZSetFamilyTest, ScoresFormattedAsRedis70) {
  EXPECT_EQ(Run({"zadd", "z", "0.1", "a", "1e20", "b", "-0", "c", "inf", "d"}), Int(4));
  EXPECT_EQ(Run({"zscore", "z", "a"}), Bulk("0.10000000000000001"));
  EXPECT_EQ(Run({"zscore", "z", "b"}), Bulk("1e+20"));
  EXPECT_EQ(Run({"zscore", "z", "c"}), Bulk("0"));
  EXPECT_EQ(Run({"zscore", "z", "d"}), Bulk("inf"));
  EXPECT_EQ(Run({"zincrby", "z", "0.2", "a"}), Bulk("0.30000000000000004"));
  EXPECT_EQ(Run({"zincrby", "z", "-inf", "d"}), Err("ERR resulting score is not a number (NaN)"));
  EXPECT_EQ(Run({"zadd", "z", "1e400", "x"}), Err("ERR value is not a valid float"));
}

TEST_F(ZSetFamilyTest, OptionErrors) {
  EXPECT_EQ(Run({"zadd", "z", "nx", "xx", "1", "a"}),
            Err("ERR XX and NX options at the same time are not compatible"));
  EXPECT_EQ(Run({"zadd", "z", "gt", "lt", "1", "a"}),
            Err("ERR GT, LT, and/or NX options at the same time are not compatible"));
  EXPECT_EQ(Run({"zadd", "z", "incr", "1", "a", "2", "b"}),
            Err("ERR INCR option supports a single increment-element pair"));
  EXPECT_EQ(Run({"zrange", "z", "0", "1", "limit", "0", "1"}),
            Err("ERR syntax error, LIMIT is only supported in combination with either BYSCORE "
                "or BYLEX"));
  EXPECT_EQ(Run({"zrangebyscore", "z", "a", "1"}), Err("ERR min or max is not a float"));
  EXPECT_EQ(Run({"zrangebylex", "z", "a", "+"}),
            Err("ERR min or max not valid string range item"));
  EXPECT_EQ(Run({"set", "s", "v"}), kOK);
  EXPECT_EQ(Run({"zadd", "s", "1", "a"}), kWrongType);
}

TEST_F(ZSetFamilyTest, StoreOverwritesAnyType) {
  EXPECT_EQ(Run({"zadd", "a", "1", "x", "2", "y"}), Int(2));
  EXPECT_EQ(Run({"zadd", "b", "10", "y", "20", "z"}), Int(2));
  EXPECT_EQ(Run({"set", "dst", "string"}), kOK);
  EXPECT_EQ(Run({"zunionstore", "dst", "2", "a", "b", "weights", "1", "2", "aggregate", "max"}),
            Int(3));
  EXPECT_EQ(Run({"zrange", "dst", "0", "-1", "withscores"}),
            Array({Bulk("x"), Bulk("1"), Bulk("y"), Bulk("20"), Bulk("z"), Bulk("40")}));
  EXPECT_EQ(Run({"zinterstore", "dst", "2", "a", "b"}), Int(1));
  EXPECT_EQ(Run({"zrange", "dst", "0", "-1", "withscores"}), Array({Bulk("y"), Bulk("12")}));
  EXPECT_EQ(Run({"zdiffstore", "dst", "2", "b", "b"}), Int(0));
  EXPECT_EQ(Run({"exists", "dst"}), Int(0));
}

TEST_F(ZSetFamilyTest, BlockingPopInsideMultiAnswersAtOnce) {
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"bzpopmin", "nokey", "0"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"exec"}), Array({kNilArray}));
  EXPECT_EQ(Run({"zadd", "q", "3", "m"}), Int(1));
  EXPECT_EQ(Run({"bzpopmin", "nokey", "q", "0"}), Array({Bulk("q"), Bulk("m"), Bulk("3")}));
  EXPECT_EQ(Run({"bzpopmin", "q", "-1"}), Err("ERR timeout is negative"));
}

// Every change to a sorted set moves its meta key (docs/encoding.md), a score change of an
// existing member included, so WATCH sees it, as in Redis.
TEST_F(ZSetFamilyTest, WatchSeesScoreChange) {
  auto other = NewClient();
  EXPECT_EQ(Run({"zadd", "z", "1", "a", "2", "b"}), Int(2));
  EXPECT_EQ(Run({"watch", "z"}), kOK);
  EXPECT_EQ(other->Run({"zincrby", "z", "5", "a"}), Bulk("6"));
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"zcard", "z"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"exec"}), kNilArray);
  EXPECT_EQ(Run({"watch", "z"}), kOK);
  EXPECT_EQ(other->Run({"zadd", "z", "9", "b"}), Int(0));
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"zcard", "z"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"exec"}), kNilArray);
  // A no-op (same score, ZREM of a missing member) does not touch the key.
  EXPECT_EQ(Run({"watch", "z"}), kOK);
  EXPECT_EQ(other->Run({"zadd", "z", "9", "b"}), Int(0));
  EXPECT_EQ(other->Run({"zrem", "z", "nope"}), Int(0));
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"zcard", "z"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"exec"}), Array({Int(2)}));
}

// ZCARD follows adds, updates, removals and pops (the count kept in the meta key).
TEST_F(ZSetFamilyTest, CardinalityFollowsEveryChange) {
  EXPECT_EQ(Run({"zadd", "z", "1", "a", "2", "b", "3", "c", "1", "a"}), Int(3));
  EXPECT_EQ(Run({"zcard", "z"}), Int(3));
  EXPECT_EQ(Run({"zincrby", "z", "1", "new"}), Bulk("1"));
  EXPECT_EQ(Run({"zcard", "z"}), Int(4));
  EXPECT_EQ(Run({"zremrangebyscore", "z", "2", "3"}), Int(2));
  EXPECT_EQ(Run({"zcard", "z"}), Int(2));
  EXPECT_EQ(Run({"zpopmin", "z", "1"}), Array({Bulk("a"), Bulk("1")}));
  EXPECT_EQ(Run({"zcard", "z"}), Int(1));
  EXPECT_EQ(Run({"zrangestore", "dst", "z", "0", "-1"}), Int(1));
  EXPECT_EQ(Run({"zcard", "dst"}), Int(1));
  EXPECT_EQ(Run({"zcard", "nokey"}), Int(0));
}

// ZSCAN reads its cursor as HSCAN/SSCAN/SCAN do (Redis's strtoul: "+0" is 0), and a full
// iteration returns every member once with its score.
TEST_F(ZSetFamilyTest, ScanSharesTheCursor) {
  EXPECT_EQ(Run({"zadd", "z", "1", "a", "2", "b", "3", "c"}), Int(3));
  EXPECT_EQ(Run({"zscan", "z", "+0", "count", "2"}).substr(0, 4), "*2\r\n");
  EXPECT_EQ(Run({"zscan", "z", "x"}), Err("ERR invalid cursor"));
  EXPECT_EQ(Run({"zscan", "z", "0", "count", "0"}), Err("ERR syntax error"));
  EXPECT_EQ(Run({"zscan", "nokey", "0", "count", "0"}),
            Array({Bulk("0"), Array({})}));  // missing key: options not even parsed
  EXPECT_EQ(Run({"zscan", "z", "0", "match", "b"}),
            Array({Bulk("0"), Array({Bulk("b"), Bulk("2")})}));
  EXPECT_EQ(Run({"hscan", "z", "0"}), kWrongType);
}

}  // namespace
}  // namespace petacore::testing
