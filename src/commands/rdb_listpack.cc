// rdb_listpack.cc — listpack writer and validating parser (format: rdb_listpack.h).
#include "commands/rdb_listpack.h"

#include "commands/context.h"

namespace petacore::commands::rdb {
namespace {

constexpr uint8_t kEof = 0xFF;
constexpr size_t kHeader = 6;

void PutLe(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t GetLe(std::string_view b, size_t pos, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(b[pos + i])) << (8 * i);
  return v;
}

// The backlen of an element of `l` bytes (encoding + data), as listpack.c lays it out: the
// most significant 7-bit group first, every byte but the first with its top bit set.
std::string Backlen(uint64_t l) {
  int n = l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
  std::string out(static_cast<size_t>(n), '\0');
  for (int i = 0; i < n; ++i) {
    uint8_t group = static_cast<uint8_t>((l >> (7 * (n - 1 - i))) & 127);
    out[static_cast<size_t>(i)] = static_cast<char>(i == 0 ? group : (group | 128));
  }
  return out;
}

// Sign-extends the low `bits` of `u`.
int64_t SignExtend(uint64_t u, int bits) {
  uint64_t m = uint64_t{1} << (bits - 1);
  u &= (bits == 64) ? ~uint64_t{0} : ((uint64_t{1} << bits) - 1);
  return static_cast<int64_t>((u ^ m) - m);
}

}  // namespace

void ListpackWriter::AddEntry(std::string_view encoded) {
  body_.append(encoded);
  body_.append(Backlen(encoded.size()));
  ++count_;
}

void ListpackWriter::AppendInt(int64_t v) {
  std::string e;
  if (v >= 0 && v <= 127) {
    e.push_back(static_cast<char>(v));
  } else if (v >= -4096 && v <= 4095) {
    uint64_t u = static_cast<uint64_t>(v) & 0x1fff;
    e.push_back(static_cast<char>(0xC0 | (u >> 8)));
    e.push_back(static_cast<char>(u & 0xff));
  } else if (v >= -32768 && v <= 32767) {
    e.push_back(static_cast<char>(0xF1));
    PutLe(&e, static_cast<uint64_t>(v), 2);
  } else if (v >= -8388608 && v <= 8388607) {
    e.push_back(static_cast<char>(0xF2));
    PutLe(&e, static_cast<uint64_t>(v), 3);
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    e.push_back(static_cast<char>(0xF3));
    PutLe(&e, static_cast<uint64_t>(v), 4);
  } else {
    e.push_back(static_cast<char>(0xF4));
    PutLe(&e, static_cast<uint64_t>(v), 8);
  }
  AddEntry(e);
}

void ListpackWriter::Append(std::string_view element) {
  int64_t v;
  if (element.size() <= 20 && ParseInt64(element, &v)) return AppendInt(v);
  std::string e;
  const size_t n = element.size();
  if (n < 64) {
    e.push_back(static_cast<char>(0x80 | n));
  } else if (n < 4096) {
    e.push_back(static_cast<char>(0xE0 | (n >> 8)));
    e.push_back(static_cast<char>(n & 0xff));
  } else {
    e.push_back(static_cast<char>(0xF0));
    PutLe(&e, n, 4);
  }
  e.append(element);
  AddEntry(e);
}

std::string ListpackWriter::Finish() const {
  std::string out;
  out.reserve(bytes());
  PutLe(&out, bytes(), 4);
  PutLe(&out, count_ < 65535 ? count_ : 65535, 2);
  out.append(body_);
  out.push_back(static_cast<char>(kEof));
  return out;
}

bool ParseListpack(std::string_view lp, std::vector<std::string>* out) {
  out->clear();
  if (lp.size() < kHeader + 1) return false;
  if (GetLe(lp, 0, 4) != lp.size()) return false;
  const uint64_t declared = GetLe(lp, 4, 2);
  if (static_cast<uint8_t>(lp.back()) != kEof) return false;
  const size_t end = lp.size() - 1;  // the terminator
  size_t p = kHeader;
  while (p < end) {
    const size_t start = p;
    const auto b = static_cast<uint8_t>(lp[p]);
    size_t head = 0, data = 0;  // encoding bytes, data bytes
    bool is_int = true;
    int int_bytes = 0;
    if ((b & 0x80) == 0) {
      head = 1;
      out->push_back(std::to_string(b & 0x7f));
    } else if ((b & 0xC0) == 0x80) {
      head = 1, data = b & 0x3f, is_int = false;
    } else if ((b & 0xE0) == 0xC0) {
      head = 2;
      if (end - p < 2) return false;
      uint64_t u = (static_cast<uint64_t>(b & 0x1f) << 8) | static_cast<uint8_t>(lp[p + 1]);
      out->push_back(std::to_string(SignExtend(u, 13)));
    } else if ((b & 0xF0) == 0xE0) {
      head = 2, is_int = false;
      if (end - p < 2) return false;
      data = (static_cast<size_t>(b & 0x0f) << 8) | static_cast<uint8_t>(lp[p + 1]);
    } else if (b == 0xF0) {
      head = 5, is_int = false;
      if (end - p < 5) return false;
      data = GetLe(lp, p + 1, 4);
    } else if (b >= 0xF1 && b <= 0xF4) {
      int_bytes = b == 0xF1 ? 2 : b == 0xF2 ? 3 : b == 0xF3 ? 4 : 8;
      head = 1 + static_cast<size_t>(int_bytes);
      if (end - p < head) return false;
      out->push_back(std::to_string(SignExtend(GetLe(lp, p + 1, int_bytes), int_bytes * 8)));
    } else {
      return false;  // 0xF5..0xFE are unused; 0xFF before the end
    }
    if (end - p < head || end - p - head < data) return false;
    if (!is_int) out->emplace_back(lp.substr(p + head, data));
    p += head + data;
    std::string back = Backlen(p - start);
    if (end - p < back.size() || lp.substr(p, back.size()) != back) return false;
    p += back.size();
  }
  if (p != end) return false;
  return declared == 65535 || declared == out->size();
}

}  // namespace petacore::commands::rdb
