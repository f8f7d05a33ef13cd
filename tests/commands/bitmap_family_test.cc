// Bitmap commands through the Driver, checked against Redis 7.0's exact replies.
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

}  // namespace
}  // namespace petacore::testing
