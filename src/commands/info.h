// src/commands/info.h — INFO's handler (info.cc), registered by the server family.
#pragma once

#include "commands/context.h"

namespace petacore::commands {

/// INFO [section ...]: Redis's sections (server, clients, memory, stats, keyspace) plus
/// "petacore"; the facts come from ctx.server (ServerView) and the keyspace from ctx.txn.
void Info(CommandContext& ctx);

}  // namespace petacore::commands
