// Collection incarnations (keyspace/incarnation.h) on a LocalCommitter behind a
// ChunkingCommitter: the meta value keeps the incarnation through rewrites; CopyKey stages a
// big collection's elements under a new incarnation (CommitRequest::staged, sent in batches
// before the switch) and moves an incarnation by its meta key alone; the ChunkCleaner keeps
// referenced incarnations and removes unreferenced ones, however many elements they hold.
#include <gtest/gtest.h>

#include <map>

#include <string>
#include <vector>

#include "expiry/chunk_cleaner.h"
#include "keyspace/chunked_value.h"
#include "keyspace/encoding.h"
#include "keyspace/incarnation.h"
#include "keyspace/txn_view.h"
#include "keyspace/types/hash.h"
#include "keyspace/types/key.h"
#include "replication/local_committer.h"

namespace petacore {
namespace {

using keyspace::ValueType;
using replication::CommitRequest;
using replication::CommitResult;
using replication::WriteOp;
namespace types = keyspace::types;

class IncarnationTest : public ::testing::Test {
 protected:
  // The chunk cleaner's index sees every batch, as the server's store observer feeds it.
  IncarnationTest() {
    store_.SetApplyObserver([this](int64_t revision, std::span<const mvcc::Mutation> batch) {
      references_.Observe(revision, batch);
    });
  }
  CommitResult Commit(CommitRequest req) {
    CommitResult out;
    chunking_.Commit(std::move(req), [&](CommitResult r) { out = std::move(r); });
    return out;
  }
  /// Runs fn on a view of the store and commits what it wrote.
  CommitResult Run(const std::function<void(keyspace::TxnView&)>& fn,
                   CommitRequest* built = nullptr) {
    auto snap = store_.Read();
    keyspace::TxnView view(snap);
    fn(view);
    CommitRequest req = view.BuildCommit(keyspace::Isolation::kSerializable);
    if (built) *built = req;
    return Commit(std::move(req));
  }
  void MakeHash(const std::string& meta, int fields) {
    ASSERT_EQ(Run([&](keyspace::TxnView& v) {
                std::vector<std::string> args;
                for (int i = 0; i < fields; ++i) {
                  args.push_back("f" + std::to_string(i));
                  args.push_back("v" + std::to_string(i));
                }
                std::vector<std::string_view> views(args.begin(), args.end());
                types::HashSet(v, types::ReadHash(v, meta), views);
              }).status,
              CommitResult::Status::kCommitted);
  }
  std::vector<std::pair<std::string, std::string>> GetAll(const std::string& meta) {
    auto snap = store_.Read();
    keyspace::TxnView view(snap);
    return types::HashGetAll(view, types::ReadHash(view, meta));
  }
  std::string IncarnationOf(const std::string& meta) {
    auto kv = store_.Read().Get(meta);
    if (!kv) return {};
    auto v = keyspace::DecodeValue(kv->value);
    return v ? std::string(v->incarnation) : std::string();
  }
  size_t KeysUnder(const std::string& id) {
    return store_.Read().Count(keyspace::ChunkIdStart(id), keyspace::ChunkIdEnd(id));
  }

  keyspace::ChunkReferences references_;
  mvcc::Store store_;
  keyspace::ChunkingCommitter chunking_{
      std::make_unique<replication::LocalCommitter>(store_), store_,
      {.chunk_bytes = 1000, .max_request_bytes = 1 << 20, .window = 2,
       .staged_batch_ops = 1000}};
  std::string src_ = keyspace::EncodeKey(0, "src");
  std::string dst_ = keyspace::EncodeKey(0, "dst");
};

TEST(IncarnationEncoding, MetaValueKeepsItsIncarnationThroughExpiryRewrites) {
  const std::string id = keyspace::NewWriteId();
  std::string stored = keyspace::EncodeValue(ValueType::kHash, "12", 0, id);
  auto v = keyspace::DecodeValue(stored);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->type, ValueType::kHash);
  EXPECT_EQ(v->incarnation, id);
  EXPECT_EQ(v->payload, "12");
  EXPECT_EQ(v->expire_at_ms, 0);
  const std::string expiring_stored = keyspace::WithExpire(stored, 777);  // the views' bytes
  auto expiring = keyspace::DecodeValue(expiring_stored);
  ASSERT_TRUE(expiring);
  EXPECT_EQ(expiring->incarnation, id);
  EXPECT_EQ(expiring->expire_at_ms, 777);
  EXPECT_EQ(expiring->payload, "12");
  const std::string persisted_stored = keyspace::WithExpire(expiring_stored, 0);
  auto persisted = keyspace::DecodeValue(persisted_stored);
  ASSERT_TRUE(persisted);
  EXPECT_EQ(persisted->incarnation, id);
  // Without one, the plain encoding; a truncated id is not a value.
  EXPECT_EQ(keyspace::EncodeValue(ValueType::kSet, "3", 5, ""),
            keyspace::EncodeValue(ValueType::kSet, "3", 5));
  EXPECT_FALSE(keyspace::DecodeValue(stored.substr(0, 10)));
  // The meta key references the id; a subkey holding the same bytes does not.
  const std::string meta = keyspace::EncodeKey(0, "h");
  EXPECT_EQ(keyspace::StagedIdOf(meta, stored), std::optional<std::string_view>(id));
  EXPECT_FALSE(keyspace::StagedIdOf(meta + "f", stored));
  EXPECT_FALSE(keyspace::StagedIdOf(meta, keyspace::EncodeValue(ValueType::kHash, "12")));
  EXPECT_EQ(keyspace::ElementBase(meta, *v), keyspace::ChunkIdStart(id));
  EXPECT_EQ(keyspace::ElementsEnd(keyspace::ElementBase(meta, *v)), keyspace::ChunkIdEnd(id));
}

TEST_F(IncarnationTest, BigCopyIsStagedInBatchesThenSwitchedIn) {
  MakeHash(src_, 5000);
  CommitRequest built;
  ASSERT_EQ(Run([&](keyspace::TxnView& v) { types::CopyKey(v, src_, dst_); }, &built).status,
            CommitResult::Status::kCommitted);
  // The built request: 5,000 elements and the chunk-0 marker staged; the Txn itself holds the
  // destination's meta key and the claimed marker, and compares the source only.
  EXPECT_EQ(built.staged.size(), 5001u);
  EXPECT_EQ(built.writes.size(), 2u);
  ASSERT_EQ(built.compares.size(), 1u);
  EXPECT_EQ(built.compares[0].key, src_);
  EXPECT_EQ(chunking_.staged_incarnations(), 1);
  EXPECT_EQ(chunking_.staged_batches(), 6);  // 5,001 writes, 1,000 per commit
  const std::string id = IncarnationOf(dst_);
  ASSERT_EQ(id.size(), keyspace::kIncarnationIdBytes);
  EXPECT_EQ(KeysUnder(id), 5002u);  // elements, chunk-0 and claimed markers
  EXPECT_EQ(GetAll(dst_), GetAll(src_));
  EXPECT_EQ(GetAll(dst_).size(), 5000u);
  // Writes to the copy go under its incarnation, keep it, and leave the source alone.
  ASSERT_EQ(Run([&](keyspace::TxnView& v) {
              std::vector<std::string_view> fv = {"f1", "changed", "new", "1"};
              types::HashSet(v, types::ReadHash(v, dst_), fv);
            }).status,
            CommitResult::Status::kCommitted);
  EXPECT_EQ(IncarnationOf(dst_), id);
  EXPECT_EQ(KeysUnder(id), 5003u);
  EXPECT_EQ(GetAll(dst_).size(), 5001u);
  EXPECT_EQ(GetAll(src_).size(), 5000u);
}

TEST_F(IncarnationTest, MovingAnIncarnationMovesTheMetaKeyOnly) {
  MakeHash(src_, 4200);
  ASSERT_EQ(Run([&](keyspace::TxnView& v) {
              types::CopyKey(v, src_, dst_, /*move=*/true);
              types::DeleteKey(v, src_);
            }).status,
            CommitResult::Status::kCommitted);
  const std::string id = IncarnationOf(dst_);
  ASSERT_FALSE(id.empty());
  const std::string again = keyspace::EncodeKey(3, "again");
  CommitRequest built;
  ASSERT_EQ(Run([&](keyspace::TxnView& v) {
              types::CopyKey(v, dst_, again, /*move=*/true);
              types::DeleteKey(v, dst_);
            }, &built).status,
            CommitResult::Status::kCommitted);
  EXPECT_TRUE(built.staged.empty());
  EXPECT_EQ(built.writes.size(), 2u);  // put of the new meta key, delete of the old one
  EXPECT_EQ(IncarnationOf(again), id);
  EXPECT_EQ(GetAll(again).size(), 4200u);
  EXPECT_FALSE(store_.Read().Get(dst_));
  // A small copy of it lands in the destination's own range.
  ASSERT_EQ(Run([&](keyspace::TxnView& v) {
              auto h = types::ReadHash(v, again);
              std::vector<std::string_view> fields;
              std::vector<std::string> names;
              for (int i = 0; i < 4100; ++i) names.push_back("f" + std::to_string(i));
              fields.assign(names.begin(), names.end());
              types::HashDelete(v, h, fields);
            }).status,
            CommitResult::Status::kCommitted);
  ASSERT_EQ(Run([&](keyspace::TxnView& v) { types::CopyKey(v, again, dst_); }).status,
            CommitResult::Status::kCommitted);
  EXPECT_TRUE(IncarnationOf(dst_).empty());
  EXPECT_EQ(GetAll(dst_), GetAll(again));
  EXPECT_EQ(GetAll(dst_).size(), 100u);
}

// A command writing more element bytes than the budget (one etcd request's share) moves the
// collection into a new incarnation staged ahead of its Txn: a new key, a key in its own
// range (whose old elements go with a range delete), and a key already in an incarnation.
TEST_F(IncarnationTest, OversizedElementWritesMoveIntoANewIncarnation) {
  auto hset = [&](const std::string& meta, int from, int count, size_t budget,
                  CommitRequest* built) {
    return Run(
        [&](keyspace::TxnView& v) {
          std::vector<std::string> args;
          for (int i = from; i < from + count; ++i) {
            args.push_back("f" + std::to_string(i));
            args.push_back("v" + std::to_string(i));
          }
          std::vector<std::string_view> views(args.begin(), args.end());
          types::HashSet(v, types::ReadHash(v, meta), views);
          EXPECT_EQ(v.StageLargeCollections(budget, 1024), budget < 10000 ? 1u : 0u);
        },
        built);
  };
  // Within the budget: nothing moves.
  CommitRequest built;
  ASSERT_EQ(hset(src_, 0, 100, 1 << 20, &built).status, CommitResult::Status::kCommitted);
  EXPECT_TRUE(built.staged.empty());
  EXPECT_TRUE(IncarnationOf(src_).empty());
  // Over it: the 100 elements there and the 3,000 new ones are staged; the Txn keeps the meta
  // key, the claimed marker and the delete of the old range.
  ASSERT_EQ(hset(src_, 100, 3000, 4096, &built).status, CommitResult::Status::kCommitted);
  EXPECT_EQ(built.staged.size(), 3101u);  // elements + the chunk-0 marker
  EXPECT_LE(built.writes.size(), 3u);
  const std::string first = IncarnationOf(src_);
  ASSERT_EQ(first.size(), keyspace::kIncarnationIdBytes);
  EXPECT_EQ(GetAll(src_).size(), 3100u);
  EXPECT_EQ(store_.Read().Count(src_, keyspace::KeyEnd(src_)), 1u);  // the meta key only
  // Already in an incarnation: a second one holds old and new; the first is left to the
  // chunk cleaner.
  ASSERT_EQ(hset(src_, 3100, 2000, 4096, &built).status, CommitResult::Status::kCommitted);
  const std::string second = IncarnationOf(src_);
  ASSERT_EQ(second.size(), keyspace::kIncarnationIdBytes);
  EXPECT_NE(second, first);
  auto all = GetAll(src_);
  ASSERT_EQ(all.size(), 5100u);
  std::map<std::string, std::string> fields(all.begin(), all.end());
  EXPECT_EQ(fields["f0"], "v0");
  EXPECT_EQ(fields["f5099"], "v5099");
  EXPECT_EQ(KeysUnder(second), 5102u);
  EXPECT_EQ(KeysUnder(first), 3102u);
}

TEST_F(IncarnationTest, CleanerKeepsReferencedAndRemovesUnreferencedIncarnations) {
  MakeHash(src_, 4500);
  ASSERT_EQ(Run([&](keyspace::TxnView& v) { types::CopyKey(v, src_, dst_); }).status,
            CommitResult::Status::kCommitted);
  const std::string kept = IncarnationOf(dst_);
  const std::string other = keyspace::EncodeKey(0, "other");
  ASSERT_EQ(Run([&](keyspace::TxnView& v) { types::CopyKey(v, src_, other); }).status,
            CommitResult::Status::kCommitted);
  const std::string dropped = IncarnationOf(other);
  ASSERT_EQ(Run([&](keyspace::TxnView& v) { types::DeleteKey(v, other); }).status,
            CommitResult::Status::kCommitted);
  EXPECT_EQ(KeysUnder(dropped), 4502u);  // DEL took the meta key only
  // An incarnation still being staged: its keys change between scans.
  const std::string staging = keyspace::NewWriteId();
  auto stage = [&](int i) {
    CommitRequest req;
    req.writes.push_back({WriteOp::Kind::kPut,
                          keyspace::IncarnationBase(staging) + "f" + std::to_string(i), "v", {}});
    ASSERT_EQ(Commit(std::move(req)).status, CommitResult::Status::kCommitted);
  };
  stage(0);
  expiry::ChunkCleaner cleaner(chunking_, store_, references_,
                               {.interval_ms = [] { return 100; },
                                .grace_ms = [] { return 1000; },
                                .leader = [] { return true; }});
  // `dropped` was switched in (claimed) and is referenced no more: it goes at the first scan.
  EXPECT_EQ(cleaner.RunOnce(10000), 1u);
  EXPECT_EQ(KeysUnder(dropped), 0u);  // (a range tombstone, expanded by LocalCommitter)
  EXPECT_EQ(KeysUnder(kept), 4502u);
  stage(1);
  EXPECT_EQ(cleaner.RunOnce(11000), 0u);  // `staging` changed meanwhile: its grace restarts
  EXPECT_EQ(KeysUnder(staging), 2u);
  EXPECT_EQ(cleaner.RunOnce(12000), 1u);  // unchanged for the grace now
  EXPECT_EQ(KeysUnder(staging), 0u);
  EXPECT_EQ(GetAll(dst_).size(), 4500u);
}

}  // namespace
}  // namespace petacore
