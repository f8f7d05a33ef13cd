// src/commands/dump_store.h — moving a whole Redis value between the key space and its
// detached form (rdb_object.h's DumpValue), for DUMP, RESTORE and MIGRATE. Reads go through
// the type layer's readers (recorded as the type's commands record them), writes through its
// normal writers (HashSet, SetAdd, ZSetAdd, ListHandle, StreamPutEntry ...), so the store
// encoding, the collection meta-key rule and etcd's limits apply as for any write; the whole
// value is written in the command's one commit. Not thread-safe (one TxnView).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "commands/rdb_object.h"
#include "keyspace/txn_view.h"

namespace petacore::commands {

/// The value at `meta_key` (any type), or nullopt when the key is absent or expired.
std::optional<rdb::DumpValue> ReadDumpValue(keyspace::TxnView& txn, const std::string& meta_key);

/// Creates the key `meta_key`, which must be absent in the view (deleted before), holding
/// `v`, with expire-at `expire_at_ms` (Unix ms, 0 = none; the caller has checked it is in the
/// future).
void WriteDumpValue(keyspace::TxnView& txn, const std::string& meta_key, const rdb::DumpValue& v,
                    int64_t expire_at_ms);

}  // namespace petacore::commands
