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
// flags & kHasExpire] + [incarnation id, 16 bytes, when flags & kIncarnation] + payload.
// Strings: type 's', payload = the bytes.
//
// Collections keep their elements in subkeys inside the key's range:
//   subkey = meta key + tag (1 byte) + element bytes (unescaped: the meta key is prefix-free)
//   hash:  meta + 'f' + field              -> field value
//   set:   meta + 'm' + member             -> ""
//   zset:  meta + 'm' + member             -> score (8 bytes, SortableDouble)
//          meta + 's' + SortableDouble(score) + member -> ""   (the score index)
//   list:  meta + 'i' + SortableInt(index) -> element; the meta payload holds head and tail
//   stream: meta + 'e' + ID(16) -> entry; groups, PEL and consumers under 'g', 'p', 'c'
//          (keyspace/types/stream.h, stream_group.h)
// A hash, set, zset or list made by a RENAME / MOVE / COPY too big for one etcd request keeps
// its subkeys under an incarnation instead: subkey = IncarnationBase(id) + tag + element
// (keyspace/incarnation.h); "meta key" above then reads "element base".
// Meta payloads: hash, set and zset keep their element count in decimal; a list its head and
// tail. The data operations of each type over a TxnView are in keyspace/types/.
// See docs/encoding.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace petacore::keyspace {

inline constexpr int kNumDatabases = 16;

/// Redis value types, as the first byte of the stored value.
enum class ValueType : char {
  kString = 's',
  kHash = 'h',
  kList = 'l',
  kSet = 'S',
  kZSet = 'z',
  kStream = 'x',
};

/// Redis's TYPE name of a value type ("string", "hash", ...).
std::string_view TypeName(ValueType type);

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

/// The meta key a store key belongs to (itself for a meta key, the owning key for a subkey);
/// empty when the bytes are not PetaCore's.
std::string_view MetaKeyOf(std::string_view store_key);

/// [start, end) covering every store key of database `db`.
std::string DbStart(int db);
std::string DbEnd(int db);

/// A decoded stored value; `payload` views the stored bytes.
struct ValueView {
  ValueType type;
  int64_t expire_at_ms = 0;  ///< 0 = no expiry
  std::string_view payload;
  /// A string stored in chunks (keyspace/chunked_value.h): `payload` is the chunk reference,
  /// not the bytes; types::ReadString assembles them.
  bool chunked = false;
  /// A collection whose elements live under an incarnation (keyspace/incarnation.h) instead
  /// of under its own meta key: the incarnation id (kIncarnationIdBytes bytes), else empty.
  std::string_view incarnation;
};
/// Length of an incarnation id (the write id of keyspace/chunked_value.h: 8 bytes of
/// wall-clock ms + 8 random bytes).
inline constexpr size_t kIncarnationIdBytes = 16;
/// nullopt when the bytes are not a value PetaCore wrote.
std::optional<ValueView> DecodeValue(std::string_view stored);
/// A string value with no expiry.
std::string EncodeString(std::string_view payload);
/// A value of any type with no expiry (collections: the meta key's value).
std::string EncodeValue(ValueType type, std::string_view payload);
/// A value of any type expiring at `expire_at_ms` (0 = no expiry).
std::string EncodeValue(ValueType type, std::string_view payload, int64_t expire_at_ms);
/// As above, for a collection whose elements live under the incarnation `incarnation`
/// (kIncarnationIdBytes bytes; empty: under the meta key, the plain EncodeValue).
std::string EncodeValue(ValueType type, std::string_view payload, int64_t expire_at_ms,
                        std::string_view incarnation);
/// A string whose payload is a chunk reference (keyspace/chunked_value.h), with the chunked
/// flag set; `expire_at_ms` as EncodeValue.
std::string EncodeChunkedString(std::string_view reference, int64_t expire_at_ms);
/// `stored` (a value PetaCore wrote) with its expire-at replaced (0 clears it); type,
/// payload, the chunked flag and an incarnation are kept. Returns `stored` unchanged when it
/// does not decode.
std::string WithExpire(std::string_view stored, int64_t expire_at_ms);

/// Wall clock, Unix milliseconds (what expire-at values are compared against).
int64_t NowMs();
/// Whether `v` has an expire-at that is at or before `now_ms`.
inline bool Expired(const ValueView& v, int64_t now_ms) {
  return v.expire_at_ms != 0 && v.expire_at_ms <= now_ms;
}
/// Whether `key` is a meta key whose stored `value` has expired at `now_ms` (cheap for the
/// common case: values without the expire flag are rejected on their second byte).
bool IsExpiredMeta(std::string_view key, std::string_view value, int64_t now_ms);

// Collection subkeys: the tag byte after the meta key says which kind of subkey it is. These
// are the only definitions of the tags (docs/encoding.md has the layout).
/// Hash: meta + kHashFieldTag + field -> field value.
inline constexpr char kHashFieldTag = 'f';
/// Set: meta + kSetMemberTag + member -> "".
inline constexpr char kSetMemberTag = 'm';
/// Sorted set: meta + kZSetMemberTag + member -> SortableDouble(score).
inline constexpr char kZSetMemberTag = 'm';
/// Sorted set score index: meta + kZSetScoreTag + SortableDouble(score) + member -> "".
inline constexpr char kZSetScoreTag = 's';
/// List: meta + kListItemTag + SortableInt(index) -> element.
inline constexpr char kListItemTag = 'i';
/// Stream entry: meta + kStreamEntryTag + ms(8) + seq(8), big-endian -> field/value pairs.
inline constexpr char kStreamEntryTag = 'e';
/// Stream consumer group: meta + kStreamGroupTag + group name -> last-delivered ID,
/// entries-read (keyspace/types/stream_group.h).
inline constexpr char kStreamGroupTag = 'g';
/// Stream PEL entry: meta + kStreamPelTag + len(4) + group + ID(16) -> consumer, delivery.
inline constexpr char kStreamPelTag = 'p';
/// Stream consumer: meta + kStreamConsumerTag + len(4) + group + consumer -> seen-time.
inline constexpr char kStreamConsumerTag = 'c';

/// meta_key + tag + element.
std::string SubKey(std::string_view meta_key, char tag, std::string_view element);
/// [meta_key + tag, SubKeyEnd(meta_key, tag)) holds every subkey with that tag.
std::string SubKeyStart(std::string_view meta_key, char tag);
std::string SubKeyEnd(std::string_view meta_key, char tag);
/// End of the whole range of a key: [meta_key, KeyEnd(meta_key)) holds the meta key and every
/// subkey of it, and nothing else (the encoding is prefix-free).
std::string KeyEnd(std::string_view meta_key);
/// The smallest string above every string that starts with `prefix` (raise the last byte that
/// is not 0xFF, dropping those after it; "" — unbounded — when every byte is 0xFF), as etcd's
/// clientv3.GetPrefixRangeEnd. Pure.
std::string PrefixEnd(std::string_view prefix);

/// 8 bytes whose byte order is the numeric order of doubles (-inf < ... < -0 = 0 < ... < +inf):
/// flip every bit of a negative double, set the sign bit of a positive one, big-endian.
/// -0.0 is encoded as 0.0. NaN must not be passed.
std::string SortableDouble(double d);
double DecodeSortableDouble(std::string_view eight_bytes);
/// 8 bytes whose byte order is the numeric order of int64 (sign bit flipped, big-endian).
std::string SortableInt(int64_t v);
int64_t DecodeSortableInt(std::string_view eight_bytes);

}  // namespace petacore::keyspace
