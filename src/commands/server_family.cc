// server_family.cc — connection and server commands: PING, ECHO, QUIT, HELLO, CLIENT,
// COMMAND, CONFIG GET. INFO lives in info.cc.
#include <unistd.h>

#include <bit>
#include <cctype>
#include <chrono>
#include <initializer_list>
#include <map>

#include "auth/categories.h"
#include "commands/acl_family.h"
#include "commands/context.h"
#include "commands/glob.h"
#include "commands/info.h"
#include "commands/table.h"
#include "keyspace/encoding.h"

namespace petacore::commands {

namespace {

constexpr std::string_view kRedisVersion = "7.0.0";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

/// A container command's subcommand check with Redis 7's errors: "unknown subcommand 'x'.
/// Try CLIENT HELP." or "wrong number of arguments for 'client|setname' command". `subs`
/// holds each subcommand's arity in Redis's convention (the container name counting).
bool SubcommandOk(CommandContext& ctx,
                  std::initializer_list<std::pair<std::string_view, int>> subs) {
  auto sub = ctx.args[1];
  for (const auto& [name, arity] : subs) {
    if (!EqualsIgnoreCase(sub, name)) continue;
    int argc = static_cast<int>(ctx.args.size());
    if (arity > 0 ? argc == arity : argc >= -arity) return true;
    ctx.out.Error("ERR wrong number of arguments for '" + Lower(ctx.args[0]) + "|" +
                  std::string(name) + "' command");
    return false;
  }
  ctx.out.Error("ERR unknown subcommand '" + std::string(sub.substr(0, 128)) + "'. Try " +
                Upper(ctx.args[0]) + " HELP.");
  return false;
}

void Ping(CommandContext& ctx) {
  if (ctx.args.size() > 2) {
    return ctx.out.Error("ERR wrong number of arguments for 'ping' command");
  }
  if (ctx.args.size() == 2) return ctx.out.Bulk(ctx.args[1]);
  ctx.out.Simple("PONG");
}

void Echo(CommandContext& ctx) { ctx.out.Bulk(ctx.args[1]); }

// TIME — as Redis: the node's clock as [unix seconds, microseconds], two bulk strings.
void Time(CommandContext& ctx) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  ctx.out.ArrayHeader(2);
  ctx.out.Bulk(std::to_string(us / 1000000));
  ctx.out.Bulk(std::to_string(us % 1000000));
}

void Quit(CommandContext& ctx) {
  ctx.session.close_after_reply = true;
  ctx.out.Ok();
}

bool ValidClientName(std::string_view name) {
  for (char c : name) {
    if (c < '!' || c > '~') return false;  // Redis allows printable ASCII without spaces
  }
  return true;
}

void SetName(CommandContext& ctx, std::string_view name) {
  std::lock_guard lock(ctx.server.ClientsMutex());
  ctx.session.name = std::string(name);
}

// HELLO [protover [AUTH username password] [SETNAME clientname]] — RESP2 only for now.
void Hello(CommandContext& ctx) {
  size_t i = 1;
  if (ctx.args.size() >= 2) {
    int64_t ver;
    if (!ParseInt64(ctx.args[1], &ver)) {
      return ctx.out.Error("ERR Protocol version is not an integer or out of range");
    }
    if (ver != 2) return ctx.out.Error("NOPROTO unsupported protocol version");
    i = 2;
  }
  std::string_view new_name;
  bool set_name = false;
  const std::string_view* credentials = nullptr;  // username, password
  for (; i < ctx.args.size(); ++i) {
    if (EqualsIgnoreCase(ctx.args[i], "auth") && i + 2 < ctx.args.size()) {
      credentials = &ctx.args[i + 1];
      i += 2;
    } else if (EqualsIgnoreCase(ctx.args[i], "setname") && i + 1 < ctx.args.size()) {
      new_name = ctx.args[++i];
      set_name = true;
    } else {
      return ctx.out.Error("ERR Syntax error in HELLO option '" + std::string(ctx.args[i]) + "'");
    }
  }
  if (!HelloAuthenticate(ctx, credentials)) return;
  if (set_name) {
    if (!ValidClientName(new_name)) {
      return ctx.out.Error(
          "ERR Client names cannot contain spaces, newlines or special characters.");
    }
    SetName(ctx, new_name);
  }
  ctx.out.MapHeader(7);
  ctx.out.Bulk("server");
  ctx.out.Bulk("redis");
  ctx.out.Bulk("version");
  ctx.out.Bulk(kRedisVersion);
  ctx.out.Bulk("proto");
  ctx.out.Integer(2);
  ctx.out.Bulk("id");
  ctx.out.Integer(ctx.session.id);
  ctx.out.Bulk("mode");
  ctx.out.Bulk("standalone");
  ctx.out.Bulk("role");
  ctx.out.Bulk("master");
  ctx.out.Bulk("modules");
  ctx.out.ArrayHeader(0);
}

std::string ClientLine(const server::Session& s, int64_t now_ms) {
  std::string line;
  line += "id=" + std::to_string(s.id) + " addr=" + s.addr + " laddr=" + s.laddr +
          " fd=0 name=" + s.name + " age=" + std::to_string((now_ms - s.created_ms) / 1000) +
          " idle=" + std::to_string((now_ms - s.last_command_ms.load()) / 1000) + " flags=" +
          (s.in_multi ? "x" : "N") + " db=" + std::to_string(s.db) +
          " sub=0 psub=0 ssub=0 multi=" +
          (s.in_multi ? std::to_string(s.queued.size()) : std::string("-1")) +
          " qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 "
          "tot-mem=0 events=r cmd=" +
          s.last_command.load() + " user=" + s.user_name +
          " redir=-1 resp=" + std::to_string(s.protocol) + " lib-name=" + s.lib_name +
          " lib-ver=" + s.lib_ver + "\n";
  return line;
}

void Client(CommandContext& ctx) {
  auto sub = ctx.args[1];
  if (!SubcommandOk(ctx, {{"id", 2}, {"getname", 2}, {"setname", 3}, {"setinfo", 4},
                          {"list", -2}, {"info", 2}})) {
    return;
  }
  if (EqualsIgnoreCase(sub, "id") && ctx.args.size() == 2) return ctx.out.Integer(ctx.session.id);
  if (EqualsIgnoreCase(sub, "getname") && ctx.args.size() == 2) {
    if (ctx.session.name.empty()) return ctx.out.NullBulk();
    return ctx.out.Bulk(ctx.session.name);
  }
  if (EqualsIgnoreCase(sub, "setname") && ctx.args.size() == 3) {
    if (!ValidClientName(ctx.args[2])) {
      return ctx.out.Error(
          "ERR Client names cannot contain spaces, newlines or special characters.");
    }
    SetName(ctx, ctx.args[2]);
    return ctx.out.Ok();
  }
  if (EqualsIgnoreCase(sub, "setinfo") && ctx.args.size() == 4) {
    std::lock_guard lock(ctx.server.ClientsMutex());
    if (EqualsIgnoreCase(ctx.args[2], "lib-name")) {
      ctx.session.lib_name = std::string(ctx.args[3]);
    } else if (EqualsIgnoreCase(ctx.args[2], "lib-ver")) {
      ctx.session.lib_ver = std::string(ctx.args[3]);
    } else {
      return ctx.out.Error("ERR Unrecognized option '" + std::string(ctx.args[2]) + "'");
    }
    return ctx.out.Ok();
  }
  if ((EqualsIgnoreCase(sub, "list") && ctx.args.size() == 2) ||
      (EqualsIgnoreCase(sub, "info") && ctx.args.size() == 2)) {
    int64_t now = keyspace::NowMs();
    if (EqualsIgnoreCase(sub, "info")) return ctx.out.Bulk(ClientLine(ctx.session, now));
    std::string all;
    std::lock_guard lock(ctx.server.ClientsMutex());
    for (const auto& [id, s] : ctx.server.Clients()) all += ClientLine(*s, now);
    return ctx.out.Bulk(all);
  }
  ctx.out.Error(kErrSyntax);  // CLIENT LIST TYPE/ID filters: not supported
}

// COMMAND entries in Redis 7's COMMAND INFO layout: name, arity, flags, first key, last key,
// step, ACL categories, tips, key specs, subcommands.
void CommandEntry(CommandContext& ctx, const CommandSpec& spec) {
  ctx.out.ArrayHeader(10);
  ctx.out.Bulk(spec.name);
  ctx.out.Integer(spec.arity);
  auto flags = spec.FlagNames();
  ctx.out.ArrayHeader(flags.size());
  for (auto f : flags) ctx.out.Simple(f);
  ctx.out.Integer(spec.first_key);
  ctx.out.Integer(spec.last_key);
  ctx.out.Integer(spec.step);
  // ACL categories, as Redis ("@read", "@string", "@fast"; src/auth/categories.h).
  int unit = auth::FindUnit(spec.name);
  uint32_t categories = unit >= 0 ? auth::Units()[unit].categories : 0;
  auto names = auth::CategoryNames();
  ctx.out.ArrayHeader(std::popcount(categories));
  for (size_t i = 0; i < names.size(); ++i) {
    if (categories & (1u << i)) ctx.out.Simple("@" + std::string(names[i]));
  }
  for (int i = 0; i < 3; ++i) ctx.out.ArrayHeader(0);
}

void Command(CommandContext& ctx) {
  const auto& all = Table().all();
  if (ctx.args.size() == 1) {
    ctx.out.ArrayHeader(all.size());
    for (const auto& spec : all) CommandEntry(ctx, spec);
    return;
  }
  auto sub = ctx.args[1];
  if (!SubcommandOk(ctx, {{"count", 2}, {"info", -2}, {"docs", -2}, {"list", -2}})) return;
  if (EqualsIgnoreCase(sub, "count")) {
    return ctx.out.Integer(static_cast<int64_t>(all.size()));
  }
  if (EqualsIgnoreCase(sub, "info")) {
    ctx.out.ArrayHeader(ctx.args.size() - 2);
    for (size_t i = 2; i < ctx.args.size(); ++i) {
      const CommandSpec* spec = Table().Find(ctx.args[i]);
      if (spec) {
        CommandEntry(ctx, *spec);
      } else {
        ctx.out.NullArray();
      }
    }
    return;
  }
  if (EqualsIgnoreCase(sub, "docs")) {
    // No documentation strings yet: an empty map, which redis-cli accepts (it then uses its
    // built-in help).
    return ctx.out.MapHeader(0);
  }
  if (ctx.args.size() == 2) {  // LIST
    ctx.out.ArrayHeader(all.size());
    for (const auto& spec : all) ctx.out.Bulk(spec.name);
    return;
  }
  ctx.out.Error(kErrSyntax);  // COMMAND LIST FILTERBY: not supported
}

}  // namespace

void RegisterServerFamily(CommandTable& t) {
  t.Add({"ping", -1, kFast, 0, 0, 0, Ping})
      .Add({"echo", 2, kFast, 0, 0, 0, Echo})
      .Add({"time", 1, kLoading | kStale | kFast, 0, 0, 0, Time})
      .Add({"quit", -1, kAllowBusy | kNoQueue | kFast | kNoAuth, 0, 0, 0, Quit})
      .Add({"hello", -1, kNoScript | kLoading | kStale | kFast | kNoAuth | kAllowBusy, 0, 0, 0,
            Hello})
      .Add({"client", -2, kNoScript | kLoading | kStale, 0, 0, 0, Client})
      .Add({"command", -1, kLoading | kStale, 0, 0, 0, Command})
      .Add({"info", -1, kLoading | kStale, 0, 0, 0, Info});
}

}  // namespace petacore::commands
