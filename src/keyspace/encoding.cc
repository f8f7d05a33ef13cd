#include "keyspace/encoding.h"

#include <chrono>
#include <cstring>

namespace petacore::keyspace {
namespace {
constexpr uint8_t kHasExpire = 1;
constexpr uint8_t kChunked = 2;  // payload is a chunk reference (chunked_value.h)
constexpr uint8_t kIncarnation = 4;  // a collection's elements live under an incarnation id
}

void AppendKey(int db, std::string_view user_key, std::string* out) {
  out->push_back(static_cast<char>(db));
  if (std::memchr(user_key.data(), 0, user_key.size()) == nullptr) {
    out->append(user_key);  // the common case: nothing to escape
  } else {
    for (char c : user_key) {
      out->push_back(c);
      if (c == '\0') out->push_back('\x01');
    }
  }
  out->push_back('\0');
  out->push_back('\0');
}

std::string EncodeKey(int db, std::string_view user_key) {
  std::string out;
  out.reserve(user_key.size() + 3);
  AppendKey(db, user_key, &out);
  return out;
}

std::optional<DecodedKey> DecodeKey(std::string_view k) {
  if (k.size() < 3) return std::nullopt;
  DecodedKey d{static_cast<unsigned char>(k[0]), {}};
  if (d.db >= kNumDatabases) return std::nullopt;
  d.user_key.reserve(k.size() - 3);
  for (size_t i = 1; i < k.size(); ++i) {
    if (k[i] != '\0') {
      d.user_key.push_back(k[i]);
      continue;
    }
    if (i + 1 >= k.size()) return std::nullopt;
    if (k[i + 1] == '\x01') {
      d.user_key.push_back('\0');
      ++i;
    } else if (k[i + 1] == '\0') {
      // Terminator: a meta key ends exactly here; anything after it is a subkey.
      if (i + 2 != k.size()) return std::nullopt;
      return d;
    } else {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::string_view MetaKeyOf(std::string_view k) {
  for (size_t i = 1; i + 1 < k.size(); ++i) {
    if (k[i] != '\0') continue;
    if (k[i + 1] == '\0') return k.substr(0, i + 2);
    ++i;  // an escaped 0x00 0x01
  }
  return {};
}

std::string DbStart(int db) { return std::string(1, static_cast<char>(db)); }
std::string DbEnd(int db) { return std::string(1, static_cast<char>(db + 1)); }

std::optional<ValueView> DecodeValue(std::string_view s) {
  if (s.size() < 2) return std::nullopt;
  ValueView v{};
  v.type = static_cast<ValueType>(s[0]);
  switch (v.type) {
    case ValueType::kString:
    case ValueType::kHash:
    case ValueType::kList:
    case ValueType::kSet:
    case ValueType::kZSet:
    case ValueType::kStream:
      break;
    default:
      return std::nullopt;
  }
  auto flags = static_cast<uint8_t>(s[1]);
  size_t pos = 2;
  if (flags & kHasExpire) {
    if (s.size() < 10) return std::nullopt;
    uint64_t t = 0;
    for (int i = 0; i < 8; ++i) t = (t << 8) | static_cast<uint8_t>(s[2 + i]);
    v.expire_at_ms = static_cast<int64_t>(t);
    pos = 10;
  }
  if (flags & kIncarnation) {
    if (s.size() < pos + kIncarnationIdBytes) return std::nullopt;
    v.incarnation = s.substr(pos, kIncarnationIdBytes);
    pos += kIncarnationIdBytes;
  }
  v.payload = s.substr(pos);
  v.chunked = (flags & kChunked) != 0;
  return v;
}

std::string EncodeValue(ValueType type, std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 2);
  out.push_back(static_cast<char>(type));
  out.push_back('\0');
  out.append(payload);
  return out;
}

std::string EncodeValue(ValueType type, std::string_view payload, int64_t expire_at_ms) {
  if (expire_at_ms == 0) return EncodeValue(type, payload);
  std::string out;
  out.reserve(payload.size() + 10);
  out.push_back(static_cast<char>(type));
  out.push_back(static_cast<char>(kHasExpire));
  auto t = static_cast<uint64_t>(expire_at_ms);
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((t >> (8 * i)) & 0xff));
  out.append(payload);
  return out;
}

std::string EncodeValue(ValueType type, std::string_view payload, int64_t expire_at_ms,
                        std::string_view incarnation) {
  if (incarnation.empty()) return EncodeValue(type, payload, expire_at_ms);
  std::string out;
  out.reserve(payload.size() + 10 + incarnation.size());
  out.push_back(static_cast<char>(type));
  out.push_back(static_cast<char>(kIncarnation | (expire_at_ms != 0 ? kHasExpire : 0)));
  auto t = static_cast<uint64_t>(expire_at_ms);
  if (expire_at_ms != 0) {
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((t >> (8 * i)) & 0xff));
  }
  out.append(incarnation);
  out.append(payload);
  return out;
}

std::string EncodeChunkedString(std::string_view reference, int64_t expire_at_ms) {
  std::string out = EncodeValue(ValueType::kString, reference, expire_at_ms);
  out[1] = static_cast<char>(static_cast<uint8_t>(out[1]) | kChunked);
  return out;
}

std::string WithExpire(std::string_view stored, int64_t expire_at_ms) {
  auto v = DecodeValue(stored);
  if (!v) return std::string(stored);
  if (v->chunked) return EncodeChunkedString(v->payload, expire_at_ms);
  return EncodeValue(v->type, v->payload, expire_at_ms, v->incarnation);
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool IsExpiredMeta(std::string_view key, std::string_view value, int64_t now_ms) {
  if (value.size() < 10 || !(static_cast<uint8_t>(value[1]) & kHasExpire)) return false;
  auto v = DecodeValue(value);
  if (!v || !Expired(*v, now_ms)) return false;
  return MetaKeyOf(key).size() == key.size();
}

std::string EncodeString(std::string_view payload) {
  return EncodeValue(ValueType::kString, payload);
}

std::string_view TypeName(ValueType type) {
  switch (type) {
    case ValueType::kString:
      return "string";
    case ValueType::kHash:
      return "hash";
    case ValueType::kList:
      return "list";
    case ValueType::kSet:
      return "set";
    case ValueType::kZSet:
      return "zset";
    case ValueType::kStream:
      return "stream";
  }
  return "none";
}

std::string SubKey(std::string_view meta_key, char tag, std::string_view element) {
  std::string k;
  k.reserve(meta_key.size() + 1 + element.size());
  k.append(meta_key);
  k.push_back(tag);
  k.append(element);
  return k;
}

std::string SubKeyStart(std::string_view meta_key, char tag) { return SubKey(meta_key, tag, {}); }

std::string SubKeyEnd(std::string_view meta_key, char tag) {
  return SubKey(meta_key, static_cast<char>(tag + 1), {});
}

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<uint8_t>(end.back()) == 0xff) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<uint8_t>(end.back()) + 1);
  return end;
}

std::string KeyEnd(std::string_view meta_key) {
  // A meta key ends with the terminator 0x00 0x00; every key it prefixes sorts below the same
  // bytes with the last one raised to 0x01.
  std::string end(meta_key);
  end.back() = '\x01';
  return end;
}

namespace {
void PutBigEndian(uint64_t v, std::string* out) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t GetBigEndian(std::string_view b) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(b[i]);
  return v;
}
}  // namespace

std::string SortableDouble(double d) {
  if (d == 0) d = 0.0;  // -0.0 and 0.0 are one score
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  bits = (bits & (1ull << 63)) ? ~bits : bits | (1ull << 63);
  std::string out;
  PutBigEndian(bits, &out);
  return out;
}

double DecodeSortableDouble(std::string_view b) {
  uint64_t bits = GetBigEndian(b);
  bits = (bits & (1ull << 63)) ? bits & ~(1ull << 63) : ~bits;
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

std::string SortableInt(int64_t v) {
  std::string out;
  PutBigEndian(static_cast<uint64_t>(v) ^ (1ull << 63), &out);
  return out;
}

int64_t DecodeSortableInt(std::string_view b) {
  return static_cast<int64_t>(GetBigEndian(b) ^ (1ull << 63));
}

}  // namespace petacore::keyspace
