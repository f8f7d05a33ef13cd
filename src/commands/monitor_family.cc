// monitor_family.cc — MONITOR, as Redis 7.0: the connection then receives a line per command
// this node runs (server/monitor.h); the other nodes' commands are not shown
// (docs/consistency.md). The client stays a monitor until it disconnects or sends RESET.
#include "commands/context.h"
#include "commands/table.h"

namespace petacore::commands {
namespace {

void Monitor(CommandContext& ctx) {
  // As Redis: inside EXEC (a client that expects one reply per command) it is refused.
  if (ctx.session.in_multi || !ctx.session.queued.empty()) {  // queued: EXEC runs them
    return ctx.out.Error("ERR MONITOR isn't allowed for DENY BLOCKING client");
  }
  if (ctx.session.monitor.load()) return;  // as Redis: a second MONITOR is ignored, no reply
  ctx.server.Observe().StartMonitor(ctx.session);
  ctx.out.Ok();
}

}  // namespace

void RegisterMonitorFamily(CommandTable& t) {
  t.Add({.name = "monitor",
         .arity = 1,
         .flags = kAdmin | kNoScript | kLoading | kStale,
         .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
         .handler = Monitor});
}

}  // namespace petacore::commands
