// src/keyspace/access.cc — key access data (access.h): Redis 7.0's LRU clock and LFU counter
// (evict.c: updateLFU, LFUDecrAndReturn, LFULogIncr, LFUTimeElapsed), over the per-node
// record word of mvcc/access_record.h.
#include "keyspace/access.h"

#include <string>

#include "keyspace/encoding.h"

namespace petacore::keyspace {

namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

// The settings, one atomic each (read on every access under LFU; no lock).
std::atomic<bool> g_lfu{false};
std::atomic<int> g_log_factor{10};
std::atomic<int> g_decay_time{1};

uint16_t MinutesClock(int64_t now_ms) { return static_cast<uint16_t>((now_ms / 60000) & 0xffff); }

// Redis's LFUTimeElapsed: minutes since `ldt` on the 16-bit clock, wrapping once.
uint32_t MinutesElapsed(uint16_t ldt, int64_t now_ms) {
  uint16_t now = MinutesClock(now_ms);
  if (now >= ldt) return now - ldt;
  return 65535 - ldt + now;
}

uint8_t Decayed(const mvcc::AccessRecord& r, int64_t now_ms, int decay_time) {
  uint32_t periods = decay_time > 0 ? MinutesElapsed(r.lfu_minutes, now_ms) / decay_time : 0;
  if (periods == 0) return r.lfu_counter;
  return periods > r.lfu_counter ? 0 : static_cast<uint8_t>(r.lfu_counter - periods);
}

// A uniform double in [0, 1] per thread (Redis uses rand()/RAND_MAX), xorshift64*.
double Random01() {
  thread_local uint64_t s = 0x9E3779B97F4A7C15ull ^ reinterpret_cast<uintptr_t>(&s);
  s ^= s >> 12;
  s ^= s << 25;
  s ^= s >> 27;
  return static_cast<double>((s * 2685821657736338717ull) >> 11) / 9007199254740991.0;
}

// Redis's LFULogIncr: the counter grows with probability 1 / ((counter - 5) * factor + 1).
uint8_t LogIncr(uint8_t counter, int log_factor) {
  if (counter == 255) return 255;
  double base = counter - mvcc::AccessRecord::kLfuInitVal;
  if (base < 0) base = 0;
  double p = 1.0 / (base * log_factor + 1);
  return Random01() < p ? counter + 1 : counter;
}

bool IsMetaKey(std::string_view key) { return MetaKeyOf(key).size() == key.size(); }

}  // namespace

void SetAccessSettings(const AccessSettings& s) {
  g_log_factor.store(s.lfu_log_factor, kRelaxed);
  g_decay_time.store(s.lfu_decay_time, kRelaxed);
  g_lfu.store(s.lfu, kRelaxed);
}

AccessSettings GetAccessSettings() {
  return {g_lfu.load(kRelaxed), g_log_factor.load(kRelaxed), g_decay_time.load(kRelaxed)};
}

void TouchAccess(std::atomic<uint64_t>* cell, int64_t now_ms) {
  uint64_t old = cell->load(kRelaxed);
  mvcc::AccessRecord r = mvcc::AccessRecord::Unpack(old);
  if (g_lfu.load(kRelaxed)) {
    uint8_t counter = Decayed(r, now_ms, g_decay_time.load(kRelaxed));
    r.lfu_counter = LogIncr(counter, g_log_factor.load(kRelaxed));
    r.lfu_minutes = MinutesClock(now_ms);
  } else {
    r.last_access_s = static_cast<uint32_t>(now_ms / 1000);
    r.last_access_frac = mvcc::AccessRecord::FracOf(now_ms);
  }
  uint64_t w = r.Pack();
  if (w != old) cell->store(w, kRelaxed);
}

int64_t IdleMs(const mvcc::AccessRecord& r, int64_t now_ms) {
  int64_t idle = now_ms / 1000 - static_cast<int64_t>(r.last_access_s);
  return idle > 0 ? idle * 1000 : 0;
}

int64_t RankIdleMs(const mvcc::AccessRecord& r, int64_t now_ms) {
  const int64_t at = int64_t{r.last_access_s} * 1000 + (int64_t{r.last_access_frac} * 1000) / 256;
  return now_ms > at ? now_ms - at : 0;
}

uint8_t LfuCounter(const mvcc::AccessRecord& r, int64_t now_ms) {
  return Decayed(r, now_ms, g_decay_time.load(kRelaxed));
}

std::optional<mvcc::AccessRecord> ReadAccess(const mvcc::Snapshot& snapshot,
                                             std::string_view meta_key) {
  auto kv = snapshot.Get(meta_key);
  if (!kv || kv->access == nullptr) return std::nullopt;
  return mvcc::AccessRecord::Unpack(kv->access->load(kRelaxed));
}

bool SetAccess(const mvcc::Snapshot& snapshot, std::string_view meta_key, int64_t lru_idle_s,
               int64_t lfu_freq, int64_t now_ms) {
  auto kv = snapshot.Get(meta_key);
  if (!kv || kv->access == nullptr) return false;
  auto r = mvcc::AccessRecord::Unpack(kv->access->load(kRelaxed));
  if (GetAccessSettings().lfu) {
    if (lfu_freq < 0) return true;
    r.lfu_counter = static_cast<uint8_t>(lfu_freq);
    r.lfu_minutes = static_cast<uint16_t>((now_ms / 60000) & 0xffff);
  } else {
    if (lru_idle_s < 0) return true;
    const int64_t at = now_ms / 1000 - lru_idle_s;
    r.last_access_s = static_cast<uint32_t>(at > 0 ? at : 0);
    r.last_access_frac = 0;
  }
  kv->access->store(r.Pack(), kRelaxed);
  return true;
}

size_t ScanAccess(
    const mvcc::Snapshot& snapshot, std::string_view start, std::string_view end, size_t limit,
    const std::function<bool(std::string_view meta_key, const mvcc::AccessRecord&)>& fn) {
  size_t visited = 0;
  std::string from(start);
  bool go_on = true;
  while (go_on && (limit == 0 || visited < limit)) {
    std::string next;
    bool found = false;
    // One key per Range call: visit it if it is a meta key, then seek past its range.
    snapshot.Range(from, end, 1, [&](const mvcc::KeyValue& kv) {
      found = true;
      std::string_view meta = MetaKeyOf(kv.key);
      if (IsMetaKey(kv.key) && kv.access != nullptr) {
        ++visited;
        go_on = fn(kv.key, mvcc::AccessRecord::Unpack(kv.access->load(kRelaxed)));
      }
      next = meta.empty() ? std::string(kv.key) + '\0' : KeyEnd(meta);
      return false;
    });
    if (!found) break;
    from = std::move(next);
  }
  return visited;
}

}  // namespace petacore::keyspace
