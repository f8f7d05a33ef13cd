// rdb_intset.cc — intset writer and validating parser (format: rdb_intset.h).
#include "commands/rdb_intset.h"

#include <algorithm>

namespace petacore::commands::rdb {
namespace {

void PutLe(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

int64_t GetSigned(std::string_view b, size_t pos, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(b[pos + i])) << (8 * i);
  if (bytes == 8) return static_cast<int64_t>(v);
  uint64_t m = uint64_t{1} << (bytes * 8 - 1);
  return static_cast<int64_t>((v ^ m) - m);
}

int Width(int64_t v) {
  if (v >= INT16_MIN && v <= INT16_MAX) return 2;
  if (v >= INT32_MIN && v <= INT32_MAX) return 4;
  return 8;
}

}  // namespace

std::string EncodeIntset(const std::vector<int64_t>& members) {
  int width = 2;
  for (int64_t v : members) width = std::max(width, Width(v));
  std::string out;
  PutLe(&out, static_cast<uint64_t>(width), 4);
  PutLe(&out, members.size(), 4);
  for (int64_t v : members) PutLe(&out, static_cast<uint64_t>(v), width);
  return out;
}

bool ParseIntset(std::string_view is, std::vector<std::string>* out) {
  out->clear();
  if (is.size() < 8) return false;
  const auto width = static_cast<int>(GetSigned(is, 0, 4));
  if (width != 2 && width != 4 && width != 8) return false;
  const auto count = static_cast<uint64_t>(static_cast<uint32_t>(GetSigned(is, 4, 4)));
  if (count == 0 || (is.size() - 8) != count * static_cast<uint64_t>(width)) return false;
  int64_t prev = 0;
  for (uint64_t i = 0; i < count; ++i) {
    int64_t v = GetSigned(is, 8 + i * static_cast<size_t>(width), width);
    if (i > 0 && v <= prev) return false;
    prev = v;
    out->push_back(std::to_string(v));
  }
  return true;
}

}  // namespace petacore::commands::rdb
