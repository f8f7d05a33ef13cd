#include "keyspace/encoding.h"

#include <cstring>

namespace petacore::keyspace {
namespace {
constexpr uint8_t kHasExpire = 1;
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

std::string DbStart(int db) { return std::string(1, static_cast<char>(db)); }
std::string DbEnd(int db) { return std::string(1, static_cast<char>(db + 1)); }

std::optional<ValueView> DecodeValue(std::string_view s) {
  if (s.size() < 2) return std::nullopt;
  ValueView v{static_cast<ValueType>(s[0]), 0, {}};
  if (v.type != ValueType::kString) return std::nullopt;
  auto flags = static_cast<uint8_t>(s[1]);
  size_t pos = 2;
  if (flags & kHasExpire) {
    if (s.size() < 10) return std::nullopt;
    uint64_t t = 0;
    for (int i = 0; i < 8; ++i) t = (t << 8) | static_cast<uint8_t>(s[2 + i]);
    v.expire_at_ms = static_cast<int64_t>(t);
    pos = 10;
  }
  v.payload = s.substr(pos);
  return v;
}

std::string EncodeString(std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 2);
  out.push_back(static_cast<char>(ValueType::kString));
  out.push_back('\0');
  out.append(payload);
  return out;
}

}  // namespace petacore::keyspace
