// src/expiry/evictor.cc — maxmemory eviction (evictor.h): Redis 7.0's evict.c ideas (the
// eviction pool, per-policy scores, the tenacity time limit) over the MVCC store, with
// compare-guarded deletes through the Committer.
#include "expiry/evictor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "keyspace/access.h"
#include "keyspace/encoding.h"
#include "keyspace/incarnation.h"
#include "keyspace/messages.h"
#include "replication/range_tombstone.h"

namespace petacore::expiry {

using replication::CommitRequest;
using replication::CommitResult;
using replication::WriteOp;

namespace {

constexpr size_t kPoolSize = 16;  // Redis's EVPOOL_SIZE
constexpr size_t kCursors = 16;   // allkeys-* sweep positions
// Estimated bytes of one version (mvcc/node.h Version header + allocator rounding) and of
// one index node apart from its key (node, tower, hash slot): what a deleted key leaves.
constexpr int64_t kVersionOverhead = 48;
constexpr int64_t kNodeOverhead = 56;

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

}  // namespace

int64_t EvictionTimeLimitUs(int tenacity) {
  if (tenacity <= 10) return 50 * static_cast<int64_t>(std::max(tenacity, 0));
  if (tenacity < 100) return static_cast<int64_t>(500.0 * std::pow(1.15, tenacity - 10.0));
  return -1;
}

Evictor::Evictor(const mvcc::Store& store, Index& index, replication::Committer& committer,
                 std::function<bool()> active, std::function<EvictionSettings()> settings,
                 EvictorOptions options)
    : store_(store),
      index_(index),
      committer_(committer),
      active_(std::move(active)),
      settings_(std::move(settings)),
      options_(options) {}

Evictor::~Evictor() { Stop(); }

void Evictor::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Evictor::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return in_flight_ == 0; });
}

void Evictor::Run() {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    bool again = Cycle();
    std::unique_lock lock(mu_);
    // Still over the limit: go on almost at once (Redis re-runs from its event loop), else
    // check again after the interval.
    if (again) {
      // Only yield: a busy writer would otherwise outrun eviction.
      lock.unlock();
      std::this_thread::yield();
      continue;
    }
    cv_.wait_for(lock, options_.interval, [&] { return stopping_; });
  }
}

int64_t Evictor::PendingReleaseBytes() const {
  const int64_t compacted = store_.compacted_revision();
  std::lock_guard lock(mu_);
  auto& q = const_cast<std::deque<std::pair<int64_t, int64_t>>&>(released_);
  auto& sum = const_cast<int64_t&>(released_bytes_);
  while (!q.empty() && q.front().first <= compacted) {
    sum -= q.front().second;
    q.pop_front();
  }
  return sum;
}

int64_t Evictor::NotCountedBytes() const {
  const mvcc::Stats st = store_.stats();
  const int64_t dead_nodes =
      st.index_keys > st.live_keys ? static_cast<int64_t>(st.index_keys - st.live_keys) : 0;
  const int64_t not_counted =
      PendingReleaseBytes() +
      dead_nodes * (kNodeOverhead + avg_key_bytes_.load(std::memory_order_relaxed));
  return std::min<int64_t>(not_counted, static_cast<int64_t>(st.bytes));
}

void Evictor::Consider(Candidate c) {
  for (const auto& p : pool_) {
    if (p.meta_key == c.meta_key) return;
  }
  if (pool_.size() >= kPoolSize && c.score <= pool_.front().score) return;
  auto at = std::upper_bound(pool_.begin(), pool_.end(), c.score,
                             [](uint64_t s, const Candidate& p) { return s < p.score; });
  pool_.insert(at, std::move(c));
  if (pool_.size() > kPoolSize) pool_.erase(pool_.begin());
}

bool Evictor::Sample(const mvcc::Snapshot& snap, const EvictionSettings& s) {
  const bool volatile_only = StartsWith(s.policy, "volatile-");
  const bool lfu = s.policy.ends_with("-lfu");
  const bool ttl = s.policy == "volatile-ttl";
  const int64_t now = keyspace::NowMs();
  const size_t n = static_cast<size_t>(std::max(1, s.samples));
  size_t found = 0;
  auto score = [&](std::string_view meta, const mvcc::KeyValue& kv, int64_t expire_at) {
    Candidate c{0, std::string(meta), kv.mod_revision};
    if (ttl) {
      c.score = UINT64_MAX - static_cast<uint64_t>(expire_at);
    } else if (kv.access != nullptr) {
      auto rec = mvcc::AccessRecord::Unpack(kv.access->load(std::memory_order_relaxed));
      RemoteAccess remote = remote_ ? remote_(meta) : RemoteAccess{};
      if (lfu) {
        int counter = keyspace::LfuCounter(rec, now);
        counter = std::max(counter, remote.lfu_counter);
        c.score = 255 - static_cast<uint64_t>(std::min(counter, 255));
      } else {
        int64_t idle = keyspace::RankIdleMs(rec, now);
        if (remote.idle_ms >= 0) idle = std::min(idle, remote.idle_ms);
        c.score = static_cast<uint64_t>(idle);
      }
    }
    ++found;
    Consider(std::move(c));
  };
  if (volatile_only) {
    for (const auto& k : index_.Sample(n, rng_())) {
      auto kv = snap.Get(k.meta_key);
      if (!kv || kv->mod_revision != k.mod_revision) continue;  // index ahead or behind
      score(k.meta_key, *kv, k.expire_at_ms);
    }
    return found > 0;
  }
  // allkeys-*: the next key after one of kCursors cursors, each sample from a random cursor.
  // Not random seeks: the store keeps the index nodes of deleted keys, and a seek into a
  // region the evictor emptied would walk all of them; a sweep walks each once per pass.
  // Cursor i sweeps only its own region (starts_[i] up to starts_[i + 1]) and wraps within
  // it, so the cursors stay spread evenly over the keys: samples mix regions the way Redis's
  // random sampling does, and a hot set of adjacent keys never fills the pool alone (free
  // sweeping cursors drift together and then sample one region only). The regions are
  // redrawn (one walk of the key space) after kCursors wraps, as keys come and go.
  if (cursors_.empty() || wraps_ >= kCursors) {
    std::vector<std::string> metas;
    snap.Range(keyspace::DbStart(0), keyspace::DbEnd(keyspace::kNumDatabases - 1), 0,
               [&](const mvcc::KeyValue& kv) {
                 if (keyspace::MetaKeyOf(kv.key).size() == kv.key.size()) {
                   metas.emplace_back(kv.key);
                 }
                 return true;
               });
    cursors_.clear();
    starts_.clear();
    wraps_ = 0;
    for (size_t i = 0; i < kCursors; ++i) {
      starts_.push_back(i == 0 || metas.empty() ? std::string()
                                                : metas[i * metas.size() / kCursors]);
    }
    cursors_ = starts_;
  }
  const std::string all_end = keyspace::DbEnd(keyspace::kNumDatabases - 1);
  size_t sampled = 0;
  for (int hops = 0; sampled < n && hops <= 2 * keyspace::kNumDatabases;) {
    const size_t i = rng_() % cursors_.size();
    std::string& cursor = cursors_[i];
    const std::string& bound = i + 1 < starts_.size() ? starts_[i + 1] : all_end;
    const int db = static_cast<unsigned char>(cursor.empty() ? 0 : cursor[0]);
    std::string end = keyspace::DbEnd(db);
    if (!bound.empty() && bound < end) end = bound;
    std::string last_meta;
    snap.Range(cursor.empty() ? keyspace::DbStart(0) : cursor, end, 0,
               [&](const mvcc::KeyValue& kv) {
                 std::string_view meta = keyspace::MetaKeyOf(kv.key);
                 if (meta.empty()) return true;  // not PetaCore's bytes
                 last_meta = std::string(meta);
                 if (meta.size() != kv.key.size()) return false;  // a subkey: resume past it
                 ++sampled;
                 if (s.policy == "allkeys-random") {
                   ++found;
                   Consider({rng_(), last_meta, kv.mod_revision});
                 } else {
                   score(meta, kv, 0);
                 }
                 return false;  // one key per Range: resume past its subkeys
               });
    if (!last_meta.empty()) {
      cursor = keyspace::KeyEnd(last_meta);
      continue;
    }
    ++hops;
    if (end == bound || db + 1 >= keyspace::kNumDatabases) {
      cursor = starts_[i];  // the region is done: wrap within it
      ++wraps_;
    } else {
      cursor = keyspace::DbStart(db + 1);  // this database is done: on to the next one
    }
  }
  return found > 0;
}

size_t Evictor::EstimateBytes(const mvcc::Snapshot& snap, const mvcc::KeyValue& meta) const {
  int64_t bytes = kVersionOverhead + static_cast<int64_t>(meta.value.size());
  // A collection's elements: summed up to a bound, the rest counted at the average seen.
  constexpr size_t kMaxWalk = 256;
  std::string from(meta.key);
  from.push_back('\0');  // past the meta key itself
  std::string end = keyspace::KeyEnd(meta.key);
  if (auto v = keyspace::DecodeValue(meta.value); v && !v->incarnation.empty()) {
    from = keyspace::IncarnationBase(v->incarnation);  // its elements (incarnation.h)
    end = keyspace::ElementsEnd(from);
  }
  int64_t walked_bytes = 0;
  size_t walked = snap.Range(from, end, kMaxWalk, [&](const mvcc::KeyValue& kv) {
    walked_bytes += kVersionOverhead + static_cast<int64_t>(kv.value.size());
    return true;
  });
  bytes += walked_bytes;
  if (walked == kMaxWalk) {
    size_t total = snap.Count(from, end);
    bytes += static_cast<int64_t>(total - walked) * (walked_bytes / static_cast<int64_t>(walked));
  }
  return static_cast<size_t>(bytes);
}

void Evictor::Submit(Candidate c, WriteOp deletion, size_t bytes, int notify_flags) {
  CommitRequest req;
  req.compares.push_back({c.meta_key, c.mod_revision});
  req.writes.push_back(std::move(deletion));
  if (notify_flags != 0) {
    if (auto decoded = keyspace::DecodeKey(c.meta_key)) {
      keyspace::AppendKeyspaceEvent(&req.messages, notify_flags, keyspace::notify::kEvicted,
                                    "evicted", decoded->db, decoded->user_key);
    }
  }
  const int64_t b = static_cast<int64_t>(bytes);
  const int64_t key_bytes = static_cast<int64_t>(c.meta_key.size());
  avg_key_bytes_.store((avg_key_bytes_.load(std::memory_order_relaxed) * 15 + key_bytes) / 16,
                       std::memory_order_relaxed);
  {
    std::lock_guard lock(mu_);
    ++in_flight_;
    in_flight_bytes_ += b;
    in_flight_keys_.insert(c.meta_key);
  }
  // LocalCommitter runs `done` before Commit returns: mu_ must not be held here.
  committer_.Commit(std::move(req), [this, key = c.meta_key, b](CommitResult r) {
    std::lock_guard lock(mu_);
    switch (r.status) {
      case CommitResult::Status::kCommitted:
        evicted_.fetch_add(1, std::memory_order_relaxed);
        evicted_bytes_.fetch_add(b, std::memory_order_relaxed);
        // The key's versions and the delete's tombstone wait for the store's compaction.
        released_.emplace_back(r.revision, b + kVersionOverhead);
        released_bytes_ += b + kVersionOverhead;
        break;
      case CommitResult::Status::kConflict:
      case CommitResult::Status::kGuardFailed:
        stale_.fetch_add(1, std::memory_order_relaxed);  // rewritten meanwhile: kept
        break;
      case CommitResult::Status::kError:
        if (errors_.fetch_add(1, std::memory_order_relaxed) % 1000 == 0) {
          spdlog::warn("eviction: delete failed: {}", r.error);
        }
        break;
    }
    --in_flight_;
    in_flight_bytes_ -= b;
    in_flight_keys_.erase(key);
    cv_.notify_all();
  });
}

bool Evictor::Cycle() {
  const EvictionSettings s = settings_();
  const int64_t now_ms = keyspace::NowMs();
  auto not_over = [&] {
    cannot_free_.store(false, std::memory_order_relaxed);
    int64_t since = over_since_ms_.exchange(0, std::memory_order_relaxed);
    if (since > 0) exceeded_total_ms_.fetch_add(now_ms - since, std::memory_order_relaxed);
    return false;
  };
  if (s.maxmemory == 0 || s.policy == "noeviction" || !active_()) {
    pool_.clear();
    return not_over();
  }
  const int64_t used = static_cast<int64_t>(store_.stats().bytes) - NotCountedBytes();
  const int64_t limit = static_cast<int64_t>(s.maxmemory);
  if (used <= limit) return not_over();
  int64_t zero = 0;
  over_since_ms_.compare_exchange_strong(zero, now_ms, std::memory_order_relaxed);
  int64_t pending;
  {
    std::lock_guard lock(mu_);
    pending = in_flight_bytes_;
  }
  const int64_t to_free = used - pending - limit;
  if (to_free <= 0) return true;  // the deletes in flight will do
  const int notify_flags = notify_flags_ ? notify_flags_() : 0;
  const int64_t time_limit_us = EvictionTimeLimitUs(s.tenacity);
  const auto start = std::chrono::steady_clock::now();
  int64_t freed = 0;
  size_t keys = 0;
  while (freed < to_free) {
    {
      // Room for one more delete (bounded wait: etcd calls have deadlines).
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(10),
                   [&] { return stopping_ || in_flight_ < options_.max_in_flight; });
      if (stopping_) return false;
      if (in_flight_ >= options_.max_in_flight) return true;
    }
    mvcc::Snapshot snap = store_.Read();
    std::optional<Candidate> best;
    std::optional<mvcc::KeyValue> kv;
    // Redis's loop: sample into the pool, then take its best key that still exists.
    bool any_sampled = false;
    for (int attempt = 0; attempt < 8 && !best; ++attempt) {
      bool sampled = Sample(snap, s);
      any_sampled = any_sampled || sampled;
      while (!pool_.empty()) {
        Candidate c = std::move(pool_.back());
        pool_.pop_back();
        {
          std::lock_guard lock(mu_);
          if (in_flight_keys_.count(c.meta_key)) continue;
        }
        kv = snap.Get(c.meta_key);
        if (!kv || kv->mod_revision != c.mod_revision) continue;  // gone or rewritten
        best = std::move(c);
        break;
      }
      if (!sampled) break;
    }
    if (!best && any_sampled) return true;  // only keys in flight or rewritten: try again
    if (!best) {
      // Nothing this policy may evict (volatile-* and no key with a TTL): writes get -OOM.
      cannot_free_.store(true, std::memory_order_relaxed);
      return false;
    }
    cannot_free_.store(false, std::memory_order_relaxed);
    size_t bytes = EstimateBytes(snap, *kv);
    // A big collection goes by a range tombstone (replication/range_tombstone.h).
    WriteOp deletion =
        replication::RangeDelete(snap, best->meta_key, keyspace::KeyEnd(best->meta_key));
    Submit(std::move(*best), std::move(deletion), bytes, notify_flags);
    freed += static_cast<int64_t>(bytes);
    // As Redis: the time limit is checked every 16 keys.
    if (++keys % 16 == 0 && time_limit_us >= 0) {
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - start)
                    .count();
      if (us > time_limit_us) return true;
    }
  }
  return true;
}

std::string Evictor::InfoLines(std::string_view section) const {
  std::string s;
  auto line = [&](std::string_view k, int64_t v) {
    s.append(k).append(":").append(std::to_string(v)).append("\r\n");
  };
  const int64_t since = over_since_ms_.load(std::memory_order_relaxed);
  const int64_t current = since > 0 ? keyspace::NowMs() - since : 0;
  if (section == "memory") {
    line("mem_not_counted_for_evict", NotCountedBytes());
  } else if (section == "stats") {
    line("evicted_keys", evicted_keys());
    line("total_eviction_exceeded_time",
         exceeded_total_ms_.load(std::memory_order_relaxed) + current);
    line("current_eviction_exceeded_time", current);
  } else if (section == "petacore") {
    line("eviction_stale_skips", stale_.load(std::memory_order_relaxed));
    line("eviction_errors", errors_.load(std::memory_order_relaxed));
    line("eviction_evicted_bytes_estimate", evicted_bytes_.load(std::memory_order_relaxed));
    line("eviction_cannot_free", cannot_free() ? 1 : 0);
    line("eviction_not_counted_bytes", NotCountedBytes());
  }
  return s;
}

}  // namespace petacore::expiry
