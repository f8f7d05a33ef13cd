// src/server/allocator_trim.cc — see allocator_trim.h.
#include "server/allocator_trim.h"

#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

namespace petacore::server {

namespace {

/// Resident bytes of this process (/proc/self/statm's second field), 0 if unreadable.
int64_t ResidentBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  long pages = 0, resident = 0;
  const int n = std::fscanf(f, "%ld %ld", &pages, &resident);
  std::fclose(f);
  return n == 2 ? static_cast<int64_t>(resident) * sysconf(_SC_PAGESIZE) : 0;
}

}  // namespace

AllocatorTrim::AllocatorTrim(std::function<int64_t()> interval_ms)
    : interval_ms_(std::move(interval_ms)),
      task_(
          [this] {
            const int64_t v = interval_ms_();
            return v > 0 ? v : int64_t{1000};
          },
          [this] {
            if (interval_ms_() > 0) Trim();
          }) {}

void AllocatorTrim::Trim() {
  const int64_t before = ResidentBytes();
  const auto start = std::chrono::steady_clock::now();
  malloc_trim(0);
  const int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::steady_clock::now() - start)
                         .count();
  const int64_t after = ResidentBytes();
  trims_.fetch_add(1, std::memory_order_relaxed);
  if (before > after) released_bytes_.fetch_add(before - after, std::memory_order_relaxed);
  last_us_.store(us, std::memory_order_relaxed);
  int64_t max = max_us_.load(std::memory_order_relaxed);
  while (us > max && !max_us_.compare_exchange_weak(max, us, std::memory_order_relaxed)) {
  }
}

std::string AllocatorTrim::InfoLines() const {
  auto line = [](const char* name, int64_t v) {
    return std::string(name) + ":" + std::to_string(v) + "\r\n";
  };
  return line("allocator_trims", trims_.load(std::memory_order_relaxed)) +
         line("allocator_trim_released_bytes", released_bytes_.load(std::memory_order_relaxed)) +
         line("allocator_trim_last_us", last_us_.load(std::memory_order_relaxed)) +
         line("allocator_trim_max_us", max_us_.load(std::memory_order_relaxed));
}

}  // namespace petacore::server
