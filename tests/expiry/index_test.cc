// expiry::Index fed by a real mvcc::Store's apply observer: what is tracked, the due order,
// hand-out-once semantics, Release, and versions replaced while handed out.
#include "expiry/index.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "keyspace/encoding.h"
#include "mvcc/store.h"

namespace petacore::expiry {
namespace {

using keyspace::EncodeKey;
using keyspace::EncodeValue;
using keyspace::ValueType;
using mvcc::Mutation;

class IndexTest : public ::testing::Test {
 protected:
  IndexTest() {
    store_.SetApplyObserver(
        [this](int64_t rev, std::span<const Mutation> batch) { index_.Observe(rev, batch); });
  }
  void Put(const std::string& key, const std::string& value) {
    std::vector<Mutation> b{{Mutation::Kind::kPut, key, value}};
    store_.Apply(++rev_, b);
  }
  void Delete(const std::string& key) {
    std::vector<Mutation> b{{Mutation::Kind::kDelete, key, {}}};
    store_.Apply(++rev_, b);
  }
  static std::string Str(int64_t expire_at) {
    return EncodeValue(ValueType::kString, "v", expire_at);
  }
  std::vector<std::string> Due(int64_t now, size_t limit = 100) {
    std::vector<std::string> keys;
    for (auto& d : index_.TakeDue(now, limit)) keys.push_back(d.meta_key);
    return keys;
  }

  mvcc::Store store_;
  Index index_;
  int64_t rev_ = 0;
};

TEST_F(IndexTest, TracksOnlyMetaKeysWithAnExpireAt) {
  std::string a = EncodeKey(0, "a"), b = EncodeKey(3, "b"), c = EncodeKey(0, "c");
  Put(a, Str(100));
  Put(b, Str(50));
  Put(c, EncodeValue(ValueType::kString, "v"));  // no TTL
  // A subkey whose bytes happen to decode as a value with an expire-at is not a key.
  Put(keyspace::SubKey(c, 'f', "x"), Str(10));
  // Internal keys (first byte 0xFF) are never Redis keys.
  Put(std::string("\xff") + "expiry/leader", Str(10));
  EXPECT_EQ(index_.size(), 2u);
  EXPECT_EQ(index_.CountDue(99), 1u);
  EXPECT_EQ(Due(99), std::vector<std::string>{b});
  EXPECT_EQ(Due(1000), std::vector<std::string>{a});
  EXPECT_TRUE(Due(1000).empty());        // handed out once
  EXPECT_EQ(index_.CountDue(1000), 2u);  // still in the store: still due
}

TEST_F(IndexTest, DueKeysComeEarliestFirstWithinTheLimit) {
  for (int i = 0; i < 10; ++i) Put(EncodeKey(0, "k" + std::to_string(i)), Str(100 - i));
  auto first = index_.TakeDue(95, 3);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[0].expire_at_ms, 91);
  EXPECT_EQ(first[1].expire_at_ms, 92);
  EXPECT_EQ(first[2].expire_at_ms, 93);
  EXPECT_EQ(index_.TakeDue(95, 100).size(), 2u);  // 94, 95
  EXPECT_EQ(index_.TakeDue(95, 100).size(), 0u);
}

TEST_F(IndexTest, CarriesTheModRevisionOfTheVersionWithTheExpireAt) {
  std::string k = EncodeKey(0, "k");
  Put(k, Str(10));
  Put(k, Str(20));  // rewritten: revision 2
  auto due = index_.TakeDue(30, 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].mod_revision, 2);
  EXPECT_EQ(due[0].expire_at_ms, 20);
}

TEST_F(IndexTest, PersistOrDeleteForgetsTheKey) {
  std::string a = EncodeKey(0, "a"), b = EncodeKey(0, "b");
  Put(a, Str(10));
  Put(b, Str(10));
  Put(a, EncodeValue(ValueType::kString, "v"));  // PERSIST / SET without TTL
  Delete(b);
  EXPECT_EQ(index_.size(), 0u);
  EXPECT_TRUE(Due(100).empty());
}

TEST_F(IndexTest, ReleasePutsBackOnlyTheSameVersion) {
  std::string a = EncodeKey(0, "a"), b = EncodeKey(0, "b");
  Put(a, Str(10));
  Put(b, Str(10));
  auto due = index_.TakeDue(100, 10);
  ASSERT_EQ(due.size(), 2u);
  index_.Release(due[0]);  // its delete failed: due again
  Put(b, Str(50));         // rewritten while handed out: the new version is due on its own
  index_.Release(due[1]);  // stale version: ignored
  auto again = index_.TakeDue(100, 10);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].meta_key, a);
  EXPECT_EQ(again[1].meta_key, b);
  EXPECT_EQ(again[1].mod_revision, 3);
  Delete(a);
  Delete(b);
  EXPECT_EQ(index_.size(), 0u);
  EXPECT_EQ(index_.CountDue(100), 0u);
}

TEST_F(IndexTest, InitialLoadWithGivenRevisionsIsIndexed) {
  // Sync's initial load applies etcd's KeyValues verbatim in one batch.
  std::vector<Mutation> load;
  for (int i = 0; i < 5; ++i) {
    Mutation m{Mutation::Kind::kPut, EncodeKey(0, "k" + std::to_string(i)), Str(10 + i)};
    m.mod_revision = 40 + i;
    m.create_revision = 40 + i;
    m.version = 1;
    load.push_back(m);
  }
  store_.Apply(50, load);
  auto due = index_.TakeDue(100, 10);
  ASSERT_EQ(due.size(), 5u);
  EXPECT_EQ(due[0].mod_revision, 40);
  EXPECT_EQ(due[4].mod_revision, 44);
}

}  // namespace
}  // namespace petacore::expiry
