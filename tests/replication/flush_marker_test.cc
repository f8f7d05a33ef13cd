// The FLUSHDB marker's rules on a local store (replication/flush_marker.h): applying a marker
// deletes the database's older keys but not what its own revision writes, a load skips the
// keys a marker deleted, and LocalCommitter (standalone mode) applies markers the same way.
#include "replication/flush_marker.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "replication/local_committer.h"

namespace petacore::replication {
namespace {

std::string Key(int db, const std::string& k) { return std::string(1, char(db)) + k; }

std::vector<std::string> Keys(mvcc::Store& store) {
  std::vector<std::string> out;
  store.Read().Range("", "", 0, [&](const mvcc::KeyValue& kv) {
    out.emplace_back(kv.key);
    return true;
  });
  return out;
}

TEST(FlushMarker, KeysAndDatabases) {
  EXPECT_EQ(FlushMarkerDb(FlushMarkerKey(0)), 0);
  EXPECT_EQ(FlushMarkerDb(FlushMarkerKey(15)), 15);
  EXPECT_FALSE(FlushMarkerDb(FlushMarkerKey(3) + "x"));
  EXPECT_FALSE(FlushMarkerDb("\xff" "chunk/abc"));
  EXPECT_LT(FlushMarkerStart(), FlushMarkerKey(7));
  EXPECT_LT(FlushMarkerKey(15), FlushMarkerEnd());
  EXPECT_EQ(DataKeyDb(Key(4, "k")), 4);
  EXPECT_FALSE(DataKeyDb("\xff" "format"));
}

TEST(FlushMarker, ApplyingAMarkerDeletesItsDatabaseButNotItsOwnWrites) {
  mvcc::Store store;
  std::vector<mvcc::Mutation> seed = {{mvcc::Mutation::Kind::kPut, Key(0, "a"), "1"},
                                      {mvcc::Mutation::Kind::kPut, Key(0, "b"), "1"},
                                      {mvcc::Mutation::Kind::kPut, Key(1, "other"), "1"}};
  store.Apply(1, seed);
  std::vector<mvcc::Mutation> batch = {{mvcc::Mutation::Kind::kPut, FlushMarkerKey(0), ""},
                                       {mvcc::Mutation::Kind::kPut, Key(0, "b"), "2"}};
  ASSERT_TRUE(HasFlushMarker(batch));
  EXPECT_EQ(ExpandFlushMarkers(store.Read(), &batch), 1u);  // "a"; "b" is written here
  store.Apply(2, batch);
  EXPECT_EQ(Keys(store), (std::vector<std::string>{Key(0, "b"), Key(1, "other"),
                                                   FlushMarkerKey(0)}));
  EXPECT_EQ(store.Read().Get(Key(0, "b"))->value, "2");
  EXPECT_EQ(FlushRevision(store.Read(), 0), 2);
  EXPECT_EQ(FlushRevision(store.Read(), 1), 0);
}

TEST(FlushMarker, ALoadSkipsTheKeysAMarkerDeleted) {
  auto put = [](std::string k, int64_t rev) {
    mvcc::Mutation m{mvcc::Mutation::Kind::kPut, std::move(k), "v"};
    m.mod_revision = m.create_revision = rev;
    m.version = 1;
    return m;
  };
  std::vector<mvcc::Mutation> loaded = {put(Key(0, "stale"), 5), put(Key(0, "after"), 12),
                                        put(Key(0, "same"), 10), put(Key(2, "old"), 3),
                                        put(FlushMarkerKey(0), 10)};
  EXPECT_EQ(DropFlushedKeys(&loaded), 1u);
  std::vector<std::string> keys;
  for (const auto& m : loaded) keys.push_back(m.key);
  EXPECT_EQ(keys, (std::vector<std::string>{Key(0, "after"), Key(0, "same"), Key(2, "old"),
                                            FlushMarkerKey(0)}));
}

TEST(FlushMarker, LocalCommitterAppliesTheMarker) {
  mvcc::Store store;
  LocalCommitter committer(store);
  auto commit = [&](CommitRequest r) {
    CommitResult result;
    committer.Commit(std::move(r), [&](CommitResult res) { result = res; });
    return result;
  };
  CommitRequest fill;
  for (const char* k : {"a", "b", "c"}) {
    fill.writes.push_back({WriteOp::Kind::kPut, Key(0, k), "1", {}});
  }
  ASSERT_EQ(commit(std::move(fill)).status, CommitResult::Status::kCommitted);
  CommitRequest flush;
  flush.writes.push_back({WriteOp::Kind::kPut, FlushMarkerKey(0), "", {}});
  ASSERT_EQ(commit(std::move(flush)).status, CommitResult::Status::kCommitted);
  EXPECT_EQ(Keys(store), std::vector<std::string>{FlushMarkerKey(0)});
}

}  // namespace
}  // namespace petacore::replication
