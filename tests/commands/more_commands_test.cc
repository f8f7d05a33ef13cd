// LCS, TOUCH, the MPOP family and ZINTERCARD through the Driver, checked against Redis 7.0's
// exact replies (lcs_family.cc, generic_family.cc, mpop_family.cc, zset_sample_family.cc).
#include <gtest/gtest.h>

#include <string>

#include "tests/commands/test_util.h"

namespace petacore::testing {
namespace {

class MoreCommandsTest : public CommandTest {};

TEST_F(MoreCommandsTest, LcsAndTouch) {
  EXPECT_EQ(Run({"mset", "a", "ohmytext", "b", "mynewtext"}), kOK);
  EXPECT_EQ(Run({"lcs", "a", "b"}), Bulk("mytext"));
  EXPECT_EQ(Run({"lcs", "a", "b", "len"}), Int(6));
  EXPECT_EQ(Run({"lcs", "a", "b", "idx", "minmatchlen", "4", "withmatchlen"}),
            Array({Bulk("matches"),
                   Array({Array({Array({Int(4), Int(7)}), Array({Int(5), Int(8)}), Int(4)})}),
                   Bulk("len"), Int(6)}));
  EXPECT_EQ(Run({"lcs", "a", "b", "len", "idx"}),
            Err("ERR If you want both the length and indexes, please just use IDX."));
  EXPECT_EQ(Run({"touch", "a", "b", "c", "a"}), Int(3));
}

TEST_F(MoreCommandsTest, Mpop) {
  EXPECT_EQ(Run({"rpush", "l", "a", "b", "c"}), Int(3));
  EXPECT_EQ(Run({"lmpop", "2", "x", "l", "right", "count", "2"}),
            Array({Bulk("l"), Array({Bulk("c"), Bulk("b")})}));
  EXPECT_EQ(Run({"lmpop", "1", "x", "left"}), kNilArray);
  EXPECT_EQ(Run({"zadd", "z", "1", "a", "2", "b"}), Int(2));
  EXPECT_EQ(
      Run({"zmpop", "1", "z", "max", "count", "5"}),
      Array({Bulk("z"), Array({Array({Bulk("b"), Bulk("2")}), Array({Bulk("a"), Bulk("1")})})}));
  EXPECT_EQ(Run({"exists", "z"}), Int(0));
  EXPECT_EQ(Run({"zmpop", "0", "z", "min"}), Err("ERR numkeys should be greater than 0"));
  EXPECT_EQ(Run({"lmpop", "1", "l", "left", "count", "0"}),
            Err("ERR count should be greater than 0"));
  EXPECT_EQ(Run({"zintercard", "0", "z"}),
            Err("ERR at least 1 input key is needed for 'zintercard' command"));
}

}  // namespace
}  // namespace petacore::testing
