// src/commands/context.h — what a handler gets: its arguments, a transaction view, a reply
// writer, the connection's session and a narrow view of the server (server_view.h). Nothing
// here, nor in any handler, includes a src/server/ header (the layering check enforces it).
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "client/session.h"
#include "commands/errors.h"  // the error texts handlers reply (kErrWrongType, ...)
#include "commands/server_view.h"
#include "keyspace/messages.h"  // keyspace::notify classes for Notify
#include "keyspace/txn_view.h"
#include "resp/reply.h"

namespace petacore::commands {

/// A blocking command (BLPOP, BZPOPMIN, ...) that found nothing to take asks the Driver to park
/// it: set `requested`, the store keys to wait on, and the timeout. The Driver re-runs the
/// handler when one of the keys changes (on any node: the watch delivers it) and answers a
/// null array at the timeout.
struct BlockRequest {
  bool requested = false;
  std::vector<std::string> keys;  ///< store (meta) keys
  int64_t timeout_ms = 0;         ///< 0 = wait forever
  /// Kept across the re-runs of one parked command (the rest is reset before each run):
  /// what the first run resolved and later runs must not resolve again (XREAD's `$`).
  std::string resume_state;
  /// The reply at the timeout, as RESP bytes in the client's protocol; empty = a null array
  /// (BLPOP ...). WAIT sets its count of nodes here at every run.
  std::string timeout_reply;
};

/// One handler invocation. Everything is borrowed for the duration of the call.
struct CommandContext {
  std::span<const std::string_view> args;
  keyspace::TxnView& txn;
  resp::ReplyWriter& out;
  client::Session& session;
  /// The server facts and registries admin commands need (INFO, CLIENT, CONFIG, ACL, ...).
  ServerView& server;
  /// Non-null when the command may block (never inside EXEC, where Redis's blocking commands
  /// answer at once).
  BlockRequest* block = nullptr;

  /// Set only for a command that runs alone in a Job (not inside EXEC, not on the read
  /// path): a handler may store a function here that writes the reply once the commit is
  /// applied on this node, replacing what the handler wrote (PUBLISH's cluster-wide receiver
  /// count, SUBSCRIBE's confirmations). Not run when the commit fails (the error is replied).
  /// `revision`: the commit's etcd revision (0 when it changed nothing).
  std::function<void(resp::ReplyWriter&, int64_t revision)>* after_commit = nullptr;

  /// The store key of a user key in the selected database.
  std::string Key(std::string_view user_key) const;

  /// Raises keyspace notification `event` (Redis's event name: "set", "hset", "expired", ...)
  /// of class `type` (keyspace::notify::kString, ...) on `user_key` in the selected database,
  /// as Redis's notifyKeyspaceEvent: when notify-keyspace-events enables the class, the
  /// messages ride this command's commit and are delivered on every node in its revision.
  /// Call it where Redis does, after the change, in Redis's order.
  void Notify(int type, std::string_view event, std::string_view user_key) const;
  /// The same for database `db` (MOVE, COPY ... DB, SWAPDB).
  void NotifyIn(int db, int type, std::string_view event, std::string_view user_key) const;
};

/// Redis's string2ll: strict decimal (no spaces, no '+', no leading zeros), fits int64.
bool ParseInt64(std::string_view s, int64_t* out);
/// Redis's string2ld-like: strtold over the whole string, no spaces, not NaN.
bool ParseLongDouble(std::string_view s, long double* out);
/// ASCII case-insensitive equality.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace petacore::commands
