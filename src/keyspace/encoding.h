// src/keyspace/encoding.h — how Redis keys and values sit on etcd's flat, sorted key space.
//
// Store keys (the mvcc::Store key; etcd's key is --etcd-prefix + store key):
//   meta key  = db (1 byte, 0..15) + escape(user key) + 0x00 0x00
//   escape    = every 0x00 byte becomes 0x00 0x01 (pika's scheme)
// The escaping keeps the encoding order-preserving and prefix-free, so one Redis key owns one
// contiguous range [meta key, PrefixEnd(meta key)) where later collection subkeys will live.
// A whole database is the range [db, db + 1).
//
// Stored value = type (1 byte) + flags (1 byte) + [expire-at ms, 8 bytes big-endian, when
// flags & kHasExpire] + payload. Strings: type 's', payload = the bytes. See docs/encoding.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace petacore::keyspace {

inline constexpr int kNumDatabases = 16;

/// Redis value types, as the first byte of the stored value.
enum class ValueType : char { kString = 's' };

/// The store key of `user_key` in database `db` (0..15).
std::string EncodeKey(int db, std::string_view user_key);
/// Appends the store key to `out` (no allocation when `out` has capacity).
void AppendKey(int db, std::string_view user_key, std::string* out);

/// Reverses EncodeKey. nullopt for a key that is not a meta key (a subkey or foreign bytes).
struct DecodedKey {
  int db;
  std::string user_key;
};
std::optional<DecodedKey> DecodeKey(std::string_view store_key);

/// [start, end) covering every store key of database `db`.
std::string DbStart(int db);
std::string DbEnd(int db);

/// A decoded stored value; `payload` views the stored bytes.
struct ValueView {
  ValueType type;
  int64_t expire_at_ms = 0;  ///< 0 = no expiry
  std::string_view payload;
};
/// nullopt when the bytes are not a value PetaCore wrote.
std::optional<ValueView> DecodeValue(std::string_view stored);
/// A string value with no expiry.
std::string EncodeString(std::string_view payload);

}  // namespace petacore::keyspace
