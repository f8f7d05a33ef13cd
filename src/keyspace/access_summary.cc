// src/keyspace/access_summary.cc — the access summary format (access_summary.h).
#include "keyspace/access_summary.h"

#include <charconv>
#include <cstdio>

namespace petacore::keyspace {

std::string AccessSummaryKey(uint64_t process) {
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(process));
  return std::string(kAccessSummaryPrefix) + hex;
}

uint64_t AccessSummaryProcess(std::string_view key) {
  if (!key.starts_with(kAccessSummaryPrefix)) return 0;
  std::string_view hex = key.substr(kAccessSummaryPrefix.size());
  uint64_t process = 0;
  auto [ptr, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), process, 16);
  if (hex.empty() || ec != std::errc() || ptr != hex.data() + hex.size()) return 0;
  return process;
}

void AppendAccessSummaryEntry(std::string* out, std::string_view meta_key,
                              uint32_t last_access_s, uint8_t lfu_counter) {
  uint64_t n = meta_key.size();
  do {
    uint8_t b = n & 0x7f;
    n >>= 7;
    out->push_back(static_cast<char>(n ? b | 0x80 : b));
  } while (n);
  out->append(meta_key);
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((last_access_s >> (8 * i)) & 0xff));
  out->push_back(static_cast<char>(lfu_counter));
}

size_t ForEachAccessSummaryEntry(std::string_view value,
                                 const std::function<void(const AccessSummaryEntry&)>& fn) {
  size_t visited = 0;
  size_t pos = 0;
  while (pos < value.size()) {
    uint64_t len = 0;
    int shift = 0;
    bool done = false;
    while (pos < value.size() && shift < 35) {
      auto b = static_cast<uint8_t>(value[pos++]);
      len |= static_cast<uint64_t>(b & 0x7f) << shift;
      shift += 7;
      if (!(b & 0x80)) {
        done = true;
        break;
      }
    }
    if (!done || value.size() - pos < len + 5) break;
    AccessSummaryEntry e;
    e.meta_key = value.substr(pos, len);
    pos += len;
    for (int i = 0; i < 4; ++i) {
      e.last_access_s |= static_cast<uint32_t>(static_cast<uint8_t>(value[pos + i])) << (8 * i);
    }
    e.lfu_counter = static_cast<uint8_t>(value[pos + 4]);
    pos += 5;
    fn(e);
    ++visited;
  }
  return visited;
}

}  // namespace petacore::keyspace
