// src/commands/notify.h — what the write families share to raise Redis's keyspace
// notifications (issue 13): arming the TxnView for lazy expiry's "expired", and the "new" of a
// key a write creates. The events themselves go through CommandContext::Notify, called where
// Redis calls notifyKeyspaceEvent (t_*.c, db.c, expire.c of Redis 7.0), in Redis's order.
//
// Where PetaCore differs from Redis 7.0:
// - "keymiss" (class m) is never raised: read commands take the read path and commit nothing.
// - "expired" of a key a write command finds expired but does not write (LPOP or DEL of an
//   expired key) is not raised by that command: active expiry raises it when it deletes the
//   key, so it comes later in the stream than in Redis, still once per key cluster-wide.
// - "evicted" (class e) is never raised: PetaCore does not evict.
#pragma once

#include <string_view>

#include "commands/context.h"
#include "commands/table.h"
#include "keyspace/messages.h"

namespace petacore::commands {

/// Wraps a write handler for registration (`.handler = WithKeyEvents<Set>`): before it runs,
/// the TxnView learns the notify-keyspace-events flags in force, so a key the command finds
/// expired and overwrites raises "expired" first (TxnView::set_notify_flags), as Redis's
/// lookupKeyWrite. Costs one relaxed load when notifications are off.
template <Handler F>
void WithKeyEvents(CommandContext& ctx) {
  ctx.txn.set_notify_flags(ctx.server.Options().notify_keyspace_flags);
  F(ctx);
}

/// Whether notifications are on for this command (WithKeyEvents armed the view): a handler
/// skips the extra reads an event needs when they are off.
inline bool Notifying(const CommandContext& ctx) { return ctx.txn.notify_flags() != 0; }

/// Redis's dbAdd: "new" (class n) on `user_key` of the selected database. Call it when a
/// write creates a key that did not exist, before the command's own event.
inline void NotifyNew(const CommandContext& ctx, std::string_view user_key) {
  ctx.Notify(keyspace::notify::kNew, "new", user_key);
}

/// The generic "del" (class g) of a key a command deleted or emptied.
inline void NotifyDel(const CommandContext& ctx, std::string_view user_key) {
  ctx.Notify(keyspace::notify::kGeneric, "del", user_key);
}

/// After a pop or remove: "del" on `user_key` when the command left `meta_key` (its store
/// key) without elements — Redis deletes an emptied collection and says so.
inline void NotifyDelIfGone(const CommandContext& ctx, std::string_view user_key,
                            std::string_view meta_key) {
  if (Notifying(ctx) && !ctx.txn.Get(meta_key)) NotifyDel(ctx, user_key);
}

/// A command that stores a result in `user_key` (SINTERSTORE, ZUNIONSTORE, ZRANGESTORE ...)
/// as Redis's setKey, or dbDelete for an empty result: "new" (when the key did not exist)
/// then `event` (class `type`) when something was stored; "del" when an empty result removed
/// a key that existed; nothing otherwise.
inline void NotifyStore(const CommandContext& ctx, int type, std::string_view event,
                        std::string_view user_key, bool existed, bool stored) {
  if (stored) {
    if (!existed) NotifyNew(ctx, user_key);
    ctx.Notify(type, event, user_key);
  } else if (existed) {
    NotifyDel(ctx, user_key);
  }
}

}  // namespace petacore::commands
