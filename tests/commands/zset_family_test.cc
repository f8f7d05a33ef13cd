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

}  // namespace
}  // namespace petacore::testing
