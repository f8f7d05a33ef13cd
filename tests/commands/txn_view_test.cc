// keyspace::TxnView: reads through the write buffer, merged ranges, and the CommitRequest it
// builds for each isolation level.
#include "keyspace/txn_view.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "keyspace/encoding.h"
#include "replication/range_tombstone.h"
#include "replication/local_committer.h"

namespace petacore::keyspace {
namespace {

using replication::CommitRequest;
using replication::CommitResult;
using replication::KeyRevision;
using replication::WriteOp;

class TxnViewTest : public ::testing::Test {
 protected:
  // Puts each key at its own revision, in order: revision(key) is known to the test.
  void Seed(const std::vector<std::pair<std::string, std::string>>& kvs) {
    for (const auto& [k, v] : kvs) {
      int64_t rev = store_.applied_revision() + 1;
      mvcc::Mutation m{mvcc::Mutation::Kind::kPut, k, v};
      store_.Apply(rev, std::span<const mvcc::Mutation>(&m, 1));
      revs_[k] = rev;
    }
  }

  std::vector<std::pair<std::string, std::string>> RangeAll(TxnView& view,
                                                            std::string_view start = "",
                                                            std::string_view end = "") {
    std::vector<std::pair<std::string, std::string>> out;
    view.Range(start, end, [&](std::string_view k, std::string_view v) {
      out.emplace_back(k, v);
      return true;
    });
    return out;
  }

  CommitResult Commit(CommitRequest req) {
    replication::LocalCommitter committer(store_);
    CommitResult result;
    bool called = false;
    committer.Commit(std::move(req), [&](CommitResult r) {
      result = std::move(r);
      called = true;
    });
    EXPECT_TRUE(called);
    return result;
  }

  std::map<std::string, std::string> StoreContents() {
    std::map<std::string, std::string> out;
    auto snap = store_.Read();
    snap.Range("", "", 0, [&](const mvcc::KeyValue& kv) {
      out.emplace(kv.key, kv.value);
      return true;
    });
    return out;
  }

  static std::vector<std::pair<std::string, int64_t>> Compares(const CommitRequest& req) {
    std::vector<std::pair<std::string, int64_t>> out;
    for (const auto& c : req.compares) out.emplace_back(c.key, c.mod_revision);
    std::sort(out.begin(), out.end());
    return out;
  }

  // The neutral write set (committer.h): no key twice among the single-key writes, and every
  // range delete ahead of them (etcd's own shaping is tested in etcd_txn_shape_test.cc).
  static void ExpectNeutral(const CommitRequest& req) {
    std::set<std::string> keys;
    bool single_seen = false;
    for (const auto& w : req.writes) {
      if (w.kind == WriteOp::Kind::kDeleteRange) {
        EXPECT_FALSE(single_seen) << "range delete after a single-key write: " << w.key;
        continue;
      }
      single_seen = true;
      EXPECT_TRUE(keys.insert(w.key).second) << "key twice in one request: " << w.key;
    }
  }

  mvcc::Store store_;
  std::map<std::string, int64_t> revs_;
};

TEST_F(TxnViewTest, ReadsThroughTheWriteBuffer) {
  Seed({{"a", "1"}, {"b", "2"}});
  auto snap = store_.Read();
  TxnView view(snap);
  EXPECT_EQ(view.Get("a"), "1");
  EXPECT_FALSE(view.Get("zz").has_value());
  EXPECT_FALSE(view.has_writes());

  view.Put("a", "10");
  view.Put("new", "n");
  EXPECT_TRUE(view.has_writes());
  EXPECT_EQ(view.Get("a"), "10");
  EXPECT_EQ(view.Get("new"), "n");
  view.Put("a", "11");  // replaces the buffered write
  EXPECT_EQ(view.Get("a"), "11");

  EXPECT_TRUE(view.Delete("b"));
  EXPECT_FALSE(view.Get("b").has_value());
  EXPECT_FALSE(view.Delete("b"));  // already gone in this view
  EXPECT_FALSE(view.Delete("missing"));
  view.Put("b", "again");
  EXPECT_EQ(view.Get("b"), "again");

  // The snapshot itself is untouched.
  EXPECT_EQ(snap.Get("a")->value, "1");
  EXPECT_EQ(view.ModRevision("a"), revs_["a"]);
  EXPECT_EQ(view.ModRevision("missing"), 0);
}

TEST_F(TxnViewTest, RangeMergesBufferAndSnapshot) {
  Seed({{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}, {"e", "5"}});
  auto snap = store_.Read();
  TxnView view(snap);
  view.Put("b", "B");    // overwrite
  view.Put("bb", "BB");  // new, between snapshot keys
  view.Delete("c");      // delete
  view.Put("0", "zero"); // before every snapshot key
  view.Put("f", "F");    // after every snapshot key
  std::vector<std::pair<std::string, std::string>> want = {
      {"0", "zero"}, {"a", "1"}, {"b", "B"}, {"bb", "BB"}, {"d", "4"}, {"e", "5"}, {"f", "F"}};
  EXPECT_EQ(RangeAll(view), want);

  // Bounded range: [b, e).
  std::vector<std::pair<std::string, std::string>> bounded = {
      {"b", "B"}, {"bb", "BB"}, {"d", "4"}};
  EXPECT_EQ(RangeAll(view, "b", "e"), bounded);

  // Early stop.
  std::vector<std::string> first_two;
  view.Range("", "", [&](std::string_view k, std::string_view) {
    first_two.emplace_back(k);
    return first_two.size() < 2;
  });
  EXPECT_EQ(first_two, (std::vector<std::string>{"0", "a"}));
}

TEST_F(TxnViewTest, RangeAfterRangeDelete) {
  Seed({{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}});
  auto snap = store_.Read();
  TxnView view(snap);
  view.Put("bx", "buffered");  // dropped by the range delete below
  EXPECT_EQ(view.DeleteRange("b", "d"), 3u);  // b, bx, c
  EXPECT_FALSE(view.Get("b").has_value());
  EXPECT_FALSE(view.Get("bx").has_value());
  view.Put("c", "C");  // a put after the range delete survives it
  std::vector<std::pair<std::string, std::string>> want = {{"a", "1"}, {"c", "C"}, {"d", "4"}};
  EXPECT_EQ(RangeAll(view), want);
  EXPECT_EQ(view.DeleteRange("", ""), 3u);
  EXPECT_TRUE(RangeAll(view).empty());
  EXPECT_EQ(view.DeleteRange("", ""), 0u);
}

TEST_F(TxnViewTest, SerializableComparesEveryKeyRead) {
  Seed({{"a", "1"}, {"b", "2"}, {"w", "3"}});
  auto snap = store_.Read();
  TxnView view(snap);
  view.Get("a");
  view.Get("absent");
  view.ModRevision("b");
  view.Put("w", "blind");  // written, never read: not compared
  auto req = view.BuildCommit(Isolation::kSerializable);
  std::vector<std::pair<std::string, int64_t>> want = {
      {"a", revs_["a"]}, {"absent", 0}, {"b", revs_["b"]}};
  EXPECT_EQ(Compares(req), want);
  ASSERT_EQ(req.writes.size(), 1u);
  EXPECT_EQ(req.writes[0].kind, WriteOp::Kind::kPut);
  EXPECT_EQ(req.writes[0].key, "w");
  EXPECT_EQ(req.writes[0].value, "blind");
}

// The meta key guards its collection (docs/encoding.md): a subkey read next to its meta key
// is not compared again, so a command reading thousands of elements stays at one compare per
// key (etcd's --max-txn-ops bounds compares). A subkey whose meta key was not read stays.
TEST_F(TxnViewTest, SubkeyComparesFoldIntoTheirMetaKey) {
  const std::string h = EncodeKey(0, "h"), other = EncodeKey(0, "other");
  const std::string f1 = SubKey(h, kHashFieldTag, "f1"), f2 = SubKey(h, kHashFieldTag, "f2");
  const std::string g = SubKey(other, kHashFieldTag, "g");
  const std::string x = EncodeKey(0, "x"), group = SubKey(x, kStreamGroupTag, "grp");
  Seed({{h, "meta"}, {f1, "1"}, {f2, "2"}, {other, "meta"}, {g, "3"}, {x, "s"}, {group, "g"}});
  for (auto isolation : {Isolation::kSerializable, Isolation::kSnapshot}) {
    auto snap = store_.Read();
    TxnView view(snap);
    view.Get(h);
    view.Get(f1);
    view.Get(f2);
    view.Get(SubKey(h, kHashFieldTag, "absent"));
    view.Get(g);  // its meta key is not read
    view.Get(x);
    view.Get(group);  // a stream's group: consumer-group commands leave the meta key alone
    view.Put(group, "g2");
    view.Put(h, "meta2");
    view.Put(f1, "x");
    view.Put(g, "y");
    view.EndCommand();
    auto req = view.BuildCommit(isolation);
    std::vector<std::pair<std::string, int64_t>> want = {{h, revs_[h]}, {g, revs_[g]}};
    if (isolation == Isolation::kSerializable) want.emplace_back(x, revs_[x]);
    want.emplace_back(group, revs_[group]);
    std::sort(want.begin(), want.end());
    EXPECT_EQ(Compares(req), want) << static_cast<int>(isolation);
  }
}

// FLUSHDB in a view (replication/range_tombstone.h): the database reads empty at once, later
// writes to it stay, and the commit is one tombstone put; absent keys under a tombstone are
// compared as "absent or older than the tombstone".
TEST_F(TxnViewTest, DropRangeIsATombstonePutAndTheViewReadsTheRangeEmpty) {
  const std::string a = EncodeKey(0, "a"), b = EncodeKey(0, "b"), other = EncodeKey(1, "o");
  Seed({{a, EncodeString("1")}, {b, EncodeString("1")}, {other, EncodeString("1")}});
  auto snap = store_.Read();
  TxnView view(snap);
  view.Put(a, EncodeString("2"));
  view.DropRange(DbStart(0), DbEnd(0));
  view.Put(b, EncodeString("3"));
  EXPECT_FALSE(view.Get(a));
  EXPECT_TRUE(view.Get(b));
  EXPECT_TRUE(view.Get(other));
  EXPECT_EQ(RangeAll(view, DbStart(0), DbEnd(0)).size(), 1u);
  auto req = view.BuildCommit(Isolation::kSerializable);
  ASSERT_EQ(req.writes.size(), 2u);  // the tombstone and b; no DeleteRange
  for (const auto& w : req.writes) EXPECT_EQ(w.kind, WriteOp::Kind::kPut);
  ASSERT_EQ(Commit(std::move(req)).status, CommitResult::Status::kCommitted);
  EXPECT_FALSE(store_.Read().Get(a));
  EXPECT_TRUE(store_.Read().Get(other));
  // LocalCommitter (standalone) applies a tombstone and keeps none; a replica keeps it until
  // the cleaner is done: put one as the watch would.
  EXPECT_FALSE(store_.Read().Get(replication::TombstoneKey(DbStart(0))));
  Seed({{replication::TombstoneKey(DbStart(0)), DbEnd(0)}});
  const int64_t marker = revs_[replication::TombstoneKey(DbStart(0))];

  auto snap2 = store_.Read();
  TxnView after(snap2);
  after.Get(a);      // absent in a flushed database: may be stale in etcd
  after.Get(other);  // present: compared as is
  after.Put(a, EncodeString("4"));
  auto req2 = after.BuildCommit(Isolation::kSerializable);
  ASSERT_EQ(req2.compares.size(), 2u);
  for (const auto& c : req2.compares) {
    EXPECT_EQ(c.absent_below, c.key == a ? marker : 0) << c.key;
  }
}

// A DeleteRange of more than kTombstoneMinKeys keys (DEL of a big collection) is committed
// as a range tombstone: etcd would apply the range delete as that many deletes at once.
TEST_F(TxnViewTest, BigDeleteRangeBecomesATombstone) {
  const std::string h = EncodeKey(0, "h");
  std::vector<std::pair<std::string, std::string>> kvs = {{h, "meta"}};
  for (size_t i = 0; i <= TxnView::kTombstoneMinKeys; ++i) {
    kvs.emplace_back(SubKey(h, kHashFieldTag, "f" + std::to_string(i)), "v");
  }
  kvs.emplace_back(EncodeKey(0, "i"), "next key");
  Seed(kvs);
  auto snap = store_.Read();
  TxnView view(snap);
  EXPECT_EQ(view.DeleteRange(h, KeyEnd(h)), TxnView::kTombstoneMinKeys + 2);
  EXPECT_FALSE(view.Get(h));
  auto req = view.BuildCommit(Isolation::kSerializable);
  ASSERT_EQ(req.writes.size(), 1u);
  EXPECT_EQ(req.writes[0].kind, WriteOp::Kind::kPut);
  EXPECT_EQ(req.writes[0].key, replication::TombstoneKey(h));
  EXPECT_EQ(req.writes[0].value, KeyEnd(h));
  ASSERT_EQ(Commit(std::move(req)).status, CommitResult::Status::kCommitted);
  EXPECT_EQ(StoreContents().size(), 1u);  // the next key (LocalCommitter keeps no tombstone)
}

TEST_F(TxnViewTest, SnapshotComparesEveryKeyWritten) {
  Seed({{"a", "1"}, {"b", "2"}, {"w", "3"}});
  auto snap = store_.Read();
  TxnView view(snap);
  view.Get("a");         // read only: not compared
  view.Put("w", "x");    // existing key
  view.Put("new", "y");  // absent key: compared with 0
  view.Delete("b");      // a delete is a write too
  view.EndCommand();
  auto req = view.BuildCommit(Isolation::kSnapshot);
  std::vector<std::pair<std::string, int64_t>> want = {
      {"b", revs_["b"]}, {"new", 0}, {"w", revs_["w"]}};
  EXPECT_EQ(Compares(req), want);
  EXPECT_EQ(req.writes.size(), 3u);
}

TEST_F(TxnViewTest, ReadCommittedComparesKeysReadAndWrittenByOneCommand) {
  Seed({{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}});
  auto snap = store_.Read();
  TxnView view(snap);
  // Command 1 reads a, writes b.
  view.Get("a");
  view.Put("b", "x");
  view.EndCommand();
  // Command 2 reads c and writes c (read-modify-write), and writes a (read by command 1).
  view.Get("c");
  view.Put("c", "y");
  view.Put("a", "z");
  view.EndCommand();
  // Command 3 reads d only.
  view.Get("d");
  auto req = view.BuildCommit(Isolation::kReadCommitted);
  std::vector<std::pair<std::string, int64_t>> want = {{"c", revs_["c"]}};
  EXPECT_EQ(Compares(req), want);
}

TEST_F(TxnViewTest, BuildCommitOnlyCommandSpansCountForReadCommitted) {
  Seed({{"k", "1"}});
  auto snap = store_.Read();
  TxnView view(snap);
  // BuildCommit ends the last command itself: a read-modify-write in it is compared.
  view.Get("k");
  view.Put("k", "2");
  auto req = view.BuildCommit(Isolation::kReadCommitted);
  std::vector<std::pair<std::string, int64_t>> want = {{"k", revs_["k"]}};
  EXPECT_EQ(Compares(req), want);
}

TEST_F(TxnViewTest, RangeDeleteAloneIsOneDeleteRange) {
  Seed({{"a", "1"}, {"b", "2"}});
  auto snap = store_.Read();
  TxnView view(snap);
  EXPECT_EQ(view.DeleteRange("a", "c"), 2u);
  auto req = view.BuildCommit(Isolation::kSerializable);
  ASSERT_EQ(req.writes.size(), 1u);
  EXPECT_EQ(req.writes[0].kind, WriteOp::Kind::kDeleteRange);
  EXPECT_EQ(req.writes[0].key, "a");
  EXPECT_EQ(req.writes[0].range_end, "c");
}

TEST_F(TxnViewTest, RangeDeleteWithPutInsideStaysOneRangeAndAPut) {
  Seed({{"a", "1"}, {"b", "2"}, {"c", "3"}, {"z", "26"}});
  auto snap = store_.Read();
  TxnView view(snap);
  EXPECT_EQ(view.DeleteRange("a", "d"), 3u);
  view.Put("b", "B");
  auto req = view.BuildCommit(Isolation::kSerializable);
  ExpectNeutral(req);
  ASSERT_EQ(req.writes.size(), 2u);
  EXPECT_EQ(req.writes[0].kind, WriteOp::Kind::kDeleteRange);
  EXPECT_EQ(req.writes[0].key, "a");
  EXPECT_EQ(req.writes[0].range_end, "d");
  EXPECT_EQ(req.writes[1].kind, WriteOp::Kind::kPut);
  EXPECT_EQ(req.writes[1].key, "b");
  EXPECT_EQ(req.writes[1].value, "B");

  EXPECT_EQ(Commit(std::move(req)).status, CommitResult::Status::kCommitted);
  EXPECT_EQ(StoreContents(), (std::map<std::string, std::string>{{"b", "B"}, {"z", "26"}}));
}

TEST_F(TxnViewTest, RepeatedRangeDeletesWithPutsNeverWriteAKeyTwice) {
  // SET x; FLUSHDB; SET y; FLUSHDB; SET z — as one EXEC.
  Seed({{"a", "1"}, {"b", "2"}});
  auto snap = store_.Read();
  TxnView view(snap);
  view.Put("x", "1");
  view.EndCommand();
  EXPECT_EQ(view.DeleteRange("", ""), 3u);
  view.EndCommand();
  view.Put("y", "2");
  view.EndCommand();
  EXPECT_EQ(view.DeleteRange("", ""), 1u);
  view.EndCommand();
  view.Put("z", "3");
  auto req = view.BuildCommit(Isolation::kSerializable);
  ExpectNeutral(req);
  EXPECT_EQ(Commit(std::move(req)).status, CommitResult::Status::kCommitted);
  EXPECT_EQ(StoreContents(), (std::map<std::string, std::string>{{"z", "3"}}));
}

TEST_F(TxnViewTest, DeleteThenRangeDeleteKeepsTheKeyDeleted) {
  // DEL a; FLUSHDB — as one EXEC: the range holds no live key any more, but the buffered
  // delete of a must not be lost with it.
  Seed({{"a", "1"}});
  auto snap = store_.Read();
  TxnView view(snap);
  EXPECT_TRUE(view.Delete("a"));
  view.EndCommand();
  EXPECT_EQ(view.DeleteRange("", ""), 0u);
  EXPECT_FALSE(view.Get("a").has_value());
  ASSERT_TRUE(view.has_writes());
  auto req = view.BuildCommit(Isolation::kSerializable);
  ExpectNeutral(req);
  EXPECT_EQ(Commit(std::move(req)).status, CommitResult::Status::kCommitted);
  EXPECT_TRUE(StoreContents().empty());
}

TEST_F(TxnViewTest, CommittedWritesMatchTheView) {
  Seed({{"a", "1"}, {"b", "2"}, {"c", "3"}});
  auto snap = store_.Read();
  TxnView view(snap);
  view.Put("a", "A");
  view.Delete("b");
  view.Put("d", "D");
  auto expected = RangeAll(view);
  auto req = view.BuildCommit(Isolation::kSerializable);
  EXPECT_EQ(Commit(std::move(req)).status, CommitResult::Status::kCommitted);
  std::map<std::string, std::string> want(expected.begin(), expected.end());
  EXPECT_EQ(StoreContents(), want);
}

}  // namespace
}  // namespace petacore::keyspace
