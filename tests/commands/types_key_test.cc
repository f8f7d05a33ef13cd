// keyspace::types operations on a key of any type: type checks, delete, TTL, copy, SWAPDB.
#include <string>
#include <vector>

#include "keyspace/types/hash.h"
#include "keyspace/types/key.h"
#include "keyspace/types/string.h"
#include "types_fixture.h"

namespace petacore::keyspace::types {
namespace {

using petacore::testing::TypesTest;

class KeyTypeTest : public TypesTest {
 protected:
  std::string MakeHash(int db, std::string_view key) {
    std::string meta = EncodeKey(db, key);
    std::vector<std::string_view> fv = {"a", "1", "b", "2"};
    Step([&](TxnView& v) { HashSet(v, ReadHash(v, meta), fv); });
    return meta;
  }
};

TEST_F(KeyTypeTest, ReadKeyChecksTheType) {
  std::string h = MakeHash(0, "h");
  EXPECT_TRUE(Step([&](TxnView& v) { return ReadKey(v, h, ValueType::kHash).ok(); }));
  EXPECT_TRUE(Step([&](TxnView& v) { return ReadKey(v, h, ValueType::kSet).wrong_type(); }));
  EXPECT_TRUE(
      Step([&](TxnView& v) { return ReadKey(v, EncodeKey(0, "x"), ValueType::kSet).missing(); }));
  EXPECT_EQ(Step([&](TxnView& v) { return KeyType(v, h); }), ValueType::kHash);
}

TEST_F(KeyTypeTest, DeleteKeyTakesTheSubkeys) {
  std::string h = MakeHash(0, "h");
  std::string other = MakeHash(0, "h2");
  EXPECT_TRUE(Step([&](TxnView& v) { return DeleteKey(v, h); }));
  EXPECT_EQ(KeysOf(h), 0u);
  EXPECT_EQ(KeysOf(other), 3u);
  EXPECT_FALSE(Step([&](TxnView& v) { return DeleteKey(v, h); }));
}

TEST_F(KeyTypeTest, ExpireAtSetClearAndPast) {
  std::string h = MakeHash(0, "h");
  int64_t at = NowMs() + 3'600'000;
  EXPECT_TRUE(Step([&](TxnView& v) { return SetExpireAt(v, h, at); }));
  EXPECT_EQ(Step([&](TxnView& v) { return ReadExpireAt(v, h); }), at);
  EXPECT_EQ(Payload(h), "2");  // type and payload kept
  EXPECT_TRUE(Step([&](TxnView& v) { return SetExpireAt(v, h, 0); }));
  EXPECT_EQ(Step([&](TxnView& v) { return ReadExpireAt(v, h); }), 0);
  EXPECT_TRUE(Step([&](TxnView& v) { return SetExpireAt(v, h, 1); }));  // in the past
  EXPECT_TRUE(Contents().empty());
  EXPECT_FALSE(Step([&](TxnView& v) { return SetExpireAt(v, h, at); }));
  EXPECT_FALSE(Step([&](TxnView& v) { return ReadExpireAt(v, h); }).has_value());
}

TEST_F(KeyTypeTest, CopyKeyCopiesEverySubkeyAndTheTtl) {
  std::string h = MakeHash(0, "h");
  int64_t at = NowMs() + 3'600'000;
  Step([&](TxnView& v) { SetExpireAt(v, h, at); });
  std::string dst = EncodeKey(5, "copy");
  Step([&](TxnView& v) { CopyKey(v, h, dst); });
  EXPECT_EQ(KeysOf(dst), 3u);
  EXPECT_EQ(Step([&](TxnView& v) { return ReadExpireAt(v, dst); }), at);
  EXPECT_EQ(Step([&](TxnView& v) { return std::string(*HashGet(v, ReadHash(v, dst), "b")); }), "2");
  EXPECT_EQ(KeysOf(h), 3u);  // the source stays
}

TEST_F(KeyTypeTest, SwapDatabases) {
  MakeHash(1, "h");
  Step([&](TxnView& v) { WriteString(v, EncodeKey(2, "s"), "v"); });
  EXPECT_FALSE(Step([&](TxnView& v) { return SwapDatabases(v, 1, 2, 3); }));  // 4 store keys
  EXPECT_EQ(KeysOf(EncodeKey(1, "h")), 3u);
  EXPECT_TRUE(Step([&](TxnView& v) { return SwapDatabases(v, 1, 2, 4); }));
  EXPECT_EQ(KeysOf(EncodeKey(2, "h")), 3u);
  EXPECT_EQ(KeysOf(EncodeKey(1, "s")), 1u);
  EXPECT_EQ(KeysOf(EncodeKey(1, "h")), 0u);
  EXPECT_EQ(KeysOf(EncodeKey(2, "s")), 0u);
}

}  // namespace
}  // namespace petacore::keyspace::types
