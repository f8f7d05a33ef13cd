// keyspace::types strings and lists on a TxnView: TTL kept or cleared, a collection replaced by
// a string, list pushes/pops/trim/replace and the head/tail meta.
#include <string>
#include <vector>

#include "keyspace/types/hash.h"
#include "keyspace/types/list.h"
#include "keyspace/types/string.h"
#include "types_fixture.h"

namespace petacore::keyspace::types {
namespace {

using petacore::testing::TypesTest;
using Strings = std::vector<std::string>;

class StringTypeTest : public TypesTest {
 protected:
  const std::string key_ = EncodeKey(0, "k");
  std::string Read() {
    return Step([&](TxnView& v) { return std::string(ReadString(v, key_).value); });
  }
  int64_t ExpireAt() {
    return Step([&](TxnView& v) { return CurrentExpireAt(v, key_); });
  }
};

TEST_F(StringTypeTest, WriteKeepsOrClearsTheTtl) {
  int64_t at = NowMs() + 3'600'000;
  Step([&](TxnView& v) { WriteStringExpire(v, key_, "a", at); });
  EXPECT_EQ(ExpireAt(), at);
  Step([&](TxnView& v) { WriteString(v, key_, "b", /*keep_ttl=*/true); });
  EXPECT_EQ(Read(), "b");
  EXPECT_EQ(ExpireAt(), at);
  Step([&](TxnView& v) { WriteString(v, key_, "c"); });
  EXPECT_EQ(Read(), "c");
  EXPECT_EQ(ExpireAt(), 0);
}

TEST_F(StringTypeTest, ReplacesACollectionWhole) {
  std::vector<std::string_view> fv = {"f", "v", "g", "w"};
  Step([&](TxnView& v) { HashSet(v, ReadHash(v, key_), fv); });
  EXPECT_TRUE(Step([&](TxnView& v) { return ReadString(v, key_).wrong_type(); }));
  Step([&](TxnView& v) { WriteString(v, key_, "s"); });
  EXPECT_EQ(KeysOf(key_), 1u);  // the field subkeys went with the hash
  EXPECT_EQ(Read(), "s");
}

TEST(FormatLongDoubleTest, HumanForm) {
  EXPECT_EQ(FormatLongDouble(10.5L + 0.1L), "10.6");
  EXPECT_EQ(FormatLongDouble(3.0L), "3");
  EXPECT_EQ(FormatLongDouble(-0.0L), "0");
  EXPECT_EQ(FormatLongDouble(-2.25L), "-2.25");
}

class ListTypeTest : public TypesTest {
 protected:
  const std::string meta_ = EncodeKey(0, "l");
  Strings All() {
    return Step([&](TxnView& v) { return ListHandle(v, meta_).ReadAll(); });
  }
};

TEST_F(ListTypeTest, PushPopAndMeta) {
  Step([&](TxnView& v) {
    ListHandle l(v, meta_);
    l.Push(ListEnd::kTail, "b");
    l.Push(ListEnd::kTail, "c");
    l.Push(ListEnd::kHead, "a");
    l.Flush();
  });
  EXPECT_EQ(All(), (Strings{"a", "b", "c"}));
  EXPECT_EQ(Payload(meta_), SortableInt(-1) + SortableInt(2));
  auto popped = Step([&](TxnView& v) {
    ListHandle l(v, meta_);
    auto out = l.Pop(ListEnd::kTail, 2);
    l.Flush();
    return out;
  });
  EXPECT_EQ(popped, (Strings{"c", "b"}));
  EXPECT_EQ(All(), (Strings{"a"}));
  EXPECT_EQ(KeysOf(meta_), 2u);
  Step([&](TxnView& v) {
    ListHandle l(v, meta_);
    l.Pop(ListEnd::kHead, 5);
    l.Flush();
  });
  EXPECT_TRUE(Contents().empty());
}

TEST_F(ListTypeTest, TrimSetReplace) {
  Step([&](TxnView& v) {
    ListHandle l(v, meta_);
    for (auto e : {"0", "1", "2", "3", "4", "5"}) l.Push(ListEnd::kTail, e);
    l.Flush();
  });
  Step([&](TxnView& v) {
    ListHandle l(v, meta_);
    l.Trim(1, 5);
    l.Set(0, "one");
    l.Flush();
  });
  EXPECT_EQ(All(), (Strings{"one", "2", "3", "4"}));
  Step([&](TxnView& v) {
    ListHandle l(v, meta_);
    auto old = l.ReadAll();
    l.Replace(old, {"one", "2", "new", "3", "4"});
    l.Flush();
  });
  EXPECT_EQ(All(), (Strings{"one", "2", "new", "3", "4"}));
  EXPECT_EQ(KeysOf(meta_), 6u);
  EXPECT_EQ(Step([&](TxnView& v) { return ListHandle(v, meta_).At(2); }), "new");
}

TEST_F(ListTypeTest, WrongType) {
  PutRaw(meta_, EncodeString("x"));
  EXPECT_TRUE(Step([&](TxnView& v) { return ListHandle(v, meta_).wrong_type(); }));
}

}  // namespace
}  // namespace petacore::keyspace::types
