#include "replication/sync.h"

#include "replication/range_tombstone.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <unordered_set>

namespace petacore::replication {
namespace {
/// Keys per page of the initial load. etcd 3.4 walks the whole rest of the range on every
/// paged Range (it counts before it applies the limit), so small pages make a large load
/// quadratic; big pages keep the walks few (responses are unbounded on our channel).
constexpr int64_t kLoadPageKeys = 250000;
}  // namespace

Sync::Sync(etcdlink::Client& client, mvcc::Store& store, std::string prefix, int64_t history)
    : client_(client), store_(store), prefix_(std::move(prefix)), history_(history) {}

Sync::~Sync() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (reload_thread_.joinable()) reload_thread_.join();
  std::unique_ptr<etcdlink::Watcher> watcher;
  {
    std::lock_guard lock(mu_);
    watcher = std::move(watcher_);
  }
}

absl::StatusOr<int64_t> Sync::Load(bool reload) {
  std::vector<mvcc::Mutation> batch;
  std::unordered_set<std::string> seen;
  auto revision = client_.RangeAll(
      prefix_, etcdlink::PrefixEnd(prefix_), kLoadPageKeys, [&](std::vector<etcdlink::KeyValue>&& kvs) {
        for (auto& kv : kvs) {
          mvcc::Mutation m;
          m.key = kv.key.substr(prefix_.size());
          m.value = std::move(kv.value);
          m.mod_revision = kv.mod_revision;
          m.create_revision = kv.create_revision;
          m.version = kv.version;
          if (reload) seen.insert(m.key);
          batch.push_back(std::move(m));
        }
      });
  if (!revision.ok()) return revision.status();
  // Keys a range tombstone deleted may still be in etcd (expiry::TombstoneCleaner removes
  // them).
  if (DropTombstonedKeys(&batch) > 0 && reload) {
    seen.clear();
    for (const auto& m : batch) seen.insert(m.key);
  }
  int64_t keys = static_cast<int64_t>(batch.size());
  if (*revision <= store_.applied_revision()) return keys;  // nothing newer than what we hold
  if (reload) {
    // Switch to the fresh snapshot in one batch: keys gone from etcd become tombstones at the
    // snapshot revision (their exact delete revisions were compacted away), unchanged keys
    // are not rewritten.
    std::vector<mvcc::Mutation> diff;
    auto snap = store_.Read();
    snap.Range("", "", 0, [&](const mvcc::KeyValue& kv) {
      if (!seen.count(std::string(kv.key))) {
        diff.push_back({mvcc::Mutation::Kind::kDelete, std::string(kv.key), {}});
      }
      return true;
    });
    for (auto& m : batch) {
      auto cur = snap.Get(m.key);
      if (!cur || cur->mod_revision != m.mod_revision) diff.push_back(std::move(m));
    }
    batch = std::move(diff);
  }
  reloading_.store(reload, std::memory_order_release);
  store_.Apply(*revision, batch);
  reloading_.store(false, std::memory_order_release);
  etcd_revision_.store(std::max(etcd_revision_.load(), *revision));
  return keys;
}

absl::StatusOr<int64_t> Sync::Start() {
  auto keys = Load(false);
  if (!keys.ok()) return keys;
  StartWatch(store_.applied_revision() + 1);
  reload_thread_ = std::thread([this] { ReloadLoop(); });
  return keys;
}

void Sync::StartWatch(int64_t from_revision) {
  etcdlink::WatchCallbacks cb;
  cb.on_revision = [this](int64_t rev, std::vector<etcdlink::WatchEvent>&& events) {
    OnRevision(rev, std::move(events));
  };
  cb.on_progress = [this](int64_t rev) { OnProgress(rev); };
  cb.on_compacted = [this](int64_t compact_revision) {
    spdlog::warn("etcd compacted past this node (compact_revision {}, applied {}): reloading",
                 compact_revision, store_.applied_revision());
    last_compaction_seen_.store(compact_revision);
    std::lock_guard lock(mu_);
    reload_requested_ = true;
    cv_.notify_all();
  };
  cb.on_error = [this](const absl::Status& status) {
    watch_errors_.fetch_add(1);
    spdlog::warn("etcd watch: {} (resuming)", status.ToString());
  };
  auto watcher = std::make_unique<etcdlink::Watcher>(
      client_, prefix_, etcdlink::PrefixEnd(prefix_), from_revision, std::move(cb));
  std::lock_guard lock(mu_);
  watcher_ = std::move(watcher);
}

void Sync::OnRevision(int64_t revision, std::vector<etcdlink::WatchEvent>&& events) {
  if (revision <= store_.applied_revision()) return;  // already loaded
  std::vector<mvcc::Mutation> batch;
  batch.reserve(events.size());
  for (auto& e : events) {
    mvcc::Mutation m;
    m.key = e.kv.key.substr(prefix_.size());
    if (e.type == etcdlink::WatchEvent::Type::kPut) {
      m.kind = mvcc::Mutation::Kind::kPut;
      m.value = std::move(e.kv.value);
      m.create_revision = e.kv.create_revision;
      m.version = e.kv.version;
    } else {
      m.kind = mvcc::Mutation::Kind::kDelete;
    }
    m.mod_revision = revision;
    batch.push_back(std::move(m));
  }
  // A range tombstone (FLUSHDB, DEL of a big collection) deletes its range's keys here.
  if (HasRangeTombstone(batch)) ExpandRangeTombstones(store_.Read(), &batch);
  store_.Apply(revision, batch);
  etcd_revision_.store(std::max(etcd_revision_.load(), revision));
  MaybeCompact(revision);
}

void Sync::OnProgress(int64_t revision) {
  etcd_revision_.store(std::max(etcd_revision_.load(), revision));
  if (revision > store_.applied_revision()) store_.Apply(revision, {});
  // Also when idle: the last batch's old versions (or a finished script's) go within one
  // progress interval instead of waiting for the next write.
  MaybeCompact(store_.applied_revision());
}

void Sync::MaybeCompact(int64_t revision) {
  // Releases old versions as soon as no live snapshot needs them (issue 21): to
  // min(oldest live snapshot, revision - history_). Incremental (only keys changed since the
  // last compaction are visited), so it runs after applied batches; a snapshot that holds
  // the bound back makes it only free what other readers released.
  if (history_ < 0) return;  // a negative window disables local compaction
  // At most once a millisecond: a call costs a few µs (fences, a scan of the reader slots), so
  // tiny batches at a high rate would otherwise pay it each; memory waits 1 ms at most.
  auto start = std::chrono::steady_clock::now();
  if (start - last_compact_ < std::chrono::milliseconds(1)) return;
  last_compact_ = start;
  store_.CompactReleased(revision - history_);
  local_compaction_ns_.fetch_add(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                           start)
          .count(),
      std::memory_order_relaxed);
  local_compactions_.fetch_add(1, std::memory_order_relaxed);
}

void Sync::ReloadLoop() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return reload_requested_ || stopping_; });
      if (stopping_) return;
      reload_requested_ = false;
    }
    std::unique_ptr<etcdlink::Watcher> old;
    {
      std::lock_guard lock(mu_);
      old = std::move(watcher_);
    }
    old.reset();  // stop the old watch before this thread writes the store
    for (;;) {
      auto keys = Load(true);
      if (keys.ok()) break;
      spdlog::warn("reload from etcd failed: {} (retrying)", keys.status().ToString());
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return stopping_; })) return;
    }
    reloads_.fetch_add(1);
    spdlog::info("reloaded from etcd at revision {}", store_.applied_revision());
    StartWatch(store_.applied_revision() + 1);
  }
}

void Sync::ReconnectWatch() {
  std::lock_guard lock(mu_);
  if (!watcher_) return;
  watch_restarts_.fetch_add(1, std::memory_order_relaxed);
  watcher_->Reconnect();
}

std::string Sync::InfoLines() const {
  std::string s;
  auto line = [&](std::string_view k, const std::string& v) {
    s.append(k).append(":").append(v).append("\r\n");
  };
  std::string endpoints;
  for (const auto& e : client_.options().endpoints) {
    if (!endpoints.empty()) endpoints += ",";
    endpoints += e;
  }
  int64_t etcd_rev = etcd_revision_.load();
  int64_t applied = store_.applied_revision();
  line("etcd_endpoints", endpoints);
  line("etcd_prefix", prefix_);
  line("etcd_revision_seen", std::to_string(etcd_rev));
  line("watch_lag_revisions", std::to_string(etcd_rev > applied ? etcd_rev - applied : 0));
  {
    std::lock_guard lock(mu_);
    line("watch_connected", watcher_ && watcher_->connected() ? "1" : "0");
    line("watch_reconnects", std::to_string(watcher_ ? watcher_->reconnects() : 0));
    line("watch_restarts", std::to_string(watch_restarts_.load()));
  }
  line("watch_errors", std::to_string(watch_errors_.load()));
  line("etcd_compaction_reloads", std::to_string(reloads_.load()));
  line("etcd_compact_revision_seen", std::to_string(last_compaction_seen_.load()));
  // The local store's version release (issue 21): its compacted revision, the oldest revision
  // a live snapshot reads at, and the cost of compacting after every batch.
  line("mvcc_compacted_revision", std::to_string(store_.compacted_revision()));
  line("mvcc_oldest_snapshot_revision", std::to_string(store_.oldest_snapshot_revision()));
  int64_t compactions = local_compactions_.load(std::memory_order_relaxed);
  int64_t compaction_ns = local_compaction_ns_.load(std::memory_order_relaxed);
  line("mvcc_local_compactions", std::to_string(compactions));
  line("mvcc_local_compaction_usec", std::to_string(compaction_ns / 1000));
  line("mvcc_local_compaction_usec_per_call",
       std::to_string(compactions > 0 ? compaction_ns / 1000.0 / compactions : 0.0));
  return s;
}

}  // namespace petacore::replication
