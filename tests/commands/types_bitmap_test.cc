// keyspace::types bitmap operations (pure, no TxnView): bit numbering, popcount, BITCOUNT and
// BITPOS ranges, BITOP, bitfield get/set and Redis's overflow rules (bitops.c, Redis 7.0).
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "keyspace/types/bitmap.h"

namespace petacore::keyspace::types {
namespace {

TEST(BitmapTest, BitZeroIsTheMostSignificantBitOfByteZero) {
  std::string s;
  EXPECT_EQ(SetBit(s, 7, 1), 0);
  EXPECT_EQ(s, std::string("\x01", 1));
  EXPECT_EQ(SetBit(s, 0, 1), 0);
  EXPECT_EQ(s, std::string("\x81", 1));
  EXPECT_EQ(SetBit(s, 0, 0), 1);
  EXPECT_EQ(SetBit(s, 17, 1), 0);  // grows with zero bytes
  EXPECT_EQ(s, std::string("\x01\x00\x40", 3));
  EXPECT_EQ(GetBit(s, 17), 1);
  EXPECT_EQ(GetBit(s, 1000), 0);
}

TEST(BitmapTest, PopCountAndBitCountRanges) {
  std::string s = "foobar";
  EXPECT_EQ(PopCount(s), 26);
  EXPECT_EQ(BitCount(s, std::nullopt, std::nullopt, false), 26);
  EXPECT_EQ(BitCount(s, 0, 0, false), 4);
  EXPECT_EQ(BitCount(s, 1, 1, false), 6);
  EXPECT_EQ(BitCount(s, 5, 30, true), 17);
  EXPECT_EQ(BitCount(s, -1, -2, false), 0);
  EXPECT_EQ(BitCount("", std::nullopt, std::nullopt, false), 0);
  EXPECT_EQ(BitCount(std::string(20, '\xff'), -100, 100, false), 160);
}

TEST(BitmapTest, BitPosAsRedis) {
  std::string s("\xff\xf0\x00", 3);
  EXPECT_EQ(BitPos(s, 0, std::nullopt, std::nullopt, false), 12);
  EXPECT_EQ(BitPos(s, 1, 2, std::nullopt, false), -1);
  std::string ones("\xff\xff\xff", 3);
  EXPECT_EQ(BitPos(ones, 0, std::nullopt, std::nullopt, false), 24);  // padding past the end
  EXPECT_EQ(BitPos(ones, 0, 0, -1, false), -1);                       // end given: none
  EXPECT_EQ(BitPos(ones, 0, 0, std::nullopt, true), 24);
  std::string z("\x00\x00\x01", 3);
  EXPECT_EQ(BitPos(z, 1, 7, 15, true), -1);
  EXPECT_EQ(BitPos(z, 1, 7, 23, true), 23);
  EXPECT_EQ(BitPos(z, 0, 3, 5, true), 3);
  EXPECT_EQ(BitPos(z, 1, 5, 2, false), -1);  // empty range
}

TEST(BitmapTest, BitOpPadsShortSourcesWithZeros) {
  std::string_view src[] = {std::string_view("\x0f\xf0", 2), std::string_view("\xff", 1)};
  EXPECT_EQ(BitOpApply(BitOp::kAnd, src, 2), std::string("\x0f\x00", 2));
  EXPECT_EQ(BitOpApply(BitOp::kOr, src, 2), std::string("\xff\xf0", 2));
  EXPECT_EQ(BitOpApply(BitOp::kXor, src, 2), std::string("\xf0\xf0", 2));
  EXPECT_EQ(BitOpApply(BitOp::kNot, src, 1), std::string("\xf0\x0f", 2));
  std::string_view empty[] = {std::string_view()};
  EXPECT_EQ(BitOpApply(BitOp::kNot, empty, 1), "");
}

TEST(BitmapTest, BitfieldTypes) {
  EXPECT_TRUE(ParseBitfieldType("i64"));
  EXPECT_TRUE(ParseBitfieldType("u63"));
  EXPECT_FALSE(ParseBitfieldType("u64"));
  EXPECT_FALSE(ParseBitfieldType("i65"));
  EXPECT_FALSE(ParseBitfieldType("i0"));
  EXPECT_FALSE(ParseBitfieldType("u08"));
  EXPECT_FALSE(ParseBitfieldType("x8"));
  EXPECT_FALSE(ParseBitfieldType(""));
}

TEST(BitmapTest, FieldsReadAndWriteAcrossBytes) {
  std::string s(3, '\0');
  SetField(s, 5, 10, 0x3ff);
  EXPECT_EQ(GetUnsignedField(s, 5, 10), 0x3ffu);
  EXPECT_EQ(GetSignedField(s, 5, 10), -1);
  EXPECT_EQ(s, std::string("\x07\xfe\x00", 3));
  EXPECT_EQ(GetUnsignedField(s, 20, 8), 0u);  // zero bits past the end
}

TEST(BitmapTest, OverflowRules) {
  int64_t r = 0;
  EXPECT_EQ(CheckSignedOverflow(127, 1, 8, Overflow::kWrap, &r), 1);
  EXPECT_EQ(r, -128);
  EXPECT_EQ(CheckSignedOverflow(-128, -1, 8, Overflow::kSat, &r), -1);
  EXPECT_EQ(r, -128);
  EXPECT_EQ(CheckSignedOverflow(100, 100, 8, Overflow::kSat, &r), 1);
  EXPECT_EQ(r, 127);
  int64_t max = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(CheckSignedOverflow(max, 1, 64, Overflow::kWrap, &r), 1);
  EXPECT_EQ(r, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(CheckSignedOverflow(5, -3, 64, Overflow::kFail, nullptr), 0);
  uint64_t u = 0;
  EXPECT_EQ(CheckUnsignedOverflow(250, 10, 8, Overflow::kWrap, &u), 1);
  EXPECT_EQ(u, 4u);
  EXPECT_EQ(CheckUnsignedOverflow(3, -10, 8, Overflow::kWrap, &u), 1);  // wraps answer 1
  EXPECT_EQ(u, 249u);
  EXPECT_EQ(CheckUnsignedOverflow(3, -10, 8, Overflow::kSat, &u), -1);
  EXPECT_EQ(u, 0u);
}

TEST(BitmapTest, BitfieldWriteFailLeavesTheBytes) {
  std::string s(1, '\0');
  bool changed = false;
  auto r = BitfieldWrite(s, {false, 8}, 0, /*incr=*/false, 255, Overflow::kWrap, &changed);
  EXPECT_EQ(r, 0);
  EXPECT_TRUE(changed);
  r = BitfieldWrite(s, {false, 8}, 0, /*incr=*/true, 1, Overflow::kFail, &changed);
  EXPECT_FALSE(r.has_value());
  EXPECT_EQ(s, "\xff");
  r = BitfieldWrite(s, {true, 8}, 0, /*incr=*/true, 1, Overflow::kFail, &changed);
  EXPECT_EQ(r, 0);  // -1 + 1
  EXPECT_EQ(s, std::string(1, '\0'));
}

}  // namespace
}  // namespace petacore::keyspace::types
