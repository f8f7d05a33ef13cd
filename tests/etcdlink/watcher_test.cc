// watcher_test.cc — per-revision delivery, progress, resume across a kill -9 of etcd,
// compaction, and prompt shutdown with etcd unreachable.
#include "etcdlink/watcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "tests/etcdlink/etcd_env.h"

namespace petacore::etcdlink {
namespace {

using namespace std::chrono_literals;
using testing::Etcd;
using testing::MakeClient;
using testing::TestPrefix;

// Records everything a Watcher reports, with waits bounded by a timeout.
struct Recorder {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<int64_t, std::vector<WatchEvent>>> revisions;
  int64_t last_progress = 0;
  int64_t compacted = 0;
  std::vector<absl::Status> errors;

  WatchCallbacks Callbacks() {
    WatchCallbacks cb;
    cb.on_revision = [this](int64_t rev, std::vector<WatchEvent>&& events) {
      std::lock_guard<std::mutex> lock(mu);
      revisions.emplace_back(rev, std::move(events));
      cv.notify_all();
    };
    cb.on_progress = [this](int64_t rev) {
      std::lock_guard<std::mutex> lock(mu);
      last_progress = rev;
      cv.notify_all();
    };
    cb.on_compacted = [this](int64_t rev) {
      std::lock_guard<std::mutex> lock(mu);
      compacted = rev;
      cv.notify_all();
    };
    cb.on_error = [this](const absl::Status& s) {
      std::lock_guard<std::mutex> lock(mu);
      errors.push_back(s);
      cv.notify_all();
    };
    return cb;
  }

  template <typename Pred>
  bool WaitFor(Pred pred, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, timeout, [&] { return pred(); });
  }
  bool WaitForRevision(int64_t rev, std::chrono::milliseconds timeout = 10s) {
    return WaitFor([&] { return !revisions.empty() && revisions.back().first >= rev; }, timeout);
  }
};

int64_t CurrentRevision(Client& client) {
  auto r = client.Range("/t/revision-probe", "");
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? r->revision : 0;
}

TEST(WatcherTest, OneCallPerRevisionInOrder) {
  auto client = MakeClient();
  const std::string p = TestPrefix();
  const int64_t start = CurrentRevision(*client) + 1;
  Recorder rec;
  Watcher watcher(*client, p, PrefixEnd(p), start, rec.Callbacks());

  auto r1 = client->Put(p + "a", "1");
  ASSERT_TRUE(r1.ok());
  TxnRequest txn;
  txn.success = {Op::Put(p + "x", "1"), Op::Put(p + "y", "2"), Op::Put(p + "z", "3")};
  auto r2 = client->Txn(txn);
  ASSERT_TRUE(r2.ok());
  ASSERT_TRUE(client->Put("/t/outside-the-range", "ignored").ok());
  auto r3 = client->Delete(p + "a");
  ASSERT_TRUE(r3.ok());
  const int64_t last = CurrentRevision(*client);

  ASSERT_TRUE(rec.WaitForRevision(last));
  std::lock_guard<std::mutex> lock(rec.mu);
  ASSERT_EQ(rec.revisions.size(), 3u);
  EXPECT_EQ(rec.revisions[0].first, *r1);
  ASSERT_EQ(rec.revisions[0].second.size(), 1u);
  EXPECT_EQ(rec.revisions[0].second[0].kv.value, "1");
  EXPECT_EQ(rec.revisions[1].first, r2->revision);
  ASSERT_EQ(rec.revisions[1].second.size(), 3u);  // the whole Txn in one call
  EXPECT_EQ(rec.revisions[1].second[0].kv.key, p + "x");
  EXPECT_EQ(rec.revisions[1].second[2].kv.key, p + "z");
  ASSERT_EQ(rec.revisions[2].second.size(), 1u);
  EXPECT_EQ(rec.revisions[2].second[0].type, WatchEvent::Type::kDelete);
  EXPECT_EQ(rec.revisions[2].second[0].kv.key, p + "a");
  EXPECT_EQ(rec.revisions[2].first, last);  // the delete was the last write
}

TEST(WatcherTest, ProgressNotifications) {
  auto client = MakeClient();
  const std::string p = TestPrefix();
  Recorder rec;
  Watcher watcher(*client, p, PrefixEnd(p), 0, rec.Callbacks());
  ASSERT_TRUE(client->Put("/t/elsewhere", "v").ok());  // bumps the store, not our range
  const int64_t now = CurrentRevision(*client);
  // The harness sets --experimental-watch-progress-notify-interval=200ms.
  ASSERT_TRUE(rec.WaitFor([&] { return rec.last_progress >= now; }, 10s));
  EXPECT_GE(watcher.last_revision(), now);
  EXPECT_TRUE(watcher.connected());
}

TEST(WatcherTest, ResumesAcrossEtcdKillWithoutLossOrDuplicates) {
  auto client = MakeClient(1000ms);
  const std::string p = TestPrefix();
  const int64_t start = CurrentRevision(*client) + 1;
  Recorder rec;
  auto watcher = std::make_unique<Watcher>(*client, p, PrefixEnd(p), start, rec.Callbacks());

  std::mutex acked_mu;
  std::map<int64_t, std::string> acked;  // revision -> key of each acknowledged Put
  std::atomic<bool> stop{false};
  std::atomic<int> after_restart{0};
  std::atomic<bool> restarted{false};
  std::thread writer([&] {
    auto wclient = MakeClient(500ms);
    for (int i = 0; !stop.load(); ++i) {
      const std::string key = p + std::to_string(i);
      auto rev = wclient->Put(key, "v");
      if (rev.ok()) {
        std::lock_guard<std::mutex> lock(acked_mu);
        acked[*rev] = key;
        if (restarted.load()) after_restart.fetch_add(1);
      }
      std::this_thread::sleep_for(2ms);
    }
  });

  std::this_thread::sleep_for(500ms);
  Etcd().Kill();
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(Etcd().Start());
  restarted.store(true);
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (after_restart.load() < 100 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  stop.store(true);
  writer.join();
  ASSERT_GE(after_restart.load(), 100);
  const int64_t last_acked = acked.rbegin()->first;
  ASSERT_TRUE(rec.WaitForRevision(last_acked, 20s));
  watcher->Stop();
  EXPECT_GE(watcher->reconnects(), 1);

  std::vector<std::pair<int64_t, std::string>> seen;
  {
    std::lock_guard<std::mutex> lock(rec.mu);
    EXPECT_FALSE(rec.errors.empty());  // the outage was reported
    for (const auto& [rev, events] : rec.revisions) {
      ASSERT_EQ(events.size(), 1u) << rev;
      EXPECT_EQ(events[0].kv.mod_revision, rev);
      seen.emplace_back(rev, events[0].kv.key);
    }
  }
  for (size_t i = 1; i < seen.size(); ++i) {
    ASSERT_LT(seen[i - 1].first, seen[i].first) << "duplicate or out of order at " << i;
  }
  std::map<int64_t, std::string> seen_map(seen.begin(), seen.end());
  for (const auto& [rev, key] : acked) {
    auto it = seen_map.find(rev);
    ASSERT_NE(it, seen_map.end()) << "acknowledged revision " << rev << " was not delivered";
    EXPECT_EQ(it->second, key);
  }

  // A fresh watch replaying the same history sees exactly the same revisions.
  Recorder replay;
  Watcher check(*client, p, PrefixEnd(p), start, replay.Callbacks());
  ASSERT_TRUE(replay.WaitForRevision(seen.back().first, 20s));
  check.Stop();
  std::lock_guard<std::mutex> lock(replay.mu);
  ASSERT_EQ(replay.revisions.size(), seen.size());
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(replay.revisions[i].first, seen[i].first);
  }
}

TEST(WatcherTest, StartBelowCompactionReportsCompacted) {
  auto client = MakeClient();
  const std::string p = TestPrefix();
  auto r1 = client->Put(p + "a", "1");
  ASSERT_TRUE(r1.ok());
  ASSERT_TRUE(client->Put(p + "a", "2").ok());
  auto r3 = client->Put(p + "a", "3");
  ASSERT_TRUE(r3.ok());
  ASSERT_TRUE(client->Compact(*r3, true).ok());

  Recorder rec;
  Watcher watcher(*client, p, PrefixEnd(p), *r1, rec.Callbacks());
  ASSERT_TRUE(rec.WaitFor([&] { return rec.compacted != 0; }));
  EXPECT_EQ(rec.compacted, *r3);
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(watcher.connected());  // the watcher stopped for good
  EXPECT_EQ(watcher.reconnects(), 0);
  std::lock_guard<std::mutex> lock(rec.mu);
  EXPECT_TRUE(rec.revisions.empty());
}

TEST(WatcherTest, StopsPromptlyWhenEtcdIsUnreachable) {
  test::EtcdProcess nobody;
  ClientOptions options;
  options.endpoints = {nobody.endpoint()};
  Client client(options);
  Recorder rec;
  {
    Watcher watcher(client, "a", "b", 0, rec.Callbacks());
    ASSERT_TRUE(rec.WaitFor([&] { return rec.errors.size() >= 2; }));
    EXPECT_FALSE(watcher.connected());
  }  // must not hang
  std::lock_guard<std::mutex> lock(rec.mu);
  EXPECT_EQ(rec.errors[0].code(), absl::StatusCode::kUnavailable) << rec.errors[0];
}

}  // namespace
}  // namespace petacore::etcdlink
