// src/server/allocator_trim.h — an optional periodic purge of the allocator's free pages
// (issue 21). The default build links jemalloc, whose background threads already return freed
// pages within its decay time (mvcc/process_memory.h); this forces it at an interval, and is
// what makes RSS follow the data in a glibc build.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "expiry/periodic_task.h"

namespace petacore::server {

/// Calls mvcc::TrimAllocator() every `allocator-trim-interval-ms` (0 = never, the default):
/// jemalloc's arena.<all>.purge, or glibc's malloc_trim(0) in a build without jemalloc.
///
/// Why a glibc build needs it: glibc gives each thread that allocates under contention its own arena (the io
/// threads, the etcd watch and commit threads), and a non-main arena returns memory to the
/// system only from its top. Versions released by the MVCC store's local compaction free
/// chunks all over those arenas, so after a write burst RSS stays at the burst's peak (with
/// bench/housekeeping.py: about 100 MiB of free heap for 5 MiB of data) until something trims.
/// malloc_trim(0) walks every arena and madvise(MADV_DONTNEED)s the whole free pages inside
/// it — the role jemalloc's background purging plays for Redis.
///
/// Cost (glibc): while it walks an arena it holds that arena's lock, so a thread allocating from the
/// same arena waits; the duration of the last and the longest trim (µs) are in INFO. The trim
/// and its counters are mvcc::TrimAllocator's (MEMORY PURGE counts there too).
/// One thread (expiry::PeriodicTask); InfoLines is thread-safe.
class AllocatorTrim {
 public:
  /// `interval_ms` is read before every wait (a live option); a value <= 0 disables trimming
  /// (the thread then checks again every second).
  explicit AllocatorTrim(std::function<int64_t()> interval_ms);
  AllocatorTrim(const AllocatorTrim&) = delete;
  AllocatorTrim& operator=(const AllocatorTrim&) = delete;

  void Start() { task_.Start(); }
  /// Idempotent; joins the thread.
  void Stop() { task_.Stop(); }

  /// INFO lines for the "petacore" section: allocator_trims, allocator_trim_released_bytes
  /// (RSS before minus after, summed; bytes), allocator_trim_last_us, allocator_trim_max_us —
  /// every trim of the process, MEMORY PURGE's included.
  std::string InfoLines() const;

 private:
  std::function<int64_t()> interval_ms_;

  expiry::PeriodicTask task_;  // last: its thread stops before the members it uses go
};

}  // namespace petacore::server
