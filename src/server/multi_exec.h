// src/server/multi_exec.h — the driver's side of MULTI/EXEC (as Redis's multi.c): queuing
// commands after MULTI, EXEC's aborts (EXECABORT, a changed WATCHed key) and EXEC as one Job.
// The commands themselves (MULTI, EXEC outside MULTI, DISCARD, WATCH, UNWATCH) are handlers in
// src/commands/txn_family.cc; the per-connection state is Session's MULTI fields.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "commands/table.h"
#include "mvcc/store.h"
#include "resp/reply.h"
#include "server/server_state.h"
#include "client/session.h"

namespace petacore::server {

struct Job;

/// Whether `spec` run now ends `session`'s transaction: EXEC while inside MULTI (outside, EXEC
/// is an ordinary command whose handler answers "ERR EXEC without MULTI").
bool EndsTransaction(const commands::CommandSpec& spec, const client::Session& session);

/// Inside MULTI, every command but MULTI, EXEC, DISCARD, WATCH (flag no-queue) is queued and
/// answered +QUEUED, as Redis's queueMultiCommand; returns whether `args` was queued. Copies
/// the arguments (they outlive the request buffer). Connection's thread.
bool QueueIfInMulti(const commands::CommandSpec& spec, client::Session& session,
                    std::span<const std::string_view> args, resp::ReplyWriter& out);

/// EXEC's checks before anything runs, as Redis 7: over maxmemory with a denyoom command
/// queued, "EXECABORT Transaction discarded because of: OOM ..."; after a rejected queued
/// command, "EXECABORT Transaction discarded because of previous errors.". Either answers
/// `out`, ends the transaction and returns true. Precondition: EndsTransaction.
bool RejectExec(client::Session& session, const ServerState& state, resp::ReplyWriter& out);

/// Turns `job` into the EXEC of `session`'s queue: the WATCHed keys become its guards (and
/// linearizable reads fence it, whatever its queue), its
/// body runs every queued command in order on one view (ACL checked per command, as Redis),
/// and, when `with_keys`, job->keys gets every store key a queued write names (a queued
/// SELECT moves the following commands' database). Leaves MULTI (the queue runs now, it is
/// not re-queued); the job's Finish ends the transaction (Session::EndTransaction). The queue must
/// stay untouched until then (the connection runs nothing else meanwhile).
void PrepareExec(Job& job, client::Session& session, bool with_keys);

/// Whether every WATCHed key still has the mod_revision it had when watched, in `snap`
/// (0 = absent). True for no guards. A false means EXEC answers a null array at once.
bool WatchedKeysUnchanged(const mvcc::Snapshot& snap, const std::map<std::string, int64_t>& guards);

}  // namespace petacore::server
