// src/commands/key_access.h — type-checked access to a Redis key of any type through the
// TxnView: its meta key, its subkeys, and deleting it whole.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "commands/context.h"
#include "keyspace/encoding.h"

namespace petacore::commands {

/// The meta key of a Redis key as a handler sees it.
struct KeyRead {
  enum class State { kMissing, kOk, kWrongType };
  State state = State::kMissing;
  std::string meta_key;       ///< store key of the Redis key (selected db)
  keyspace::ValueView value;  ///< kOk: type, expire-at and payload (views into the view)
  bool missing() const { return state == State::kMissing; }
  bool ok() const { return state == State::kOk; }
  bool wrong_type() const { return state == State::kWrongType; }
};

/// Reads `user_key` in the selected db expecting `type`; the read is recorded (the commit
/// compares the meta key's mod_revision), so a concurrent DEL or type change retries.
KeyRead ReadKey(CommandContext& ctx, std::string_view user_key, keyspace::ValueType type);

/// The type of the key stored at `meta_key`, or nullopt when absent. Recorded as a read.
std::optional<keyspace::ValueType> KeyType(CommandContext& ctx, const std::string& meta_key);

/// Deletes the key at `meta_key` whatever its type: the meta key and, for collections, every
/// subkey (one DeleteRange). Returns whether it existed.
bool DeleteKey(CommandContext& ctx, const std::string& meta_key);

/// Visits the subkeys of `meta_key` with `tag` in byte order: fn(element, value) until false.
/// Served from the local replica (plus the view's own writes); not recorded as reads — the
/// meta key's compare guards the collection as a whole.
void ScanSubkeys(CommandContext& ctx, const std::string& meta_key, char tag,
                 const std::function<bool(std::string_view element, std::string_view value)>& fn);

/// The expire-at (Unix ms, 0 = none) of the live key at `meta_key`; 0 when absent or expired.
int64_t CurrentExpireAt(CommandContext& ctx, const std::string& meta_key);

/// Sets the meta key of a collection to `payload` (type `type`), keeping the expire-at of the
/// key it rewrites (none for a new key, or after DeleteKey).
void WriteMeta(CommandContext& ctx, const std::string& meta_key, keyspace::ValueType type,
               std::string_view payload = {});

}  // namespace petacore::commands
