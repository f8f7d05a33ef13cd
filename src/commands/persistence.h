// src/commands/persistence.h — the node's record of Redis's "saves" (SAVE, BGSAVE,
// BGREWRITEAOF in persistence_family.cc), read by LASTSAVE and INFO persistence.
//
// etcd holds PetaCore's durable state, so a save writes no file: it records when it was asked
// for and the replica's applied etcd revision at that moment (docs/operations.md, "SAVE,
// BGSAVE, LASTSAVE"). Node-local, as Redis's lastsave is per server.
#pragma once

#include <cstdint>

namespace petacore::commands {

/// What the last save recorded. `time_s` is 0 and `revision` 0 until the first save.
struct SaveRecord {
  int64_t time_s = 0;       ///< unix seconds of the last SAVE / BGSAVE
  int64_t revision = 0;     ///< the applied etcd revision then
  int64_t aof_rewrites = 0; ///< BGREWRITEAOF calls since start
  int64_t saves = 0;        ///< SAVE / BGSAVE calls since start
};

/// The node's save record. Thread-safe (one mutex).
SaveRecord LastSave();

}  // namespace petacore::commands
