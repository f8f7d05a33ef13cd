// src/server/memory_limit.h — maxmemory: with Redis's noeviction policy, over the limit, commands
// flagged denyoom are refused with Redis's OOM error; reads and deletes go on. Under an
// eviction policy (issue 17, expiry/evictor.h) writes go on while eviction frees memory, and
// are refused only when it cannot (volatile-* with no key with a TTL).
#pragma once

#include <string_view>

#include "commands/table.h"
#include "resp/reply.h"
#include "server/server_state.h"
#include "client/session.h"

namespace petacore::server {

/// Redis's shared.oomerr text (server.c), without the leading '-'.
inline constexpr std::string_view kOomError =
    "OOM command not allowed when used memory > 'maxmemory'.";

/// The "used memory" maxmemory is compared with: the mvcc store's accounted bytes (keys,
/// values, versions and index nodes), the figure INFO reports as used_memory. Not the
/// allocator's or the RSS: those include connection buffers and allocator slack that no write
/// refusal can give back, and the store's figure is what every node of a replicated cluster
/// holds alike. An atomic load: cheap enough for every write command. Thread-safe.
size_t UsedMemory(const ServerState& state);

/// Whether config.maxmemory > 0 and UsedMemory > maxmemory. Thread-safe.
bool OverMaxmemory(const ServerState& state);

/// As Redis's processCommand: when OverMaxmemory and the policy is noeviction (or eviction
/// cannot free memory: EvictionCannotFree in memory_limit.cc), a denyoom command is refused — Redis's OOM error is written to `out` and true returned; inside MULTI
/// the refusal also flags the transaction (EXEC then answers EXECABORT). EXEC of a
/// transaction is decided by RejectExec (multi_exec.h): denyoom when a queued command is. In
/// replicated mode each node checks its own replica. Runs on the connection's thread (touches
/// `session`).
bool RejectIfOverMaxmemory(const commands::CommandSpec& spec, client::Session& session,
                           const ServerState& state, resp::ReplyWriter& out);

}  // namespace petacore::server
