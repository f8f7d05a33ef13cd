// rdb_payload.cc — RDB string encoding (lengths, integers, LZF) and the DUMP footer.
#include "commands/rdb_payload.h"

#include <cstring>

#include "commands/crc64.h"
#include "commands/rdb_lzf.h"
#include "commands/context.h"

namespace petacore::commands::rdb {
namespace {

// The two top bits of a length's first byte.
constexpr uint8_t kLen6Bit = 0;
constexpr uint8_t kLen14Bit = 1;
// 2: a 32- or 64-bit length follows; its first byte is then one of these (the top bits of
// 0x80 / 0x81 are 2):
constexpr uint8_t kEncoded = 3;
constexpr uint8_t kLen32 = 0x80;
constexpr uint8_t kLen64 = 0x81;
// Special encodings (low six bits when the top bits are kEncoded).
constexpr uint8_t kEncInt8 = 0;
constexpr uint8_t kEncInt16 = 1;
constexpr uint8_t kEncInt32 = 2;
constexpr uint8_t kEncLzf = 3;

}  // namespace

void AppendLength(std::string* out, uint64_t len) {
  if (len < (1 << 6)) {
    out->push_back(static_cast<char>(len));
  } else if (len < (1 << 14)) {
    out->push_back(static_cast<char>((kLen14Bit << 6) | (len >> 8)));
    out->push_back(static_cast<char>(len & 0xff));
  } else if (len <= UINT32_MAX) {
    out->push_back(static_cast<char>(kLen32));
    for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(len >> shift));
  } else {
    out->push_back(static_cast<char>(kLen64));
    for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(len >> shift));
  }
}

namespace {

// Reads a length; `*encoded` is set when the byte announces a special encoding instead (the
// encoding is then `*len`).
bool ReadLength(std::string_view in, size_t* pos, uint64_t* len, bool* encoded) {
  *encoded = false;
  if (*pos >= in.size()) return false;
  const auto first = static_cast<uint8_t>(in[(*pos)++]);
  switch (first >> 6) {
    case kLen6Bit:
      *len = first & 0x3f;
      return true;
    case kLen14Bit:
      if (*pos >= in.size()) return false;
      *len = (static_cast<uint64_t>(first & 0x3f) << 8) | static_cast<uint8_t>(in[(*pos)++]);
      return true;
    case kEncoded:
      *encoded = true;
      *len = first & 0x3f;
      return true;
    default: {
      int bytes = first == kLen32 ? 4 : first == kLen64 ? 8 : 0;
      if (bytes == 0 || in.size() - *pos < static_cast<size_t>(bytes)) return false;
      uint64_t v = 0;
      for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(in[(*pos)++]);
      *len = v;
      return true;
    }
  }
}

}  // namespace

bool ReadLength(std::string_view in, size_t* pos, uint64_t* len) {
  bool encoded;
  return ReadLength(in, pos, len, &encoded) && !encoded;
}

void AppendString(std::string* out, std::string_view s) {
  AppendLength(out, s.size());
  out->append(s);
}

void AppendStringObject(std::string* out, std::string_view s) {
  int64_t v;
  if (s.size() <= 11 && ParseInt64(s, &v) && v >= INT32_MIN && v <= INT32_MAX) {
    int bytes = (v >= INT8_MIN && v <= INT8_MAX) ? 1 : (v >= INT16_MIN && v <= INT16_MAX) ? 2 : 4;
    uint8_t enc = bytes == 1 ? kEncInt8 : bytes == 2 ? kEncInt16 : kEncInt32;
    out->push_back(static_cast<char>((kEncoded << 6) | enc));
    for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(static_cast<uint64_t>(v) >> (8 * i)));
    return;
  }
  AppendString(out, s);
}

bool ReadString(std::string_view in, size_t* pos, std::string* out) {
  uint64_t len;
  bool encoded;
  if (!ReadLength(in, pos, &len, &encoded)) return false;
  if (!encoded) {
    if (in.size() - *pos < len) return false;
    out->assign(in.substr(*pos, len));
    *pos += len;
    return true;
  }
  switch (len) {
    case kEncInt8:
    case kEncInt16:
    case kEncInt32: {
      size_t bytes = len == kEncInt8 ? 1 : len == kEncInt16 ? 2 : 4;
      if (in.size() - *pos < bytes) return false;
      uint32_t v = 0;
      for (size_t i = 0; i < bytes; ++i)
        v |= static_cast<uint32_t>(static_cast<uint8_t>(in[*pos + i])) << (8 * i);
      *pos += bytes;
      int64_t value = bytes == 1   ? static_cast<int8_t>(v)
                      : bytes == 2 ? static_cast<int16_t>(v)
                                   : static_cast<int32_t>(v);
      *out = std::to_string(value);
      return true;
    }
    case kEncLzf: {
      uint64_t compressed, plain;
      bool enc1, enc2;
      if (!ReadLength(in, pos, &compressed, &enc1) || enc1) return false;
      if (!ReadLength(in, pos, &plain, &enc2) || enc2) return false;
      if (in.size() - *pos < compressed || plain > (uint64_t{1} << 32)) return false;
      bool ok = LzfDecompress(in.substr(*pos, compressed), plain, out);
      *pos += compressed;
      return ok;
    }
    default:
      return false;
  }
}

void Seal(std::string* payload) {
  payload->push_back(static_cast<char>(kRdbVersion & 0xff));
  payload->push_back(static_cast<char>(kRdbVersion >> 8));
  uint64_t crc = Crc64(0, *payload);
  for (int i = 0; i < 8; ++i) payload->push_back(static_cast<char>(crc >> (8 * i)));
}

bool Verify(std::string_view payload, uint16_t* version) {
  if (payload.size() < 10) return false;
  const size_t footer = payload.size() - 10;
  *version = static_cast<uint16_t>(static_cast<uint8_t>(payload[footer]) |
                                   (static_cast<uint8_t>(payload[footer + 1]) << 8));
  if (*version > kRdbVersion) return false;
  uint64_t stored = 0;
  for (int i = 0; i < 8; ++i) {
    stored |= static_cast<uint64_t>(static_cast<uint8_t>(payload[footer + 2 + i])) << (8 * i);
  }
  return Crc64(0, payload.substr(0, payload.size() - 8)) == stored;
}

}  // namespace petacore::commands::rdb
