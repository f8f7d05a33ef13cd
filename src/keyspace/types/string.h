// src/keyspace/types/string.h — Redis strings on a TxnView: read a string key, write one
// (clearing or keeping its TTL, replacing a collection of the same name), and the stored form
// of INCRBYFLOAT / HINCRBYFLOAT results. No command parsing or replies (string_family.cc).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "keyspace/types/key.h"

namespace petacore::keyspace::types {

/// A string key as read through a view.
struct StringRead {
  enum class State { kMissing, kOk, kWrongType };
  State state = State::kMissing;
  std::string_view value;  ///< valid until the next write of the key in the same view
  bool missing() const { return state == State::kMissing; }
  bool ok() const { return state == State::kOk; }
  bool wrong_type() const { return state == State::kWrongType; }
};

/// Reads the string at `store_key` (recorded as a read for the commit's compares).
StringRead ReadString(TxnView& txn, std::string_view store_key);

/// Buffers `value` as the new string at `store_key`: clearing any TTL, as Redis SET does, or
/// with `keep_ttl` keeping the current one (INCR, APPEND, SETRANGE modify in place). A
/// collection stored under the same key is replaced whole (its subkeys deleted). Returns
/// whether the key did not exist before (Redis's dbAdd rather than dbOverwrite: the "new"
/// keyspace notification).
bool WriteString(TxnView& txn, const std::string& store_key, std::string_view value,
                 bool keep_ttl = false);
/// As WriteString, with the expire-at `expire_at_ms` (Unix ms, 0 = none). Blind when the
/// view has not touched `store_key` and keyspace events are off (TxnView::notify_flags() 0):
/// the key's range is deleted and the meta key put without a read (no compare), and the
/// return value is false whether or not the key existed.
bool WriteStringExpire(TxnView& txn, const std::string& store_key, std::string_view value,
                       int64_t expire_at_ms);

/// A long double as Redis stores and replies INCRBYFLOAT and HINCRBYFLOAT results ("%.17Lf"
/// with trailing zeros and a bare '.' removed: 10.5 + 0.1 gives "10.6"; Redis's ld2string in
/// its LD_STR_HUMAN mode).
std::string FormatLongDouble(long double v);

}  // namespace petacore::keyspace::types
