// mvcc/access_record.h — the access record every index node carries: when this node last
// read or wrote the key, and Redis's LFU counter (Redis keeps both in an object's 24-bit `lru`
// field, one or the other by maxmemory-policy; here they sit side by side in one 64-bit word).
//
// mvcc only stores the word (Node::access, relaxed atomics: readers update it concurrently
// without any lock, and a lost update between two racing readers only loses one access, as
// Redis's approximated LRU/LFU tolerate) and resets it when a key is (re)created by Apply.
// What an access does to it (Redis's updateLFU / LRU_CLOCK) is keyspace/access.h's.
// The record is per node and per process: nothing of it is replicated.
#pragma once

#include <cstdint>

namespace petacore::mvcc {

/// One key's access record, unpacked. Layout of the word: bits 0..31 last_access_s, 32..47
/// lfu_minutes, 48..55 lfu_counter, 56..63 last_access_frac.
struct AccessRecord {
  /// Redis's LFU_INIT_VAL: the counter of a new key, so it is not evicted at once.
  static constexpr uint8_t kLfuInitVal = 5;

  uint32_t last_access_s = 0;  ///< Unix seconds of the last access (Redis's LRU clock)
  uint16_t lfu_minutes = 0;    ///< Redis's LFU "ldt": Unix minutes & 0xffff at the last access
  uint8_t lfu_counter = 0;     ///< Redis's 8-bit logarithmic access counter
  /// The last access's fraction of its second, in 1/256 s (about 4 ms). Not Redis's: its LRU
  /// clock stops at the second, so under a write load of thousands of keys a second most
  /// eviction candidates tie with the hot keys; eviction ranks by this finer time
  /// (keyspace::RankIdleMs), OBJECT IDLETIME keeps Redis's seconds.
  uint8_t last_access_frac = 0;

  uint64_t Pack() const {
    return uint64_t{last_access_s} | (uint64_t{lfu_minutes} << 32) |
           (uint64_t{lfu_counter} << 48) | (uint64_t{last_access_frac} << 56);
  }
  static AccessRecord Unpack(uint64_t w) {
    return {static_cast<uint32_t>(w), static_cast<uint16_t>(w >> 32),
            static_cast<uint8_t>(w >> 48), static_cast<uint8_t>(w >> 56)};
  }
  /// The 1/256 s fraction of the second of `now_ms` (Unix ms).
  static uint8_t FracOf(int64_t now_ms) {
    return static_cast<uint8_t>(((now_ms % 1000) * 256) / 1000);
  }
  /// The record of a key created at `now_ms` (Unix ms), as Redis's createObject: accessed
  /// now, LFU counter kLfuInitVal.
  static AccessRecord Fresh(int64_t now_ms) {
    return {static_cast<uint32_t>(now_ms / 1000),
            static_cast<uint16_t>((now_ms / 60000) & 0xffff), kLfuInitVal, FracOf(now_ms)};
  }
};

}  // namespace petacore::mvcc
