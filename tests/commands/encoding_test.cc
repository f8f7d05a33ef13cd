// Property tests of src/keyspace/encoding: random binary keys, heavy in 0x00, 0x01 and 0xFF.
#include "keyspace/encoding.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace petacore::keyspace {
namespace {

std::string Hex(std::string_view s) {
  static const char* d = "0123456789abcdef";
  std::string h;
  for (unsigned char c : s) {
    h += d[c >> 4];
    h += d[c & 15];
  }
  return h.empty() ? "<empty>" : h;
}

// Keys from a small alphabet that stresses the escaping (0x00, 0x01 right after it, 0xFF,
// bytes below and above the terminator), plus all-random bytes; always includes "".
std::vector<std::string> RandomKeys(uint32_t seed, size_t n) {
  std::mt19937 rng(seed);
  const char special[] = {'\0', '\x01', '\x02', '\xff', '\xfe', 'a', 'b', '\x7f', '\x80'};
  std::vector<std::string> keys = {"", std::string(1, '\0'), std::string(2, '\0'),
                                   std::string(1, '\xff'), std::string("\0\x01", 2),
                                   std::string("\x01\0", 2), "a", std::string("a\0", 2)};
  std::uniform_int_distribution<int> len_dist(0, 8);
  std::uniform_int_distribution<int> byte_dist(0, 255);
  std::uniform_int_distribution<int> pick(0, sizeof(special) - 1);
  while (keys.size() < n) {
    int len = len_dist(rng);
    bool any_byte = rng() % 4 == 0;
    std::string k;
    for (int i = 0; i < len; ++i) {
      k.push_back(any_byte ? static_cast<char>(byte_dist(rng)) : special[pick(rng)]);
    }
    keys.push_back(std::move(k));
  }
  return keys;
}

TEST(EncodingTest, RoundTripOverRandomBinaryKeys) {
  for (const auto& key : RandomKeys(1, 3000)) {
    for (int db : {0, 1, 7, kNumDatabases - 1}) {
      std::string enc = EncodeKey(db, key);
      auto dec = DecodeKey(enc);
      ASSERT_TRUE(dec.has_value()) << "db " << db << " key " << Hex(key);
      EXPECT_EQ(dec->db, db) << Hex(key);
      EXPECT_EQ(dec->user_key, key) << Hex(key);
    }
  }
}

TEST(EncodingTest, AppendKeyAppendsTheSameBytes) {
  for (const auto& key : RandomKeys(2, 300)) {
    std::string out = "prefix";
    AppendKey(3, key, &out);
    EXPECT_EQ(out, "prefix" + EncodeKey(3, key)) << Hex(key);
  }
}

TEST(EncodingTest, OrderPreserving) {
  auto keys = RandomKeys(3, 400);
  for (const auto& a : keys) {
    for (const auto& b : keys) {
      // std::string compares bytes as unsigned char, as etcd and the store do.
      bool user_less = a < b;
      bool enc_less = EncodeKey(2, a) < EncodeKey(2, b);
      ASSERT_EQ(user_less, enc_less) << Hex(a) << " vs " << Hex(b);
    }
  }
}

TEST(EncodingTest, SortingEncodedKeysSortsUserKeys) {
  auto keys = RandomKeys(4, 2000);
  std::vector<std::pair<std::string, std::string>> enc;  // (encoded, user)
  for (const auto& k : keys) enc.emplace_back(EncodeKey(0, k), k);
  std::sort(enc.begin(), enc.end());
  for (size_t i = 1; i < enc.size(); ++i) {
    ASSERT_LE(enc[i - 1].second, enc[i].second) << i;
  }
}

TEST(EncodingTest, PrefixFree) {
  std::set<std::string> distinct;
  for (const auto& k : RandomKeys(5, 600)) distinct.insert(k);
  std::vector<std::string> enc;
  for (const auto& k : distinct) enc.push_back(EncodeKey(5, k));
  for (size_t i = 0; i < enc.size(); ++i) {
    for (size_t j = 0; j < enc.size(); ++j) {
      if (i == j) continue;
      ASSERT_FALSE(enc[j].starts_with(enc[i]))
          << Hex(enc[i]) << " is a prefix of " << Hex(enc[j]);
    }
  }
}

TEST(EncodingTest, DbRangesHoldExactlyTheirDb) {
  auto keys = RandomKeys(6, 300);
  for (int range_db = 0; range_db < kNumDatabases; ++range_db) {
    std::string start = DbStart(range_db), end = DbEnd(range_db);
    ASSERT_LT(start, end);
    for (int db = 0; db < kNumDatabases; ++db) {
      for (const auto& k : keys) {
        std::string enc = EncodeKey(db, k);
        bool inside = enc >= start && enc < end;
        ASSERT_EQ(inside, db == range_db) << "db " << db << " range " << range_db << " key "
                                          << Hex(k);
      }
    }
  }
}

TEST(EncodingTest, DecodeRejectsNonMetaKeys) {
  std::string meta = EncodeKey(0, "key");
  EXPECT_FALSE(DecodeKey(meta + "sub").has_value());     // a subkey under the meta key
  EXPECT_FALSE(DecodeKey(std::string("\0key", 4)).has_value());  // no terminator
  EXPECT_FALSE(DecodeKey(std::string("\x10k\0\0", 4)).has_value());  // db 16
  EXPECT_FALSE(DecodeKey(std::string("\0k\0\x02\0\0", 6)).has_value());  // bad escape
  EXPECT_FALSE(DecodeKey("").has_value());
  auto empty = DecodeKey(std::string("\0\0\0", 3));
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->user_key, "");
}

TEST(EncodingTest, StringValueRoundTrip) {
  for (const auto& payload : RandomKeys(7, 500)) {
    std::string stored = EncodeString(payload);
    auto v = DecodeValue(stored);
    ASSERT_TRUE(v.has_value()) << Hex(payload);
    EXPECT_EQ(v->type, ValueType::kString);
    EXPECT_EQ(v->expire_at_ms, 0);
    EXPECT_EQ(v->payload, payload) << Hex(payload);
  }
  EXPECT_FALSE(DecodeValue("").has_value());
  EXPECT_FALSE(DecodeValue("s").has_value());
  EXPECT_FALSE(DecodeValue(std::string("q\0abc", 5)).has_value());  // unknown type
  // Expiry flag with a truncated timestamp is not a valid value.
  EXPECT_FALSE(DecodeValue(std::string("s\x01\0\0", 4)).has_value());
  auto with_expiry = DecodeValue(std::string("s\x01\0\0\0\0\0\0\x01\x02xy", 12));
  ASSERT_TRUE(with_expiry.has_value());
  EXPECT_EQ(with_expiry->expire_at_ms, 0x0102);
  EXPECT_EQ(with_expiry->payload, "xy");
}

}  // namespace
}  // namespace petacore::keyspace

namespace petacore::keyspace {
namespace {

TEST(EncodingTest, SortableDoubleOrderAndRoundTrip) {
  std::vector<double> v = {-std::numeric_limits<double>::infinity(), -1e308, -2.5, -1, -1e-300,
                           0.0, 1e-300, 0.5, 1, 3.25, 1e308,
                           std::numeric_limits<double>::infinity()};
  for (size_t i = 0; i < v.size(); ++i) {
    EXPECT_EQ(DecodeSortableDouble(SortableDouble(v[i])), v[i]);
    if (i > 0) {
      EXPECT_LT(SortableDouble(v[i - 1]), SortableDouble(v[i])) << v[i];
    }
  }
  EXPECT_EQ(SortableDouble(-0.0), SortableDouble(0.0));
}

TEST(EncodingTest, SortableIntOrderAndRoundTrip) {
  std::vector<int64_t> v = {std::numeric_limits<int64_t>::min(), -1000, -1, 0, 1, 7, 1 << 30,
                            std::numeric_limits<int64_t>::max()};
  for (size_t i = 0; i < v.size(); ++i) {
    EXPECT_EQ(DecodeSortableInt(SortableInt(v[i])), v[i]);
    if (i > 0) {
      EXPECT_LT(SortableInt(v[i - 1]), SortableInt(v[i]));
    }
  }
}

TEST(EncodingTest, SubkeysStayInsideTheKeyRangeAndMetaKeyOf) {
  for (std::string user : {std::string(""), std::string("a"), std::string("a\0b", 3)}) {
    std::string meta = EncodeKey(2, user);
    std::string end = KeyEnd(meta);
    for (char tag : {'f', 'm', 's', 'i'}) {
      std::string sub = SubKey(meta, tag, std::string("x\0\xff", 3));
      EXPECT_LT(meta, sub);
      EXPECT_LT(sub, end);
      EXPECT_GE(sub, SubKeyStart(meta, tag));
      EXPECT_LT(sub, SubKeyEnd(meta, tag));
      EXPECT_EQ(MetaKeyOf(sub), meta);
    }
    EXPECT_EQ(MetaKeyOf(meta), meta);
    // The neighbour key "user + \0" is outside the range.
    EXPECT_GE(EncodeKey(2, user + std::string(1, '\0')), end);
  }
}

}  // namespace
}  // namespace petacore::keyspace
