// slowlog_family.cc — SLOWLOG GET / LEN / RESET / HELP, as Redis 7.0's slowlog.c, over this
// node's slow log (ServerView::Observe; server/slowlog.h). docs/operations.md "Observability".
#include <string>

#include "commands/context.h"
#include "commands/table.h"

namespace petacore::commands {
namespace {

// SLOWLOG GET [count]: the newest `count` entries (default 10, -1 = all), each
// [id, unix time, µs, [args...], "ip:port", client name].
void SlowlogGet(CommandContext& ctx) {
  if (ctx.args.size() > 3) return ctx.out.Error(ErrSubcommandSyntax(ctx.args[1], "SLOWLOG"));
  int64_t count = 10;
  if (ctx.args.size() == 3 && (!ParseInt64(ctx.args[2], &count) || count < -1)) {
    return ctx.out.Error("ERR count should be greater than or equal to -1");
  }
  auto entries = ctx.server.Observe().SlowlogGet(count);
  ctx.out.ArrayHeader(entries.size());
  for (const auto& e : entries) {
    ctx.out.ArrayHeader(6);
    ctx.out.Integer(e.id);
    ctx.out.Integer(e.time_s);
    ctx.out.Integer(e.duration_us);
    ctx.out.ArrayHeader(e.args.size());
    for (const auto& a : e.args) ctx.out.Bulk(a);
    ctx.out.Bulk(e.addr);
    ctx.out.Bulk(e.name);
  }
}

void SlowlogLen(CommandContext& ctx) { ctx.out.Integer(ctx.server.Observe().SlowlogLen()); }

void SlowlogReset(CommandContext& ctx) {
  ctx.server.Observe().SlowlogReset();
  ctx.out.Ok();
}

void SlowlogHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GET [<count>]",
      "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
      "    Entries are made of:",
      "    id, timestamp, time in microseconds, arguments array, client IP and port,",
      "    client name",
      "LEN",
      "    Return the length of the slowlog.",
      "RESET",
      "    Reset the slowlog.",
      "HELP",
      "    Prints this help."};
  ctx.out.ArrayHeader(std::size(kLines));
  for (auto line : kLines) ctx.out.Simple(line);
}

}  // namespace

void RegisterSlowlogFamily(CommandTable& t) {
  t.Add({.name = "slowlog",
         .arity = -2,
         .flags = 0,
         .acl = acl::kSlow,
         .subcommands = {{.name = "get",
                          .arity = -2,
                          .flags = kAdmin | kLoading | kStale,
                          .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                          .tips = {"request_policy:all_nodes", "nondeterministic_output"},
                          .handler = SlowlogGet},
                         {.name = "help",
                          .arity = 2,
                          .flags = kLoading | kStale,
                          .acl = acl::kSlow,
                          .handler = SlowlogHelp},
                         {.name = "len",
                          .arity = 2,
                          .flags = kAdmin | kLoading | kStale,
                          .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                          .tips = {"request_policy:all_nodes", "response_policy:agg_sum",
                                   "nondeterministic_output"},
                          .handler = SlowlogLen},
                         {.name = "reset",
                          .arity = 2,
                          .flags = kAdmin | kLoading | kStale,
                          .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                          .tips = {"request_policy:all_nodes", "response_policy:all_succeeded"},
                          .handler = SlowlogReset}}});
}

}  // namespace petacore::commands
