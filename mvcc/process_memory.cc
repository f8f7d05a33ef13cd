// mvcc/process_memory.cc — see process_memory.h.
#include "mvcc/process_memory.h"

#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#ifdef PETACORE_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

namespace petacore::mvcc {

namespace {
constexpr auto kRelaxed = std::memory_order_relaxed;
std::atomic<int64_t> g_trims{0}, g_released{0}, g_last_us{0}, g_max_us{0};

#ifdef PETACORE_JEMALLOC
int64_t JemallocStat(const char* name) {
  size_t value = 0, len = sizeof(value);
  return mallctl(name, &value, &len, nullptr, 0) == 0 ? static_cast<int64_t>(value) : 0;
}
#endif
}  // namespace

void StartAllocatorBackgroundPurge() {
#ifdef PETACORE_JEMALLOC
  bool enable = true;
  mallctl("background_thread", nullptr, nullptr, &enable, sizeof(enable));
#endif
}

int64_t ResidentBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  long pages = 0, resident = 0;
  const int n = std::fscanf(f, "%ld %ld", &pages, &resident);
  std::fclose(f);
  return n == 2 ? static_cast<int64_t>(resident) * sysconf(_SC_PAGESIZE) : 0;
}

std::string AllocatorName() {
#ifdef PETACORE_JEMALLOC
  const char* version = nullptr;
  size_t len = sizeof(version);
  if (mallctl("version", &version, &len, nullptr, 0) != 0 || version == nullptr) {
    return "jemalloc";
  }
  std::string v(version);
  return "jemalloc-" + v.substr(0, v.find('-'));
#else
  return "libc";
#endif
}

AllocatorBytes AllocatorStats() {
#ifdef PETACORE_JEMALLOC
  uint64_t epoch = 1;
  size_t len = sizeof(epoch);
  mallctl("epoch", &epoch, &len, &epoch, len);  // refresh the cached statistics
  return {JemallocStat("stats.allocated"), JemallocStat("stats.active")};
#else
  const struct mallinfo2 mi = mallinfo2();
  return {static_cast<int64_t>(mi.uordblks + mi.hblkhd), static_cast<int64_t>(mi.arena + mi.hblkhd)};
#endif
}

std::string AllocatorStatsText() {
#ifdef PETACORE_JEMALLOC
  std::string text;
  malloc_stats_print(
      [](void* out, const char* s) { static_cast<std::string*>(out)->append(s); }, &text,
      nullptr);
  return text;
#else
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  if (f == nullptr) return "Stats not supported for the current allocator";
  malloc_info(0, f);
  std::fclose(f);
  std::string text(buf, len);
  std::free(buf);
  return text;
#endif
}

void TrimAllocator() {
  const int64_t before = ResidentBytes();
  const auto start = std::chrono::steady_clock::now();
#ifdef PETACORE_JEMALLOC
  mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);  // 4096 = MALLCTL_ARENAS_ALL
#else
  malloc_trim(0);
#endif
  const int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::steady_clock::now() - start)
                         .count();
  const int64_t after = ResidentBytes();
  g_trims.fetch_add(1, kRelaxed);
  if (before > after) g_released.fetch_add(before - after, kRelaxed);
  g_last_us.store(us, kRelaxed);
  int64_t max = g_max_us.load(kRelaxed);
  while (us > max && !g_max_us.compare_exchange_weak(max, us, kRelaxed)) {
  }
}

TrimStats AllocatorTrimStats() {
  return {g_trims.load(kRelaxed), g_released.load(kRelaxed), g_last_us.load(kRelaxed),
          g_max_us.load(kRelaxed)};
}

}  // namespace petacore::mvcc
