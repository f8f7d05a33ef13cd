// src/server/allocator_trim.cc — see allocator_trim.h.
#include "server/allocator_trim.h"

#include "mvcc/process_memory.h"

namespace petacore::server {

AllocatorTrim::AllocatorTrim(std::function<int64_t()> interval_ms)
    : interval_ms_(std::move(interval_ms)),
      task_(
          [this] {
            const int64_t v = interval_ms_();
            return v > 0 ? v : int64_t{1000};
          },
          [this] {
            if (interval_ms_() > 0) mvcc::TrimAllocator();
          }) {}

std::string AllocatorTrim::InfoLines() const {
  auto line = [](const char* name, int64_t v) {
    return std::string(name) + ":" + std::to_string(v) + "\r\n";
  };
  const mvcc::TrimStats s = mvcc::AllocatorTrimStats();
  return line("allocator_trims", s.trims) +
         line("allocator_trim_released_bytes", s.released_bytes) +
         line("allocator_trim_last_us", s.last_us) + line("allocator_trim_max_us", s.max_us);
}

}  // namespace petacore::server
