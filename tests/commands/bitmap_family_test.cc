// Bitmap commands, LCS, TOUCH and the MPOP family through the Driver, checked against Redis
// 7.0's exact replies (the cases Redis's own unit tests and documentation use).
#include <gtest/gtest.h>

#include <string>

#include "tests/commands/test_util.h"

namespace petacore::testing {
namespace {

class BitmapFamilyTest : public CommandTest {};

TEST_F(BitmapFamilyTest, SetBitWritesTheBytesGetReturns) {
  EXPECT_EQ(Run({"setbit", "k", "7", "1"}), Int(0));
  EXPECT_EQ(Run({"setbit", "k", "7", "1"}), Int(1));
  EXPECT_EQ(Run({"setbit", "k", "9", "1"}), Int(0));
  EXPECT_EQ(Run({"get", "k"}), Bulk(std::string("\x01\x40", 2)));
  EXPECT_EQ(Run({"getbit", "k", "9"}), Int(1));
  EXPECT_EQ(Run({"getbit", "k", "1000"}), Int(0));
  EXPECT_EQ(Run({"setbit", "k", "-1", "1"}),
            Err("ERR bit offset is not an integer or out of range"));
  EXPECT_EQ(Run({"setbit", "k", "1", "2"}), Err("ERR bit is not an integer or out of range"));
  EXPECT_EQ(Run({"lpush", "l", "x"}), Int(1));
  EXPECT_EQ(Run({"setbit", "l", "1", "1"}),
            Err("WRONGTYPE Operation against a key holding the wrong kind of value"));
}

TEST_F(BitmapFamilyTest, CountPosAndOp) {
  EXPECT_EQ(Run({"set", "k", "foobar"}), kOK);
  EXPECT_EQ(Run({"bitcount", "k"}), Int(26));
  EXPECT_EQ(Run({"bitcount", "k", "1", "1"}), Int(6));
  EXPECT_EQ(Run({"bitcount", "k", "5", "30", "BIT"}), Int(17));
  EXPECT_EQ(Run({"set", "p", std::string("\xff\xf0\x00", 3)}), kOK);
  EXPECT_EQ(Run({"bitpos", "p", "0"}), Int(12));
  EXPECT_EQ(Run({"bitpos", "p", "1", "2", "-1", "byte"}), Int(-1));
  EXPECT_EQ(Run({"bitpos", "nokey", "0"}), Int(0));
  EXPECT_EQ(Run({"bitpos", "p", "2"}), Err("ERR The bit argument must be 1 or 0."));
  EXPECT_EQ(Run({"bitop", "not", "d", "p"}), Int(3));
  EXPECT_EQ(Run({"get", "d"}), Bulk(std::string("\x00\x0f\xff", 3)));
  EXPECT_EQ(Run({"bitop", "and", "d", "nokey"}), Int(0));
  EXPECT_EQ(Run({"exists", "d"}), Int(0));
  EXPECT_EQ(Run({"bitop", "not", "d", "a", "b"}),
            Err("ERR BITOP NOT must be called with a single source key."));
}

TEST_F(BitmapFamilyTest, Bitfield) {
  EXPECT_EQ(Run({"bitfield", "k",    "set",      "u8",  "#0",     "255", "incrby", "u8",
                 "0",        "10",   "overflow", "sat", "incrby", "i8",  "#1",     "-200",
                 "overflow", "fail", "incrby",   "u8",  "0",      "250"}),
            Array({Int(0), Int(9), Int(-128), kNil}));
  EXPECT_EQ(Run({"get", "k"}), Bulk(std::string("\x09\x80", 2)));
  EXPECT_EQ(Run({"bitfield_ro", "k", "get", "i16", "0"}), Array({Int(0x0980)}));
  EXPECT_EQ(Run({"bitfield_ro", "k", "set", "u8", "0", "1"}),
            Err("ERR BITFIELD_RO only supports the GET subcommand"));
  EXPECT_EQ(Run({"bitfield", "k", "get", "u64", "0"}),
            Err("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not "
                "supported but i64 is."));
  EXPECT_EQ(Run({"bitfield", "k", "overflow", "x"}), Err("ERR Invalid OVERFLOW type specified"));
}

TEST_F(BitmapFamilyTest, LcsAndTouch) {
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

TEST_F(BitmapFamilyTest, Mpop) {
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
