// mvcc/process_memory.h — this process's memory as the system sees it (resident set size),
// the counterpart of the store's accounted bytes (Store::stats), and glibc's trim that gives
// free heap pages back (issue 21). One place for INFO memory, MEMORY STATS / PURGE and the
// periodic trim (server/allocator_trim.h).
#pragma once

#include <cstdint>

namespace petacore::mvcc {

/// Resident bytes of this process (/proc/self/statm's second field times the page size);
/// 0 when unreadable. Thread-safe.
int64_t ResidentBytes();

/// Totals of every TrimAllocator call in this process.
struct TrimStats {
  int64_t trims = 0;           ///< calls
  int64_t released_bytes = 0;  ///< sum of (RSS before - RSS after) where positive; bytes
  int64_t last_us = 0;         ///< duration of the last trim, µs
  int64_t max_us = 0;          ///< duration of the longest trim, µs
};

/// glibc's malloc_trim(0): madvise(MADV_DONTNEED)s the whole free pages of every arena. Holds
/// each arena's lock while it walks that arena (allocations from it wait). Counts into
/// TrimStats. Thread-safe. Under AddressSanitizer glibc's allocator is not in use and this
/// returns nothing.
void TrimAllocator();

/// The totals so far. Thread-safe.
TrimStats AllocatorTrimStats();

}  // namespace petacore::mvcc
