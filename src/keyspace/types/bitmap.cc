#include "keyspace/types/bitmap.h"

#include <bit>
#include <limits>

namespace petacore::keyspace::types {

namespace {

uint8_t ByteAt(std::string_view s, uint64_t i) {
  return i < s.size() ? static_cast<uint8_t>(s[i]) : 0;
}

// The first bit equal to `bit` in `count` bytes at `p`: a search for 1 that finds none answers
// -1; a search for 0 that finds none answers count * 8 (the padding past the bytes).
int64_t FirstBit(const uint8_t* p, size_t count, int bit) {
  for (size_t i = 0; i < count; ++i) {
    uint8_t b = bit ? p[i] : static_cast<uint8_t>(~p[i]);
    if (b != 0) return static_cast<int64_t>(i) * 8 + std::countl_zero(b);
  }
  return bit ? -1 : static_cast<int64_t>(count) * 8;
}

// Resolves a BITCOUNT / BITPOS range as Redis: negative indexes from the end, clamped to the
// string; with bit units, the edge masks (bits of the first and last byte outside the range)
// and the range turned into bytes.
struct Range {
  int64_t start, end;
  uint8_t first_mask = 0, last_mask = 0;
};
Range Resolve(int64_t start, int64_t end, int64_t len, bool bit_unit) {
  int64_t total = bit_unit ? len << 3 : len;
  if (start < 0) start += total;
  if (end < 0) end += total;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  Range r{start, end};
  if (bit_unit && start <= end) {
    r.first_mask = static_cast<uint8_t>(~((1u << (8 - (start & 7))) - 1) & 0xff);
    r.last_mask = static_cast<uint8_t>((1u << (7 - (end & 7))) - 1);
    r.start = start >> 3;
    r.end = end >> 3;
  }
  return r;
}

}  // namespace

int GetBit(std::string_view bytes, uint64_t offset) {
  return (ByteAt(bytes, offset >> 3) >> (7 - (offset & 7))) & 1;
}

int SetBit(std::string& bytes, uint64_t offset, int on) {
  uint64_t byte = offset >> 3;
  if (bytes.size() <= byte) bytes.resize(byte + 1, '\0');
  int shift = 7 - static_cast<int>(offset & 7);
  auto v = static_cast<uint8_t>(bytes[byte]);
  int old = (v >> shift) & 1;
  v = static_cast<uint8_t>((v & ~(1u << shift)) | ((on & 1u) << shift));
  bytes[byte] = static_cast<char>(v);
  return old;
}

int64_t PopCount(std::string_view bytes) {
  int64_t n = 0;
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t w = 0;
    for (int k = 0; k < 8; ++k) w = (w << 8) | static_cast<uint8_t>(bytes[i + k]);
    n += std::popcount(w);
  }
  for (; i < bytes.size(); ++i) n += std::popcount(static_cast<uint8_t>(bytes[i]));
  return n;
}

int64_t BitCount(std::string_view bytes, std::optional<int64_t> start, std::optional<int64_t> end,
                 bool bit_unit) {
  int64_t len = static_cast<int64_t>(bytes.size());
  Range r{0, len - 1};
  if (start && end) {
    if (*start < 0 && *end < 0 && *start > *end) return 0;
    r = Resolve(*start, *end, len, bit_unit);
  }
  if (r.start > r.end) return 0;
  auto s = bytes.substr(r.start, r.end - r.start + 1);
  int64_t count = PopCount(s);
  count -= std::popcount(static_cast<uint8_t>(ByteAt(bytes, r.start) & r.first_mask));
  count -= std::popcount(static_cast<uint8_t>(ByteAt(bytes, r.end) & r.last_mask));
  return count;
}

int64_t BitPos(std::string_view bytes, int bit, std::optional<int64_t> start,
               std::optional<int64_t> end, bool bit_unit) {
  int64_t len = static_cast<int64_t>(bytes.size());
  Range r{0, len - 1};
  bool end_given = end.has_value();
  if (start) {
    int64_t e = end ? *end : (bit_unit ? (len << 3) + 7 : len - 1);
    r = Resolve(*start, e, len, bit_unit);
  }
  if (r.start > r.end) return -1;
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  int64_t first = r.start;
  int64_t count = r.end - r.start + 1;
  int64_t pos;
  // As Redis: the first byte alone when it is partly outside the range, then the whole bytes,
  // then the last byte alone when it is partly outside.
  auto masked = [&](int64_t i, uint8_t outside) {
    return static_cast<uint8_t>(bit ? p[i] & ~outside : p[i] | outside);
  };
  do {
    if (r.first_mask) {
      uint8_t c = masked(first, r.first_mask);
      if (r.last_mask && count == 1) c = bit ? c & ~r.last_mask : c | r.last_mask;
      pos = FirstBit(&c, 1, bit);
      if (count == 1 || (pos != -1 && pos != 8)) break;
      ++first;
      --count;
    }
    int64_t whole = count - (r.last_mask ? 1 : 0);
    if (whole > 0) {
      pos = FirstBit(p + first, whole, bit);
      if (count == whole || (pos != -1 && pos != whole << 3)) break;
      first += whole;
      count -= whole;
    }
    uint8_t c = masked(r.end, r.last_mask);
    pos = FirstBit(&c, 1, bit);
  } while (false);
  if (end_given && bit == 0 && pos == count << 3) return -1;
  if (pos != -1) pos += first << 3;
  return pos;
}

std::string BitOpApply(BitOp op, const std::string_view* sources, size_t count) {
  size_t maxlen = 0;
  for (size_t i = 0; i < count; ++i) maxlen = std::max(maxlen, sources[i].size());
  std::string out(maxlen, '\0');
  for (size_t j = 0; j < maxlen; ++j) {
    uint8_t v = ByteAt(sources[0], j);
    if (op == BitOp::kNot) v = static_cast<uint8_t>(~v);
    for (size_t i = 1; i < count; ++i) {
      uint8_t b = ByteAt(sources[i], j);
      if (op == BitOp::kAnd) v &= b;
      if (op == BitOp::kOr) v |= b;
      if (op == BitOp::kXor) v ^= b;
    }
    out[j] = static_cast<char>(v);
  }
  return out;
}

std::optional<BitfieldType> ParseBitfieldType(std::string_view s) {
  if (s.empty() || (s[0] != 'i' && s[0] != 'u')) return std::nullopt;
  bool is_signed = s[0] == 'i';
  auto digits = s.substr(1);
  // Redis's string2ll: no sign, no leading zeros, at most 2 digits matter here.
  if (digits.empty() || digits.size() > 2 || digits[0] == '0') return std::nullopt;
  int bits = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    bits = bits * 10 + (c - '0');
  }
  if (bits < 1 || bits > (is_signed ? 64 : 63)) return std::nullopt;
  return BitfieldType{is_signed, bits};
}

uint64_t GetUnsignedField(std::string_view bytes, uint64_t offset, int bits) {
  uint64_t v = 0;
  for (int j = 0; j < bits; ++j) v = (v << 1) | static_cast<uint64_t>(GetBit(bytes, offset + j));
  return v;
}

int64_t GetSignedField(std::string_view bytes, uint64_t offset, int bits) {
  uint64_t u = GetUnsignedField(bytes, offset, bits);
  if (bits < 64 && (u & (uint64_t{1} << (bits - 1)))) u |= ~uint64_t{0} << bits;
  return static_cast<int64_t>(u);
}

void SetField(std::string& bytes, uint64_t offset, int bits, uint64_t value) {
  for (int j = 0; j < bits; ++j) {
    SetBit(bytes, offset + j, static_cast<int>((value >> (bits - 1 - j)) & 1));
  }
}

int CheckUnsignedOverflow(uint64_t value, int64_t incr, int bits, Overflow mode, uint64_t* result) {
  uint64_t max = bits == 64 ? std::numeric_limits<uint64_t>::max() : (uint64_t{1} << bits) - 1;
  auto maxincr = static_cast<int64_t>(max - value);
  auto minincr = static_cast<int64_t>(-value);
  int direction = 0;
  if (value > max || (incr > 0 && incr > maxincr)) {
    direction = 1;
  } else if (incr < 0 && incr < minincr) {
    direction = -1;
  } else {
    return 0;
  }
  if (result) {
    if (mode == Overflow::kWrap) {
      uint64_t res = value + static_cast<uint64_t>(incr);
      *result = bits == 64 ? res : res & ~(~uint64_t{0} << bits);
      return 1;  // Redis answers 1 for a wrap in either direction
    }
    if (mode == Overflow::kSat) *result = direction > 0 ? max : 0;
  }
  return direction;
}

int CheckSignedOverflow(int64_t value, int64_t incr, int bits, Overflow mode, int64_t* result) {
  int64_t max = bits == 64 ? std::numeric_limits<int64_t>::max()
                           : static_cast<int64_t>((uint64_t{1} << (bits - 1)) - 1);
  int64_t min = -max - 1;
  auto maxincr = static_cast<int64_t>(static_cast<uint64_t>(max) - static_cast<uint64_t>(value));
  auto minincr = static_cast<int64_t>(static_cast<uint64_t>(min) - static_cast<uint64_t>(value));
  int direction = 0;
  if (value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr)) {
    direction = 1;
  } else if (value < min || (bits != 64 && incr < minincr) ||
             (value < 0 && incr < 0 && incr < minincr)) {
    direction = -1;
  } else {
    return 0;
  }
  if (result) {
    if (mode == Overflow::kWrap) {
      uint64_t c = static_cast<uint64_t>(value) + static_cast<uint64_t>(incr);
      if (bits < 64) {
        uint64_t mask = ~uint64_t{0} << bits;
        c = (c & (uint64_t{1} << (bits - 1))) ? c | mask : c & ~mask;
      }
      *result = static_cast<int64_t>(c);
      return 1;
    }
    if (mode == Overflow::kSat) *result = direction > 0 ? max : min;
  }
  return direction;
}

std::optional<int64_t> BitfieldWrite(std::string& bytes, BitfieldType type, uint64_t offset,
                                     bool incr, int64_t value, Overflow mode, bool* changed) {
  *changed = false;
  if (type.is_signed) {
    int64_t old = GetSignedField(bytes, offset, type.bits), wrapped = 0, next;
    int overflow = incr ? CheckSignedOverflow(old, value, type.bits, mode, &wrapped)
                        : CheckSignedOverflow(value, 0, type.bits, mode, &wrapped);
    if (overflow && mode == Overflow::kFail) return std::nullopt;
    next = overflow ? wrapped
                    : (incr ? static_cast<int64_t>(static_cast<uint64_t>(old) +
                                                   static_cast<uint64_t>(value))
                            : value);
    SetField(bytes, offset, type.bits, static_cast<uint64_t>(next));
    *changed = old != next;
    return incr ? next : old;
  }
  uint64_t old = GetUnsignedField(bytes, offset, type.bits), wrapped = 0;
  uint64_t next = incr ? old + static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  int overflow = incr ? CheckUnsignedOverflow(old, value, type.bits, mode, &wrapped)
                      : CheckUnsignedOverflow(next, 0, type.bits, mode, &wrapped);
  if (overflow && mode == Overflow::kFail) return std::nullopt;
  if (overflow) next = wrapped;
  SetField(bytes, offset, type.bits, next);
  *changed = old != next;
  return static_cast<int64_t>(incr ? next : old);
}

}  // namespace petacore::keyspace::types
