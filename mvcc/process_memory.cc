// mvcc/process_memory.cc — see process_memory.h.
#include "mvcc/process_memory.h"

#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>

namespace petacore::mvcc {

namespace {
constexpr auto kRelaxed = std::memory_order_relaxed;
std::atomic<int64_t> g_trims{0}, g_released{0}, g_last_us{0}, g_max_us{0};
}  // namespace

int64_t ResidentBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  long pages = 0, resident = 0;
  const int n = std::fscanf(f, "%ld %ld", &pages, &resident);
  std::fclose(f);
  return n == 2 ? static_cast<int64_t>(resident) * sysconf(_SC_PAGESIZE) : 0;
}

void TrimAllocator() {
  const int64_t before = ResidentBytes();
  const auto start = std::chrono::steady_clock::now();
  malloc_trim(0);
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
