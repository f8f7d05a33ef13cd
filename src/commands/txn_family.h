// src/commands/txn_family.h — what txn_family.cc offers beyond its table entries: the EXEC
// handler, which the Driver recognises (it runs a client's queued commands itself).
#pragma once

#include "commands/context.h"

namespace petacore::commands {

/// EXEC's handler as the table holds it: it only answers "ERR EXEC without MULTI" (Redis's
/// text), since the Driver runs EXEC inside MULTI itself. Compared by address with
/// CommandSpec::handler.
void Exec(CommandContext& ctx);

}  // namespace petacore::commands
