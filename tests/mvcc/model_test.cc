// model_test.cc — randomized differential test of Store against a trivially correct model:
// std::map<key, every version ever written>. Reads at random (old) revisions, after random
// compactions, and through snapshots taken before those compactions must agree with it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "mvcc/store.h"

namespace petacore::mvcc {
namespace {

struct ModelVersion {
  int64_t mod = 0;
  int64_t create = 0;
  int64_t version = 0;
  std::string value;
  bool tombstone = false;
};

class Model {
 public:
  const ModelVersion* Latest(const std::string& key) const {
    auto it = keys_.find(key);
    return (it == keys_.end() || it->second.empty()) ? nullptr : &it->second.back();
  }
  void Put(const std::string& key, const std::string& value, int64_t rev) {
    const ModelVersion* last = Latest(key);
    bool live = last != nullptr && !last->tombstone;
    keys_[key].push_back(
        ModelVersion{rev, live ? last->create : rev, live ? last->version + 1 : 1, value, false});
  }
  void Delete(const std::string& key, int64_t rev) {
    const ModelVersion* last = Latest(key);
    if (last == nullptr || last->tombstone) return;
    keys_[key].push_back(ModelVersion{rev, 0, 0, "", true});
  }
  std::optional<ModelVersion> Get(const std::string& key, int64_t rev) const {
    auto it = keys_.find(key);
    if (it == keys_.end()) return std::nullopt;
    for (auto v = it->second.rbegin(); v != it->second.rend(); ++v) {
      if (v->mod <= rev) return v->tombstone ? std::nullopt : std::optional(*v);
    }
    return std::nullopt;
  }
  /// Live keys in [start, end) at rev, in order.
  std::vector<std::pair<std::string, ModelVersion>> Range(const std::string& start,
                                                          const std::string& end,
                                                          int64_t rev) const {
    std::vector<std::pair<std::string, ModelVersion>> out;
    for (auto it = keys_.lower_bound(start); it != keys_.end(); ++it) {
      if (!end.empty() && it->first >= end) break;
      if (auto v = Get(it->first, rev)) out.emplace_back(it->first, *v);
    }
    return out;
  }
  size_t LiveKeys(int64_t rev) const { return Range("", "", rev).size(); }
  size_t IndexKeys() const { return keys_.size(); }

 private:
  std::map<std::string, std::vector<ModelVersion>> keys_;
};

void ExpectSame(const std::optional<KeyValue>& got, const std::optional<ModelVersion>& want,
                const std::string& key, int64_t rev) {
  ASSERT_EQ(got.has_value(), want.has_value()) << "key " << key << " at " << rev;
  if (!got) return;
  EXPECT_EQ(got->key, key);
  EXPECT_EQ(got->value, want->value) << "key " << key << " at " << rev;
  EXPECT_EQ(got->mod_revision, want->mod);
  EXPECT_EQ(got->create_revision, want->create);
  EXPECT_EQ(got->version, want->version);
}

class ModelTest : public ::testing::TestWithParam<uint32_t> {
 protected:
  void CheckSnapshot(const Snapshot& snap) {
    const int64_t rev = snap.revision();
    for (const std::string& key : keys_) ExpectSame(snap.Get(key), model_.Get(key, rev), key, rev);
    EXPECT_FALSE(snap.Get("not-a-key").has_value());
    // A random range with a random limit.
    std::string start = Pick(), end = rng_() % 4 == 0 ? "" : Pick();
    size_t limit = rng_() % 3 == 0 ? 0 : rng_() % 6;
    auto want = model_.Range(start, end, rev);
    std::vector<std::pair<std::string, KeyValue>> got;
    size_t n = snap.Range(start, end, limit, [&](const KeyValue& kv) {
      got.emplace_back(std::string(kv.key), kv);
      return true;
    });
    size_t expect_n = limit == 0 ? want.size() : std::min(limit, want.size());
    ASSERT_EQ(n, expect_n) << "range [" << start << "," << end << ") limit " << limit;
    ASSERT_EQ(got.size(), expect_n);
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].first, want[i].first);
      EXPECT_EQ(got[i].second.mod_revision, want[i].second.mod);
    }
    EXPECT_EQ(snap.Count(start, end), want.size());
    EXPECT_EQ(snap.Count("", ""), model_.LiveKeys(rev));
  }

  std::string Pick() { return keys_[rng_() % keys_.size()]; }

  std::mt19937 rng_{GetParam()};
  Model model_;
  Store store_;
  // Small key space of mixed lengths, a shared prefix, and binary bytes.
  std::vector<std::string> keys_ = {"a",
                                    "aa",
                                    "ab",
                                    "abc",
                                    "b",
                                    "ba",
                                    "c",
                                    "k0",
                                    "k1",
                                    "k10",
                                    "k2",
                                    "z",
                                    std::string("a\0", 2),
                                    std::string("\xff", 1),
                                    std::string("\x00\x01", 2),
                                    "key:000000000001"};
};

TEST_P(ModelTest, RandomHistoryMatchesModel) {
  int64_t rev = 0;
  std::vector<Snapshot> held;  // snapshots that survive later compactions
  for (int step = 0; step < 3000; ++step) {
    rev += 1 + (rng_() % 3 == 0 ? rng_() % 3 : 0);  // gaps, as etcd revisions of other keys
    std::vector<Mutation> batch;
    std::vector<std::string> used;
    int n = static_cast<int>(rng_() % 5);
    for (int i = 0; i < n; ++i) {
      std::string key = Pick();
      if (std::find(used.begin(), used.end(), key) != used.end()) continue;  // etcd: once per txn
      used.push_back(key);
      Mutation m;
      m.key = key;
      if (rng_() % 3 == 0) {
        m.kind = Mutation::Kind::kDelete;
        model_.Delete(key, rev);
      } else {
        m.value = std::string("v").append(std::to_string(rev)).append(rng_() % 40, 'x');
        model_.Put(key, m.value, rev);
      }
      batch.push_back(std::move(m));
    }
    store_.Apply(rev, batch);
    ASSERT_EQ(store_.applied_revision(), rev);

    if (rng_() % 97 == 0 && held.size() < 4) {
      int64_t lo = store_.compacted_revision();
      held.push_back(*store_.ReadAt(lo + static_cast<int64_t>(rng_() % (rev - lo + 1))));
    }
    if (rng_() % 61 == 0) {
      int64_t lo = store_.compacted_revision();
      int64_t target = lo + 1 + static_cast<int64_t>(rng_() % (rev - lo));
      store_.Compact(target);
      ASSERT_EQ(store_.compacted_revision(), target);
      if (target > 1) {
        EXPECT_FALSE(store_.ReadAt(target - 1).has_value());
      }
      EXPECT_FALSE(store_.ReadAt(rev + 1).has_value());
    }
    if (rng_() % 200 == 0 && !held.empty()) held.erase(held.begin());

    if (step % 7 == 0) {
      int64_t lo = store_.compacted_revision();
      int64_t at = lo + static_cast<int64_t>(rng_() % (rev - lo + 1));
      auto snap = store_.ReadAt(at);
      ASSERT_TRUE(snap.has_value()) << at;
      CheckSnapshot(*snap);
      CheckSnapshot(store_.Read());
      for (const Snapshot& h : held) CheckSnapshot(h);
      Stats st = store_.stats();
      EXPECT_EQ(st.live_keys, model_.LiveKeys(rev));
      // Deleted keys leave the index once compaction dropped their tombstone and no snapshot
      // holds them: between every live key and every key ever written.
      EXPECT_GE(st.index_keys, st.live_keys);
      EXPECT_LE(st.index_keys, model_.IndexKeys());
    }
    if (HasFatalFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, ModelTest, ::testing::Values(1u, 2u, 3u, 42u, 2024u));

}  // namespace
}  // namespace petacore::mvcc
