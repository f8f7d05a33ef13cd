// rdb_ziplist.cc — validating ziplist parser (format: rdb_ziplist.h).
#include "commands/rdb_ziplist.h"

#include <cstdint>

namespace petacore::commands::rdb {
namespace {

constexpr size_t kHeader = 10;
constexpr uint8_t kEnd = 0xFF;
constexpr uint8_t kBigPrevlen = 0xFE;

uint64_t GetLe(std::string_view b, size_t pos, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(b[pos + i])) << (8 * i);
  return v;
}

int64_t SignExtend(uint64_t u, int bits) {
  if (bits == 64) return static_cast<int64_t>(u);
  uint64_t m = uint64_t{1} << (bits - 1);
  u &= (uint64_t{1} << bits) - 1;
  return static_cast<int64_t>((u ^ m) - m);
}

}  // namespace

bool ParseZiplist(std::string_view zl, std::vector<std::string>* out) {
  out->clear();
  if (zl.size() < kHeader + 1) return false;
  if (GetLe(zl, 0, 4) != zl.size()) return false;
  const uint64_t tail = GetLe(zl, 4, 4);
  const uint64_t declared = GetLe(zl, 8, 2);
  if (static_cast<uint8_t>(zl.back()) != kEnd) return false;
  const size_t end = zl.size() - 1;
  size_t p = kHeader, prev_len = 0, last_start = kHeader;
  while (p < end) {
    const size_t start = p;
    // prevlen
    size_t prev;
    if (static_cast<uint8_t>(zl[p]) < kBigPrevlen) {
      prev = static_cast<uint8_t>(zl[p]);
      p += 1;
    } else if (static_cast<uint8_t>(zl[p]) == kBigPrevlen) {
      if (end - p < 5) return false;
      prev = GetLe(zl, p + 1, 4);
      p += 5;
    } else {
      return false;
    }
    if (prev != prev_len) return false;
    if (p >= end) return false;
    const auto b = static_cast<uint8_t>(zl[p]);
    size_t head, data = 0;
    bool is_str = false;
    switch (b >> 6) {
      case 0:
        head = 1, data = b & 0x3f, is_str = true;
        break;
      case 1:
        if (end - p < 2) return false;
        head = 2, is_str = true;
        data = (static_cast<size_t>(b & 0x3f) << 8) | static_cast<uint8_t>(zl[p + 1]);
        break;
      case 2:
        if (b != 0x80 || end - p < 5) return false;
        head = 5, is_str = true;
        data = 0;
        for (int i = 1; i <= 4; ++i) data = (data << 8) | static_cast<uint8_t>(zl[p + i]);
        break;
      default: {
        int bytes = 0;
        head = 1;
        if (b == 0xC0) bytes = 2;
        else if (b == 0xD0) bytes = 4;
        else if (b == 0xE0) bytes = 8;
        else if (b == 0xF0) bytes = 3;
        else if (b == 0xFE) bytes = 1;
        else if (b >= 0xF1 && b <= 0xFD) {
          out->push_back(std::to_string((b & 0x0f) - 1));
        } else {
          return false;
        }
        if (bytes) {
          if (end - p < 1 + static_cast<size_t>(bytes)) return false;
          out->push_back(std::to_string(SignExtend(GetLe(zl, p + 1, bytes), bytes * 8)));
          data = static_cast<size_t>(bytes);
        }
      }
    }
    if (end - p < head || end - p - head < data) return false;
    if (is_str) out->emplace_back(zl.substr(p + head, data));
    p += head + data;
    prev_len = p - start;
    last_start = start;
  }
  if (p != end) return false;
  if (out->empty() ? tail != kHeader : tail != last_start) return false;
  return declared == 65535 || declared == out->size();
}

}  // namespace petacore::commands::rdb
