// shutdown_family.cc — SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT], as Redis 7.0's
// shutdownCommand: the same argument checks and errors, then a clean stop exactly as SIGTERM
// does (ServerView::Shutdown: io threads stopped, connections closed, the expiry and pub/sub
// leases revoked, exit code 0). The client sees its connection close, without a reply, as
// Redis. etcd holds the data, so SAVE writes nothing and NOSAVE loses nothing; NOW and FORCE
// change nothing either (no replicas to wait for, no save that could fail).
#include "commands/context.h"
#include "commands/lua_busy.h"
#include "commands/table.h"

namespace petacore::commands {

namespace {

void Shutdown(CommandContext& ctx) {
  bool nosave = false, save = false, now = false, abort = false, others = false;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    std::string_view a = ctx.args[i];
    if (EqualsIgnoreCase(a, "nosave")) {
      nosave = others = true;
    } else if (EqualsIgnoreCase(a, "save")) {
      save = others = true;
    } else if (EqualsIgnoreCase(a, "now")) {
      now = others = true;
    } else if (EqualsIgnoreCase(a, "force")) {
      others = true;
    } else if (EqualsIgnoreCase(a, "abort")) {
      abort = true;
    } else {
      return ctx.out.Error(kErrSyntax);
    }
  }
  if ((abort && others) || (nosave && save)) return ctx.out.Error(kErrSyntax);
  // A stop never waits here (nothing to save, no replicas to catch up), so none is ever in
  // progress when ABORT comes.
  if (abort) return ctx.out.Error("ERR No shutdown in progress.");
  // Redis's CLIENT_DENY_BLOCKING: a script or a MULTI client (never here: SHUTDOWN is
  // noscript and no-multi, both rejected before the handler).
  (void)now;
  // A busy script: only SHUTDOWN NOSAVE may stop the node, as Redis.
  if (!nosave) {
    if (std::string_view busy = lua::BusyError(); !busy.empty()) return ctx.out.Error(busy);
  }
  ctx.session.close_after_reply = true;
  ctx.server.Shutdown();
}

}  // namespace

void RegisterShutdownFamily(CommandTable& t) {
  t.Add({.name = "shutdown",
         .arity = -1,
         .flags = kAdmin | kNoScript | kLoading | kStale | kNoMulti | kAllowBusy,
         .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
         .handler = Shutdown});
}

}  // namespace petacore::commands
