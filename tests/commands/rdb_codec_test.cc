// The DUMP payload codecs (LZF, listpack, ziplist, intset, whole objects) on bytes that
// redis-server produced: Redis 7.0.15 DUMP replies, and the ziplists of the RDB files in
// Redis's tests/assets (hash-ziplist.rdb, zset-ziplist.rdb, list-quicklist.rdb,
// encodings.rdb). Pure functions, no server.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "commands/rdb_intset.h"
#include "commands/rdb_listpack.h"
#include "commands/rdb_lzf.h"
#include "commands/rdb_object.h"
#include "commands/rdb_payload.h"
#include "commands/rdb_ziplist.h"

namespace petacore::commands::rdb {
namespace {

std::string Hex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

using Strings = std::vector<std::string>;

// redis-server 7.0.15: SET lz <"ab" x 40 + "hello world hello world">; DUMP lz.
constexpr std::string_view kLzfDump =
    "00c31a406702616261e044010b68656c6c6f20776f726c6420e0000b016c640a004b2341c313e89ea3";

TEST(RdbLzfTest, DecodesRedisCompressedString) {
  std::string payload = Hex(kLzfDump);
  uint16_t version;
  ASSERT_TRUE(Verify(payload, &version));
  EXPECT_EQ(version, 10);
  size_t pos = 1;
  std::string s;
  ASSERT_TRUE(ReadString(payload.substr(0, payload.size() - 10), &pos, &s));
  std::string want;
  for (int i = 0; i < 40; ++i) want += "ab";
  want += "hello world hello world";
  EXPECT_EQ(s, want);
  EXPECT_EQ(pos, payload.size() - 10);
}

TEST(RdbLzfTest, RejectsCorruptInput) {
  std::string out;
  EXPECT_FALSE(LzfDecompress(Hex("0261626320"), 0, &out));  // longer than announced
  EXPECT_FALSE(LzfDecompress(Hex("05616263"), 6, &out));              // literal past the input
  EXPECT_FALSE(LzfDecompress(Hex("2005"), 3, &out));                  // reference before start
  EXPECT_TRUE(LzfDecompress(Hex("0061" "2000"), 4, &out));            // "a" then copy of 3
  EXPECT_EQ(out, "aaaa");
  EXPECT_FALSE(LzfDecompress(Hex("0061" "2000"), 5, &out));           // short result
}

// redis-server 7.0.15 with rdbcompression no: RPUSH l 1 -100 1000 -70000 10000000 3000000000
// -9000000000000000000 hello <"x" x 100> ""; DUMP l (a QUICKLIST_2 of one listpack).
constexpr std::string_view kListDump =
    "120102409e9e0000000a000101df9c02c3e802f290eefe04f38096980005f4005ed0b20000000009f40000"
    "7c1daf931983098568656c6c6f06e064787878787878787878787878787878787878787878787878787878"
    "78787878787878787878787878787878787878787878787878787878787878787878787878787878787878"
    "787878787878787878787878787878787878787878787878787878787878668001ff0a00d570c8190f122b"
    "8c";

Strings ListElements() {
  return {"1", "-100", "1000", "-70000", "10000000", "3000000000", "-9000000000000000000",
          "hello", std::string(100, 'x'), ""};
}

TEST(RdbListpackTest, ParsesAndWritesRedisBytes) {
  std::string payload = Hex(kListDump);
  std::string lp = payload.substr(5, payload.size() - 15);  // type, 1 node, container, len
  Strings got;
  ASSERT_TRUE(ParseListpack(lp, &got));
  EXPECT_EQ(got, ListElements());
  ListpackWriter w;
  for (const auto& e : ListElements()) w.Append(e);
  EXPECT_EQ(w.Finish(), lp);
  DumpValue v;
  v.type = keyspace::ValueType::kList;
  v.items = ListElements();
  std::string mine = EncodeObject(v);
  Seal(&mine);
  EXPECT_EQ(mine, payload);
}

TEST(RdbListpackTest, RejectsCorruption) {
  std::string payload = Hex(kListDump);
  std::string lp = payload.substr(5, payload.size() - 15);
  Strings got;
  std::string bad = lp;
  bad[0] = static_cast<char>(bad[0] + 1);  // total bytes
  EXPECT_FALSE(ParseListpack(bad, &got));
  bad = lp;
  bad[4] = 9;  // element count
  EXPECT_FALSE(ParseListpack(bad, &got));
  bad = lp;
  bad[8] = 5;  // first backlen
  EXPECT_FALSE(ParseListpack(bad, &got));
  bad = lp;
  bad.back() = 0;  // terminator
  EXPECT_FALSE(ParseListpack(bad, &got));
  bad = lp;
  bad[6] = static_cast<char>(0xF5);  // unused encoding
  EXPECT_FALSE(ParseListpack(bad, &got));
  for (size_t n = 0; n < lp.size(); ++n) EXPECT_FALSE(ParseListpack(lp.substr(0, n), &got)) << n;
}

TEST(RdbZiplistTest, ParsesRedisZiplists) {
  Strings got;
  // hash-ziplist.rdb: f1 v1 f2 v2
  ASSERT_TRUE(ParseZiplist(Hex("1b0000001600000004000002663104027631040266320402763" "2ff"), &got));
  EXPECT_EQ(got, (Strings{"f1", "v1", "f2", "v2"}));
  // zset-ziplist.rdb: one 1 two 2 (4-bit immediates)
  ASSERT_TRUE(ParseZiplist(Hex("19000000160000000400000" "3" "6f6e6505f20203" "74776f05f3ff"), &got));
  EXPECT_EQ(got, (Strings{"one", "1", "two", "2"}));
  // list-quicklist.rdb (Redis 4.0.9): one node holding 7
  ASSERT_TRUE(ParseZiplist(Hex("0d0000000a000000010000f8ff"), &got));
  EXPECT_EQ(got, (Strings{"7"}));
  // encodings.rdb list_zipped: int16, strings, int32, int64
  std::string zl = Hex(
      "3000000025000000080000c0010004c0020004c0030004016103016203016303d0a086010006e000bca065"
      "01000000ff");
  ASSERT_TRUE(ParseZiplist(zl, &got));
  EXPECT_EQ(got, (Strings{"1", "2", "3", "a", "b", "c", "100000", "6000000000"}));
  for (size_t n = 0; n < zl.size(); ++n) EXPECT_FALSE(ParseZiplist(zl.substr(0, n), &got)) << n;
  std::string bad = zl;
  bad[4] = 0x20;  // tail offset
  EXPECT_FALSE(ParseZiplist(bad, &got));
  bad = zl;
  bad[14] = 9;  // second entry's prevlen
  EXPECT_FALSE(ParseZiplist(bad, &got));
}

TEST(RdbIntsetTest, RoundTripsAndValidates) {
  // encodings.rdb set_zipped_1: 1 2 3 4 as int16
  std::string is = Hex("0200000004000000010002000300" "0400");
  Strings got;
  ASSERT_TRUE(ParseIntset(is, &got));
  EXPECT_EQ(got, (Strings{"1", "2", "3", "4"}));
  EXPECT_EQ(EncodeIntset({1, 2, 3, 4}), is);
  EXPECT_EQ(EncodeIntset({-1, 100000}).substr(0, 1), std::string("\x04", 1));
  EXPECT_EQ(EncodeIntset({INT64_MIN}).substr(0, 1), std::string("\x08", 1));
  EXPECT_FALSE(ParseIntset(Hex("0200000002000000020001" "00"), &got));  // not ascending
  EXPECT_FALSE(ParseIntset(Hex("0300000001000000010000"), &got));       // width 3
  EXPECT_FALSE(ParseIntset(Hex("0200000000000000"), &got));             // empty
  EXPECT_FALSE(ParseIntset(Hex("02000000020000000100"), &got));         // short
}

TEST(RdbObjectTest, RejectsEmptyAndDuplicateCollections) {
  DumpValue v;
  EXPECT_FALSE(DecodeObject(Hex("0200"), &v));            // empty set
  EXPECT_FALSE(DecodeObject(Hex("0202016101" "61"), &v));  // set {a, a}
  EXPECT_TRUE(DecodeObject(Hex("0401016101" "62"), &v));  // hash a -> b
  EXPECT_FALSE(DecodeObject(Hex("040201610162016101" "63"), &v));   // field a twice
  EXPECT_FALSE(DecodeObject(Hex("0800"), &v));            // unknown type
  EXPECT_TRUE(DecodeObject(Hex("00c0fe"), &v));           // int8 -2
  EXPECT_EQ(v.str, "-2");
}

}  // namespace
}  // namespace petacore::commands::rdb
