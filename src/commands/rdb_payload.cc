// rdb_payload.cc — RDB string encoding (lengths, integers, LZF) and the DUMP footer.
#include "commands/rdb_payload.h"

#include <cstring>

#include "commands/crc64.h"

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

// LZF decompression (the format of liblzf, which Redis uses): a control byte below 32 starts
// a literal run of ctrl + 1 bytes; otherwise a back reference of length (ctrl >> 5) + 2
// (7 means a further length byte) at distance ((ctrl & 31) << 8 | next) + 1.
bool LzfDecompress(std::string_view in, size_t out_len, std::string* out) {
  out->clear();
  out->reserve(out_len);
  size_t ip = 0;
  while (ip < in.size()) {
    const auto ctrl = static_cast<uint8_t>(in[ip++]);
    if (ctrl < 32) {
      size_t run = ctrl + 1u;
      if (in.size() - ip < run || out->size() + run > out_len) return false;
      out->append(in.data() + ip, run);
      ip += run;
      continue;
    }
    size_t len = ctrl >> 5;
    if (len == 7) {
      if (ip >= in.size()) return false;
      len += static_cast<uint8_t>(in[ip++]);
    }
    if (ip >= in.size()) return false;
    size_t distance =
        ((static_cast<size_t>(ctrl & 0x1f) << 8) | static_cast<uint8_t>(in[ip++])) + 1;
    len += 2;
    if (distance > out->size() || out->size() + len > out_len) return false;
    size_t from = out->size() - distance;
    for (size_t i = 0; i < len; ++i) out->push_back((*out)[from + i]);  // may overlap
  }
  return out->size() == out_len;
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
