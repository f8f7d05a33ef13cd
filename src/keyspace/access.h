// src/keyspace/access.h — key access data: what a read or write of a key does to its access
// record (mvcc/access_record.h), as Redis's lookupKey (an LRU clock, or under an LFU
// maxmemory-policy updateLFU's logarithmic counter with decay), and how OBJECT IDLETIME/FREQ
// and eviction (issue 17) read it.
//
// Per node: the record lives on this process's MVCC index node of the key's meta key; reads
// on another node, and writes committed there, do not change it (docs/consistency.md, "Key
// access data"). The read path takes no lock: an access is one relaxed load of the word and,
// only when the record changes (a new 1/256 s under LRU, a counter step or a new minute under
// LFU), one relaxed store.
//
// Issue 17 (eviction) samples with ReadAccess / ScanAccess and ranks with IdleMs /
// LfuCounter; the settings follow maxmemory-policy, lfu-log-factor and lfu-decay-time.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "mvcc/access_record.h"
#include "mvcc/store.h"

namespace petacore::keyspace {

/// What an access updates, from the config (thread-safe to change at any time).
struct AccessSettings {
  /// An LFU maxmemory-policy (allkeys-lfu, volatile-lfu) is in force: accesses update the LFU
  /// counter, not the last-access time (Redis's MAXMEMORY_FLAG_LFU).
  bool lfu = false;
  int lfu_log_factor = 10;  ///< Redis's lfu-log-factor
  int lfu_decay_time = 1;   ///< Redis's lfu-decay-time, minutes (0: no decay)
};

/// Sets the settings every later access uses (CONFIG SET of the three options). Thread-safe.
void SetAccessSettings(const AccessSettings& s);
/// The settings in force. Thread-safe.
AccessSettings GetAccessSettings();

/// Records an access at `now_ms` (Unix ms) to the record word `cell`: under LRU its
/// last-access time (second and 1/256 s fraction) becomes now; under LFU Redis's updateLFU
/// (decay by the minutes elapsed / lfu-decay-time, then LFULogIncr with lfu-log-factor, the
/// minute stamp set to now). Stores only when the word changes. Thread-safe, lock-free.
void TouchAccess(std::atomic<uint64_t>* cell, int64_t now_ms);

/// Milliseconds since the last access (Redis's estimateObjectIdleTime at 1 s resolution);
/// 0 for a record from the future.
int64_t IdleMs(const mvcc::AccessRecord& r, int64_t now_ms);
/// Milliseconds since the last access at the record's 1/256 s resolution (not Redis's: see
/// AccessRecord::last_access_frac); eviction ranks by it so that keys read a few ms ago
/// outrank keys written earlier in the same second. 0 for a record from the future.
int64_t RankIdleMs(const mvcc::AccessRecord& r, int64_t now_ms);
/// The LFU counter decayed to `now_ms` without changing the record (Redis's
/// LFUDecrAndReturn), with the current lfu-decay-time.
uint8_t LfuCounter(const mvcc::AccessRecord& r, int64_t now_ms);

/// The access record of the key whose meta key is `meta_key` in `snapshot`, without counting
/// as an access; nullopt when the key is not live there.
std::optional<mvcc::AccessRecord> ReadAccess(const mvcc::Snapshot& snapshot,
                                             std::string_view meta_key);

/// Sets the access record of the key at `meta_key`, live in `snapshot`, as Redis's
/// objectSetLRUOrLFU for RESTORE / MIGRATE: under an LFU policy `lfu_freq` (0..255) becomes
/// its counter, else `lru_idle_s` (seconds) its idle time; a value of -1 leaves the record as
/// it is. Returns whether the key was found. Thread-safe (relaxed store).
bool SetAccess(const mvcc::Snapshot& snapshot, std::string_view meta_key, int64_t lru_idle_s,
               int64_t lfu_freq, int64_t now_ms);

/// Visits the keys (meta keys only, subkeys skipped) live in `snapshot` in [start, end) in
/// byte order, each with its record, until fn returns false or `limit` keys (0 = no limit)
/// were visited; returns how many were. A key's subkeys are skipped by a seek, so a large
/// collection costs O(log n), not its size. For eviction's sampling: start from a random
/// key of a database's range (keyspace::DbStart/DbEnd) and take a few.
size_t ScanAccess(
    const mvcc::Snapshot& snapshot, std::string_view start, std::string_view end, size_t limit,
    const std::function<bool(std::string_view meta_key, const mvcc::AccessRecord&)>& fn);

}  // namespace petacore::keyspace
