// txn_family.cc — MULTI, EXEC, DISCARD, WATCH, UNWATCH (as Redis multi.c): the command side.
// The driver's side (src/server/multi_exec.h) queues commands after MULTI, answers EXECABORT
// and runs EXEC as one Job (one commit, the WATCHed keys as guards), so the Exec handler here
// only answers the case Redis rejects outright. The state is Session's MULTI fields.
#include "commands/context.h"
#include "commands/table.h"

namespace petacore::commands {
namespace {

/// EXEC outside MULTI (inside, the driver runs the queue instead of this handler: the spec's
/// kRunsQueue flag says so).
void Exec(CommandContext& ctx) { ctx.out.Error("ERR EXEC without MULTI"); }

void Multi(CommandContext& ctx) {
  if (ctx.session.in_multi) return ctx.out.Error("ERR MULTI calls can not be nested");
  ctx.session.in_multi = true;
  ctx.out.Ok();
}

void Discard(CommandContext& ctx) {
  if (!ctx.session.in_multi) return ctx.out.Error("ERR DISCARD without MULTI");
  ctx.session.EndTransaction();
  ctx.out.Ok();
}

// WATCH key...: remembers each key's mod_revision in this node's snapshot; EXEC commits only
// if etcd still has those revisions (an etcd Compare per key).
void Watch(CommandContext& ctx) {
  if (ctx.session.in_multi) return ctx.out.Error("ERR WATCH inside MULTI is not allowed");
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    std::string key = ctx.Key(ctx.args[i]);
    if (ctx.session.watched.count(key)) continue;
    int64_t rev = ctx.txn.ModRevision(key);
    ctx.session.watched.emplace(std::move(key), rev);
  }
  ctx.out.Ok();
}

void Unwatch(CommandContext& ctx) {
  // Queued inside MULTI it runs during EXEC (the only time `queued` is non-empty while a
  // handler runs). Redis checks the watches before running the queue, so there it changes
  // nothing: EXEC still needs them for its own check and clears them afterwards.
  if (!ctx.session.queued.empty()) return ctx.out.Ok();
  ctx.session.watched.clear();
  ctx.out.Ok();
}

}  // namespace

void RegisterTxnFamily(CommandTable& t) {
  t.Add({.name = "multi",
         .arity = 1,
         .flags = kNoScript | kLoading | kStale | kFast | kAllowBusy | kNoQueue,
         .acl = acl::kFast | acl::kTransaction,
         .handler = Multi})
      .Add({.name = "exec",
            .arity = 1,
            .flags = kNoScript | kLoading | kStale | kSkipSlowlog | kNoQueue | kRunsQueue,
            .acl = acl::kSlow | acl::kTransaction,
            .handler = Exec})
      .Add({.name = "discard",
            .arity = 1,
            .flags = kNoScript | kLoading | kStale | kFast | kAllowBusy | kNoQueue,
            .acl = acl::kFast | acl::kTransaction,
            .handler = Discard})
      .Add({.name = "watch",
            .arity = -2,
            .flags = kNoScript | kLoading | kStale | kFast | kAllowBusy | kNoQueue,
            .acl = acl::kFast | acl::kTransaction,
            .key_specs = {{.flags = kKeyRO, .begin = Index(1), .find = Range(-1, 1, 0)}},
            .handler = Watch})
      .Add({.name = "unwatch",
            .arity = 1,
            .flags = kNoScript | kLoading | kStale | kFast | kAllowBusy,
            .acl = acl::kFast | acl::kTransaction,
            .handler = Unwatch});
}

}  // namespace petacore::commands
