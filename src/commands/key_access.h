// src/commands/key_access.h — the commands' side of keyspace/types/key.h: a user key of the
// selected database, read through the handler's TxnView. Everything else a family needs of a
// key (delete, subkeys, meta rewrite) is keyspace::types, called with ctx.txn.
#pragma once

#include <string_view>

#include "commands/context.h"
#include "keyspace/types/key.h"

namespace petacore::commands {

using keyspace::types::KeyRead;

/// Reads `user_key` in the selected db expecting `type` (keyspace::types::ReadKey: a recorded
/// read, so a concurrent DEL or type change retries the command).
inline KeyRead ReadKey(CommandContext& ctx, std::string_view user_key, keyspace::ValueType type) {
  return keyspace::types::ReadKey(ctx.txn, ctx.Key(user_key), type);
}

}  // namespace petacore::commands
