// persistence_family.cc — SAVE, BGSAVE [SCHEDULE], BGREWRITEAOF, LASTSAVE, as Redis 7.0.15
// answers them after a successful save (rdb.c saveCommand / bgsaveCommand, aof.c
// bgrewriteaofCommand, server.c lastsaveCommand).
//
// etcd holds the durable state: every acknowledged write is already in etcd's raft log and
// backend, so there is nothing to save. A save records its time (LASTSAVE,
// rdb_last_save_time) and the node's applied revision (rdb_changes_since_last_save counts the
// etcd revisions since); it writes no file and takes no etcd snapshot (an operator backs etcd
// up with `etcdctl snapshot save`, docs/operations.md).
#include <chrono>
#include <mutex>

#include "commands/context.h"
#include "commands/persistence.h"
#include "commands/table.h"

namespace petacore::commands {
namespace {

std::mutex save_mu;
SaveRecord save_record;

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void RecordSave(CommandContext& ctx) {
  int64_t revision = ctx.server.Stats().applied_revision;
  std::lock_guard lock(save_mu);
  save_record.time_s = NowSeconds();
  save_record.revision = revision;
  ++save_record.saves;
}

// SAVE
void Save(CommandContext& ctx) {
  RecordSave(ctx);
  ctx.out.Ok();
}

// BGSAVE [SCHEDULE]: the save is done before the reply, so SCHEDULE never has to wait for an
// AOF rewrite and answers as a started save.
void BgSave(CommandContext& ctx) {
  if (ctx.args.size() > 2 ||
      (ctx.args.size() == 2 && !EqualsIgnoreCase(ctx.args[1], "schedule"))) {
    return ctx.out.Error(kErrSyntax);
  }
  RecordSave(ctx);
  ctx.out.Simple("Background saving started");
}

// BGREWRITEAOF: there is no AOF; counted only.
void BgRewriteAof(CommandContext& ctx) {
  {
    std::lock_guard lock(save_mu);
    ++save_record.aof_rewrites;
  }
  ctx.out.Simple("Background append only file rewriting started");
}

// LASTSAVE: the last save's unix time; before any, the server's start (as Redis, whose
// lastsave starts at its boot time).
void LastSaveCommand(CommandContext& ctx) {
  SaveRecord r = LastSave();
  ctx.out.Integer(r.time_s != 0 ? r.time_s : ctx.server.Stats().start_ms / 1000);
}

}  // namespace

SaveRecord LastSave() {
  std::lock_guard lock(save_mu);
  return save_record;
}

void RegisterPersistenceFamily(CommandTable& t) {
  t.Add({.name = "save",
         .arity = 1,
         .flags = kAdmin | kNoScript | kNoAsyncLoading | kNoMulti,
         .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
         .handler = Save})
      .Add({.name = "bgsave",
            .arity = -1,
            .flags = kAdmin | kNoScript | kNoAsyncLoading,
            .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
            .handler = BgSave})
      .Add({.name = "bgrewriteaof",
            .arity = 1,
            .flags = kAdmin | kNoScript | kNoAsyncLoading,
            .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
            .handler = BgRewriteAof})
      .Add({.name = "lastsave",
            .arity = 1,
            .flags = kLoading | kStale | kFast,
            .acl = acl::kAdmin | acl::kFast | acl::kDangerous,
            .tips = {"nondeterministic_output"},
            .handler = LastSaveCommand});
}

}  // namespace petacore::commands
