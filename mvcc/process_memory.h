// mvcc/process_memory.h — this process's memory as the system and the allocator see it: the
// resident set size (RSS), the allocator's own figures, and the purge that gives free pages
// back (issue 21). The counterpart of the store's accounted bytes (Store::stats); one place
// for INFO memory, MEMORY STATS / PURGE / MALLOC-STATS and the periodic purge
// (server/allocator_trim.h).
//
// The allocator is jemalloc when the build links it (PETACORE_JEMALLOC, the default outside
// sanitizer and fuzzing builds), as Redis: its decay-based purging, on background threads,
// returns freed pages to the system by itself within about ten seconds. Otherwise glibc's
// malloc, whose per-thread arenas return pages only from their top unless malloc_trim walks
// them.
#pragma once

#include <cstdint>
#include <string>

namespace petacore::mvcc {

/// Starts the allocator's background purging (jemalloc's background_thread, as Redis's
/// jemalloc-bg-thread yes), so free pages go back to the system while the process is idle
/// too; a no-op without jemalloc. Call once at start-up, before other threads allocate much.
void StartAllocatorBackgroundPurge();

/// Resident bytes of this process (/proc/self/statm's second field times the page size);
/// 0 when unreadable. Thread-safe.
int64_t ResidentBytes();

/// The allocator's name as INFO mem_allocator gives it: "jemalloc-5.3.0" or "libc".
std::string AllocatorName();

/// The allocator's byte counts (INFO allocator_allocated / allocator_active). jemalloc:
/// stats.allocated and stats.active; glibc: mallinfo2's uordblks + hblkhd and arena + hblkhd.
struct AllocatorBytes {
  int64_t allocated = 0;  ///< bytes in live allocations
  int64_t active = 0;     ///< bytes in pages the allocator holds for them
};
/// Thread-safe (jemalloc: refreshes its statistics epoch first).
AllocatorBytes AllocatorStats();

/// The allocator's statistics as text (MEMORY MALLOC-STATS): jemalloc's malloc_stats_print,
/// or glibc's malloc_info XML.
std::string AllocatorStatsText();

/// Totals of every TrimAllocator call in this process.
struct TrimStats {
  int64_t trims = 0;           ///< calls
  int64_t released_bytes = 0;  ///< sum of (RSS before - RSS after) where positive; bytes
  int64_t last_us = 0;         ///< duration of the last trim, µs
  int64_t max_us = 0;          ///< duration of the longest trim, µs
};

/// Gives the allocator's free pages back to the system now: jemalloc purges every arena
/// (arena.<all>.purge); glibc's malloc_trim(0) madvise(MADV_DONTNEED)s the whole free pages
/// of every arena, holding each arena's lock while it walks it. Counts into TrimStats.
/// Thread-safe. Under AddressSanitizer neither allocator is in use and it returns nothing.
void TrimAllocator();

/// The totals so far. Thread-safe.
TrimStats AllocatorTrimStats();

}  // namespace petacore::mvcc
