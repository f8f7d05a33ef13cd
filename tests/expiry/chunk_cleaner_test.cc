// Large values (keyspace/chunked_value.h) on a LocalCommitter: the ChunkingCommitter stages a
// big string in chunks and switches it in; ReadString assembles it; references survive
// EXPIRE's rewrite; the ChunkCleaner removes unreferenced write ids after the grace period
// and leaves referenced ones.
#include "expiry/chunk_cleaner.h"

#include <gtest/gtest.h>

#include <span>
#include <string>

#include "keyspace/chunk_references.h"
#include "keyspace/chunked_value.h"
#include "keyspace/encoding.h"
#include "keyspace/txn_view.h"
#include "keyspace/types/string.h"
#include "replication/local_committer.h"

namespace petacore {
namespace {

using replication::CommitRequest;
using replication::CommitResult;
using replication::WriteOp;

class ChunkedValueTest : public ::testing::Test {
 protected:
  // The chunk cleaner's index sees every batch, as the server's store observer feeds it.
  ChunkedValueTest() {
    store_.SetApplyObserver([this](int64_t revision, std::span<const mvcc::Mutation> batch) {
      references_.Observe(revision, batch);
    });
  }
  CommitResult Commit(replication::Committer& c, CommitRequest req) {
    CommitResult out;
    c.Commit(std::move(req), [&](CommitResult r) { out = std::move(r); });
    return out;
  }
  CommitResult Put(const std::string& key, const std::string& stored) {
    CommitRequest req;
    req.writes.push_back({WriteOp::Kind::kPut, key, stored, {}});
    return Commit(chunking_, std::move(req));
  }
  size_t ChunkKeys() {
    auto snap = store_.Read();
    return snap.Count(keyspace::kChunkPrefix, keyspace::ChunkRangeEnd());
  }

  keyspace::ChunkReferences references_;
  mvcc::Store store_;
  keyspace::ChunkingCommitter chunking_{
      std::make_unique<replication::LocalCommitter>(store_), store_,
      {.chunk_bytes = 1000, .max_request_bytes = 3000, .window = 2}};
  std::string key_ = keyspace::EncodeKey(0, "big");
};

TEST_F(ChunkedValueTest, ReferenceRoundTripsAndKeepsItsFlagThroughWithExpire) {
  keyspace::ChunkRef ref{keyspace::NewWriteId(), 123456789, 1000, 124};
  auto back = keyspace::DecodeChunkRef(keyspace::EncodeChunkRef(ref));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->write_id, ref.write_id);
  EXPECT_EQ(back->total, ref.total);
  EXPECT_EQ(back->count, ref.count);
  std::string stored = keyspace::EncodeChunkedString(keyspace::EncodeChunkRef(ref), 0);
  std::string expiring = keyspace::WithExpire(stored, 5000);
  auto v = keyspace::DecodeValue(expiring);
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->chunked);
  EXPECT_EQ(v->expire_at_ms, 5000);
  EXPECT_TRUE(keyspace::ChunkRefOf(key_, expiring));
  // A subkey holding the same bytes is not a reference.
  EXPECT_FALSE(keyspace::ChunkRefOf(key_ + "f", expiring));
  EXPECT_FALSE(keyspace::DecodeChunkRef("short"));
}

TEST_F(ChunkedValueTest, BigStringIsStagedSwitchedAndAssembled) {
  std::string value;
  for (int i = 0; i < 4500; ++i) value.push_back(static_cast<char>('a' + i % 26));
  auto r = Put(key_, keyspace::EncodeString(value));
  ASSERT_EQ(r.status, CommitResult::Status::kCommitted) << r.error;
  EXPECT_EQ(chunking_.staged_chunks(), 5);
  EXPECT_EQ(ChunkKeys(), 6u);  // 5 chunks + the claimed marker
  auto snap = store_.Read();
  auto meta = snap.Get(key_);
  ASSERT_TRUE(meta);
  EXPECT_LT(meta->value.size(), 100u);  // the meta key holds the reference only
  keyspace::TxnView view(snap);
  auto read = keyspace::types::ReadString(view, key_);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read.value, value);
  // A small value is passed through untouched.
  r = Put(keyspace::EncodeKey(0, "small"), keyspace::EncodeString("tiny"));
  ASSERT_EQ(r.status, CommitResult::Status::kCommitted);
  EXPECT_EQ(ChunkKeys(), 6u);
}

// An orphan (never switched in: no claim marker) goes after the grace; the chunks of a value
// that was switched in and then overwritten go at the next scan.
TEST_F(ChunkedValueTest, CleanerRemovesOrphansAfterTheGraceAndDroppedValuesAtOnce) {
  std::string value(2500, 'x');
  ASSERT_EQ(Put(key_, keyspace::EncodeString(value)).status, CommitResult::Status::kCommitted);
  std::string other = keyspace::EncodeKey(0, "other");
  ASSERT_EQ(Put(other, keyspace::EncodeString(value)).status, CommitResult::Status::kCommitted);
  EXPECT_EQ(ChunkKeys(), 8u);
  // An orphan: chunks of a write whose switch never happened.
  std::string orphan = keyspace::NewWriteId();
  ASSERT_EQ(Put(keyspace::ChunkKey(orphan, 0), "zzz").status, CommitResult::Status::kCommitted);
  int64_t grace = 1000;
  expiry::ChunkCleaner cleaner(chunking_, store_, references_,
                               {.interval_ms = [] { return 100; },
                                .grace_ms = [&] { return grace; },
                                .leader = [] { return true; }});
  EXPECT_EQ(cleaner.RunOnce(10000), 0u);  // first sight starts the grace period
  EXPECT_EQ(cleaner.RunOnce(10500), 0u);
  EXPECT_EQ(cleaner.RunOnce(11000), 1u);  // the orphan only
  EXPECT_EQ(ChunkKeys(), 8u);
  // Overwrite "other" with a small value: its chunks become unreferenced.
  ASSERT_EQ(Put(other, keyspace::EncodeString("s")).status, CommitResult::Status::kCommitted);
  EXPECT_EQ(cleaner.RunOnce(11001), 1u);  // claimed once: no grace
  EXPECT_EQ(ChunkKeys(), 4u);
  // "big" is still whole.
  auto snap = store_.Read();
  keyspace::TxnView view(snap);
  EXPECT_EQ(keyspace::types::ReadString(view, key_).value, value);
}

// The cleaner's index follows the references through what moves or drops a meta key — a
// rename (delete + put in one batch), EXPIRE's rewrite, an overwrite, a delete — and forgets
// an id once its keys are gone, so a round costs O(write ids), not O(keys).
TEST_F(ChunkedValueTest, IndexFollowsReferencesAndForgetsDeletedIds) {
  std::string value(2500, 'x');
  ASSERT_EQ(Put(key_, keyspace::EncodeString(value)).status, CommitResult::Status::kCommitted);
  EXPECT_EQ(references_.ids(), 1u);
  EXPECT_EQ(references_.referencing_keys(), 1u);
  EXPECT_TRUE(references_.UnreferencedIds().empty());
  const std::string stored(store_.Read().Get(key_)->value);
  const std::string renamed = keyspace::EncodeKey(0, "renamed");
  CommitRequest rename;
  rename.writes.push_back({WriteOp::Kind::kDelete, key_, {}, {}});
  rename.writes.push_back({WriteOp::Kind::kPut, renamed, stored, {}});
  ASSERT_EQ(Commit(chunking_, std::move(rename)).status, CommitResult::Status::kCommitted);
  EXPECT_EQ(references_.referencing_keys(), 1u);
  EXPECT_TRUE(references_.UnreferencedIds().empty());
  ASSERT_EQ(Put(renamed, keyspace::WithExpire(stored, 1LL << 50)).status,
            CommitResult::Status::kCommitted);
  EXPECT_TRUE(references_.UnreferencedIds().empty());
  // Dropped: unreferenced, claimed, so the first round deletes it, the next forgets it.
  CommitRequest del;
  del.writes.push_back({WriteOp::Kind::kDelete, renamed, {}, {}});
  ASSERT_EQ(Commit(chunking_, std::move(del)).status, CommitResult::Status::kCommitted);
  auto unreferenced = references_.UnreferencedIds();
  ASSERT_EQ(unreferenced.size(), 1u);
  EXPECT_NE(unreferenced[0].claim_revision, 0);
  EXPECT_EQ(references_.referencing_keys(), 0u);
  expiry::ChunkCleaner cleaner(chunking_, store_, references_,
                               {.interval_ms = [] { return 100; },
                                .grace_ms = [] { return 1000; },
                                .leader = [] { return true; }});
  EXPECT_EQ(cleaner.RunOnce(10000), 1u);
  EXPECT_EQ(ChunkKeys(), 0u);
  EXPECT_EQ(references_.ids(), 1u);  // known until a round sees its keys gone
  EXPECT_EQ(cleaner.RunOnce(10100), 0u);
  EXPECT_EQ(references_.ids(), 0u);
  EXPECT_NE(cleaner.InfoLines().find("chunk_ids:0\r\n"), std::string::npos);
}

TEST_F(ChunkedValueTest, CleanerDeleteFailsWhenTheSwitchCameAfterItsScan) {
  // The cleaner's delete compares the claimed marker as its scan saw it (absent): a switch
  // that commits in between makes the delete fail.
  std::string id = keyspace::NewWriteId();
  ASSERT_EQ(Put(keyspace::ChunkKey(id, 0), "abc").status, CommitResult::Status::kCommitted);
  ASSERT_EQ(Put(keyspace::ChunkKey(id, keyspace::kClaimIndex), "").status,
            CommitResult::Status::kCommitted);
  CommitRequest del;
  del.compares.push_back({keyspace::ChunkKey(id, keyspace::kClaimIndex), 0});
  del.writes.push_back({WriteOp::Kind::kDeleteRange, keyspace::ChunkIdStart(id), {},
                        keyspace::ChunkIdEnd(id)});
  EXPECT_EQ(Commit(chunking_, std::move(del)).status, CommitResult::Status::kConflict);
  EXPECT_EQ(ChunkKeys(), 2u);
}

}  // namespace
}  // namespace petacore
