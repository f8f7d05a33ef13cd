// keyspace::types::hll (pure, no TxnView): the HLL string format and algorithm of Redis 7.0's
// hyperloglog.c, checked against vectors produced by a real redis-server 7.0.15 (PFADD then
// GET bytes, PFMERGE bytes, PFCOUNT values, an FNV-1a 64 digest of the dense strings).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "keyspace/types/hll.h"

namespace petacore::keyspace::types::hll {
namespace {

constexpr size_t kMax = 3000;  // hll-sparse-max-bytes's default

std::string Hex(std::string_view s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// PFADD key e1 e2 ... on `hll`, as the command does (the cache invalidated on a change).
int PfAdd(std::string& hll, const std::vector<std::string>& elements) {
  int updated = 0;
  for (const auto& e : elements) {
    int r = Add(hll, e, kMax);
    if (r < 0) return r;
    updated += r;
  }
  if (updated) InvalidateCache(hll);
  return updated ? 1 : 0;
}

TEST(HllTest, NewIsRedisEmptySparseHll) {
  std::string h = NewSparse();
  EXPECT_EQ(Hex(h), "48594c4c0100000000000000000000007fff");
  EXPECT_TRUE(IsHll(h));
  EXPECT_EQ(CachedCardinality(h), 0u);
  EXPECT_EQ(Count(h), 0u);
  EXPECT_EQ(DecodeSparse(h), "Z:16384");
}

TEST(HllTest, PfAddBytesEqualRedis) {
  std::string h = NewSparse();
  EXPECT_EQ(PfAdd(h, {"a", "b", "c"}), 1);
  EXPECT_EQ(Hex(h), "48594c4c01000000000000000000008060f38050b1844bfb80425a");
  EXPECT_EQ(PfAdd(h, {"a", "c"}), 0);
  EXPECT_EQ(CachedCardinality(h), std::nullopt);
  EXPECT_EQ(Count(h), 3u);

  std::string m = NewSparse();
  PfAdd(m, {"hello", "", std::string(100, 'x'), "\xc3\xa9", std::string("\x00\xff", 2)});
  EXPECT_EQ(Hex(m), "48594c4c0100000000000000000000804f608047cf844ccc80502780478d804446");

  // PFMERGE m a b (m missing): the max of the registers, set in index order on a new HLL.
  Registers max{};
  ASSERT_TRUE(MergeInto(max, h));
  ASSERT_TRUE(MergeInto(max, m));
  std::string dest = NewSparse();
  for (int j = 0; j < kRegisters; ++j) {
    if (max[j]) SetRegister(dest, j, max[j], kMax);
  }
  InvalidateCache(dest);
  EXPECT_EQ(Hex(dest),
            "48594c4c0100000000000000000000804f608047cf8449c080430a804da584428080478d8041ea80425a");
}

TEST(HllTest, CountsAndDenseBytesEqualRedis) {
  struct Vector {
    int n;
    size_t len;
    uint8_t encoding;
    uint64_t fnv;
    uint64_t count;
  };
  // redis-server 7.0.15: PFADD d e0 e1 ... (batches of 5000), GET d, PFCOUNT d.
  const Vector vectors[] = {
      {10, 48, kSparse, 0x4afcb65d27f7d346ULL, 10},
      {100, 285, kSparse, 0xb8de76dab4a4065eULL, 100},
      {1000, 1906, kSparse, 0x5935de0232806824ULL, 1008},
      {10000, kDenseSize, kDense, 0x7378cbab5ab5c44bULL, 9973},
      {100000, kDenseSize, kDense, 0xafbf1713dc5ba3c8ULL, 100853},
  };
  for (const auto& v : vectors) {
    std::string h = NewSparse();
    for (int i = 0; i < v.n; i += 5000) {
      std::vector<std::string> batch;
      for (int j = i; j < std::min(v.n, i + 5000); ++j) batch.push_back("e" + std::to_string(j));
      ASSERT_EQ(PfAdd(h, batch), 1);
    }
    EXPECT_EQ(h.size(), v.len) << v.n;
    EXPECT_EQ(Encoding(h), v.encoding) << v.n;
    EXPECT_EQ(Fnv1a(h), v.fnv) << v.n;
    EXPECT_EQ(Count(h), v.count) << v.n;
    Registers max{};
    ASSERT_TRUE(MergeInto(max, h));
    EXPECT_EQ(CountRegisters(max), v.count) << v.n;  // PFCOUNT of several keys
    std::string dense = h;
    ASSERT_TRUE(ToDense(dense));
    EXPECT_EQ(Count(dense), v.count) << v.n;
  }
}

TEST(HllTest, PromotionFollowsSparseMaxBytes) {
  std::string h = NewSparse();
  int i = 0;
  while (Encoding(h) == kSparse) {
    ASSERT_GE(Add(h, "p" + std::to_string(i++), 100), 0);
    if (Encoding(h) == kSparse) {
      EXPECT_LE(h.size(), 100u);
    }
  }
  EXPECT_EQ(h.size(), kDenseSize);
  EXPECT_LT(i, 60);
}

TEST(HllTest, CacheBits) {
  std::string h = NewSparse();
  SetCachedCardinality(h, 0x0102030405060708ULL);
  EXPECT_EQ(CachedCardinality(h), 0x0102030405060708ULL);
  EXPECT_EQ(Hex(h.substr(8, 8)), "0807060504030201");
  InvalidateCache(h);
  EXPECT_EQ(static_cast<uint8_t>(h[15]), 0x81);
  EXPECT_EQ(CachedCardinality(h), std::nullopt);
}

TEST(HllTest, Validity) {
  std::string h = NewSparse();
  EXPECT_FALSE(IsHll(h.substr(0, 15)));
  EXPECT_FALSE(IsHll("HYLX" + h.substr(4)));
  std::string enc2 = h;
  enc2[4] = 2;
  EXPECT_FALSE(IsHll(enc2));
  std::string dense = h;
  ASSERT_TRUE(ToDense(dense));
  EXPECT_TRUE(IsHll(dense));
  EXPECT_FALSE(IsHll(dense + "x"));

  // A sparse body that covers 16000 registers: counting and merging fail, adding to a
  // register past it fails, to one inside it works.
  std::string bad = h.substr(0, 16) + std::string("\x7e\x7f", 2);
  EXPECT_TRUE(IsHll(bad));
  EXPECT_EQ(Count(bad), std::nullopt);
  Registers max{};
  EXPECT_FALSE(MergeInto(max, bad));
  EXPECT_FALSE(ToDense(bad));
  EXPECT_EQ(SetRegister(bad, 16100, 3, kMax), -1);
  EXPECT_EQ(SetRegister(bad, 5, 3, kMax), 1);
  EXPECT_EQ(DecodeSparse(bad), "z:5 v:3,1 Z:15994");
}

TEST(HllTest, PatternLengthAndHash) {
  // redis-server 7.0.15: PFADD k a; PFDEBUG DECODE k → "Z:12711 v:2,1 Z:3672", and for
  // "hello" → "Z:9216 v:1,1 Z:7167" (MurmurHash64A with seed 0xadc83b19, Redis's hllPatLen).
  int index;
  EXPECT_EQ(PatternLength("a", &index), 2);
  EXPECT_EQ(index, 12711);
  EXPECT_EQ(PatternLength("hello", &index), 1);
  EXPECT_EQ(index, 9216);
  std::string one = NewSparse();
  ASSERT_EQ(Add(one, "a", kMax), 1);
  EXPECT_EQ(DecodeSparse(one), "Z:12711 v:2,1 Z:3672");
  EXPECT_EQ(MurmurHash64A("", 0), 0u);
}

TEST(HllTest, SelfTestPasses) { EXPECT_EQ(SelfTest(kMax, 42), ""); }

}  // namespace
}  // namespace petacore::keyspace::types::hll
