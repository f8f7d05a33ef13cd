// client_commands.cc — CLIENT LIST / INFO / KILL / PAUSE / UNPAUSE / NO-EVICT / REPLY /
// UNBLOCK and RESET (see client_commands.h). Behaviour and error texts as Redis 7.0.15.
#include "commands/client_commands.h"

#include <functional>
#include <vector>

#include "auth/access.h"
#include "commands/errors.h"
#include "commands/tracking_specs.h"
#include "keyspace/encoding.h"

namespace petacore::commands {
namespace {

// Client types of CLIENT LIST/KILL TYPE. PetaCore's clients are all "normal" (no replica
// links or pub/sub yet); the others are accepted and match nobody.
enum class ClientType { kNormal, kNone, kInvalid };

ClientType ParseType(std::string_view name) {
  if (EqualsIgnoreCase(name, "normal")) return ClientType::kNormal;
  for (auto other : {"master", "replica", "slave", "pubsub"}) {
    if (EqualsIgnoreCase(name, other)) return ClientType::kNone;
  }
  return ClientType::kInvalid;
}

std::string UnknownType(std::string_view name) {
  return "ERR Unknown client type '" + std::string(name) + "'";
}

// Redis's client flags letters, in its order, for what applies here ("N" when none).
std::string Flags(const client::Session& s) {
  std::string flags;
  if (s.sub_count + s.psub_count + s.ssub_count > 0) flags += 'P';
  if (s.in_multi) flags += 'x';
  if (s.blocked.load(std::memory_order_relaxed)) flags += 'b';
  // Tracking ('t', 'R', 'B') is added with CLIENT TRACKING.
  if (s.close_after_reply) flags += 'c';
  if (s.no_evict.load(std::memory_order_relaxed)) flags += 'e';
  if (flags.empty()) flags = "N";
  return flags;
}

// One CLIENT LIST line: Redis 7.0.15's fields in its order, those that mean nothing here with
// a neutral value (fd, buffers, memory), then lib-name/lib-ver (CLIENT SETINFO, as Redis 7.2).
// Call with ClientsMutex held, or for the caller's own session.
std::string ClientLine(const client::Session& s, int64_t now_ms) {
  std::string line;
  line += "id=" + std::to_string(s.id) + " addr=" + s.addr + " laddr=" + s.laddr +
          " fd=0 name=" + s.name + " age=" + std::to_string((now_ms - s.created_ms) / 1000) +
          " idle=" + std::to_string((now_ms - s.last_command_ms.load()) / 1000) +
          " flags=" + Flags(s) + " db=" + std::to_string(s.db) + " sub=" + std::to_string(s.sub_count.load(std::memory_order_relaxed)) +
          " psub=" + std::to_string(s.psub_count.load(std::memory_order_relaxed)) +
          " ssub=" + std::to_string(s.ssub_count.load(std::memory_order_relaxed)) + " multi=" +
          (s.in_multi ? std::to_string(s.queued.size()) : std::string("-1")) +
          " qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 "
          "tot-mem=0 events=r cmd=" +
          s.last_command.load() + " user=" + s.user_name +
          " redir=-1 resp=" + std::to_string(s.protocol) + " lib-name=" + s.lib_name +
          " lib-ver=" + s.lib_ver + "\n";
  return line;
}

void ReplyText(CommandContext& ctx, const std::string& text) {
  if (ctx.session.protocol >= 3) return ctx.out.Verbatim("txt", text);
  ctx.out.Bulk(text);
}

bool ParseOnOff(std::string_view v, bool* on) {
  if (EqualsIgnoreCase(v, "on")) *on = true;
  else if (EqualsIgnoreCase(v, "off")) *on = false;
  else return false;
  return true;
}

}  // namespace

void ClientInfo(CommandContext& ctx) {
  std::string line;
  {
    std::lock_guard lock(ctx.server.ClientsMutex());
    line = ClientLine(ctx.session, keyspace::NowMs());
  }
  ReplyText(ctx, line);
}

void ClientList(CommandContext& ctx) {
  std::vector<int64_t> ids;
  if (ctx.args.size() == 4 && EqualsIgnoreCase(ctx.args[2], "type")) {
    ClientType type = ParseType(ctx.args[3]);
    if (type == ClientType::kInvalid) return ctx.out.Error(UnknownType(ctx.args[3]));
    if (type == ClientType::kNone) return ReplyText(ctx, "");
  } else if (ctx.args.size() >= 4 && EqualsIgnoreCase(ctx.args[2], "id")) {
    for (size_t i = 3; i < ctx.args.size(); ++i) {
      int64_t id;
      if (!ParseInt64(ctx.args[i], &id) || id <= 0) return ctx.out.Error("ERR Invalid client ID");
      ids.push_back(id);
    }
  } else if (ctx.args.size() != 2) {
    return ctx.out.Error(kErrSyntax);
  }
  int64_t now = keyspace::NowMs();
  std::string all;
  std::lock_guard lock(ctx.server.ClientsMutex());
  const auto& clients = ctx.server.Clients();
  if (ids.empty()) {
    for (const auto& [id, s] : clients) all += ClientLine(*s, now);
  } else {
    for (int64_t id : ids) {
      if (auto it = clients.find(id); it != clients.end()) all += ClientLine(*it->second, now);
    }
  }
  ReplyText(ctx, all);
}

void ClientKill(CommandContext& ctx) {
  auto& me = ctx.session;
  if (ctx.args.size() == 3) {  // old form: CLIENT KILL addr:port
    std::lock_guard lock(ctx.server.ClientsMutex());
    for (const auto& [id, s] : ctx.server.Clients()) {
      if (s->addr != ctx.args[2]) continue;
      if (s == &me) {
        me.close_after_reply = true;
      } else if (s->disconnect) {
        s->disconnect();
      }
      return ctx.out.Ok();
    }
    return ctx.out.Error("ERR No such client");
  }
  // New form: pairs of filter value, all of which must match.
  std::vector<std::function<bool(const client::Session&)>> filters;
  bool skipme = true;
  int64_t now = keyspace::NowMs();
  for (size_t i = 2; i < ctx.args.size(); i += 2) {
    if (i + 1 >= ctx.args.size()) return ctx.out.Error(kErrSyntax);
    auto opt = ctx.args[i];
    std::string value(ctx.args[i + 1]);
    if (EqualsIgnoreCase(opt, "id")) {
      int64_t id;
      if (!ParseInt64(value, &id) || id <= 0) {
        return ctx.out.Error("ERR client-id should be greater than 0");
      }
      filters.push_back([id](const client::Session& s) { return s.id == id; });
    } else if (EqualsIgnoreCase(opt, "type")) {
      ClientType type = ParseType(value);
      if (type == ClientType::kInvalid) return ctx.out.Error(UnknownType(value));
      filters.push_back([type](const client::Session&) { return type == ClientType::kNormal; });
    } else if (EqualsIgnoreCase(opt, "addr")) {
      filters.push_back([value](const client::Session& s) { return s.addr == value; });
    } else if (EqualsIgnoreCase(opt, "laddr")) {
      filters.push_back([value](const client::Session& s) { return s.laddr == value; });
    } else if (EqualsIgnoreCase(opt, "user")) {
      if (ctx.server.Acl().Find(value) == nullptr) {
        return ctx.out.Error("ERR No such user '" + value + "'");
      }
      filters.push_back([value](const client::Session& s) { return s.user_name == value; });
    } else if (EqualsIgnoreCase(opt, "skipme")) {
      if (EqualsIgnoreCase(value, "yes")) {
        skipme = true;
      } else if (EqualsIgnoreCase(value, "no")) {
        skipme = false;
      } else {
        return ctx.out.Error(kErrSyntax);
      }
    } else if (EqualsIgnoreCase(opt, "maxage")) {  // Redis 7.4's filter: older than N seconds
      int64_t max_age;
      if (!ParseInt64(value, &max_age)) return ctx.out.Error(kErrSyntax);
      filters.push_back([max_age, now](const client::Session& s) {
        return (now - s.created_ms) / 1000 >= max_age;
      });
    } else {
      return ctx.out.Error(kErrSyntax);
    }
  }
  int64_t killed = 0;
  {
    std::lock_guard lock(ctx.server.ClientsMutex());
    for (const auto& [id, s] : ctx.server.Clients()) {
      bool match = true;
      for (const auto& f : filters) match = match && f(*s);
      if (!match || (skipme && s == &me)) continue;
      ++killed;
      if (s == &me) {
        me.close_after_reply = true;  // as Redis: the reply first, then the close
      } else if (s->disconnect) {
        s->disconnect();
      }
    }
  }
  ctx.out.Integer(killed);
}

void ClientPause(CommandContext& ctx) {
  int64_t timeout;
  if (!ParseInt64(ctx.args[2], &timeout)) {
    return ctx.out.Error("ERR timeout is not an integer or out of range");
  }
  if (timeout < 0) return ctx.out.Error("ERR timeout is negative");
  bool all = true;
  if (ctx.args.size() == 4) {
    if (EqualsIgnoreCase(ctx.args[3], "write")) {
      all = false;
    } else if (!EqualsIgnoreCase(ctx.args[3], "all")) {
      return ctx.out.Error("ERR CLIENT PAUSE mode must be WRITE or ALL");
    }
  } else if (ctx.args.size() > 4) {
    return ctx.out.Error(kErrSyntax);
  }
  ctx.server.PauseClients(keyspace::NowMs() + timeout, all);
  ctx.out.Ok();
}

void ClientUnpause(CommandContext& ctx) {
  ctx.server.UnpauseClients();
  ctx.out.Ok();
}

void ClientNoEvict(CommandContext& ctx) {
  bool on;
  if (!ParseOnOff(ctx.args[2], &on)) return ctx.out.Error(kErrSyntax);
  ctx.session.no_evict.store(on, std::memory_order_relaxed);
  ctx.out.Ok();
}

void ClientReply(CommandContext& ctx) {
  auto mode = ctx.args[2];
  if (EqualsIgnoreCase(mode, "on")) {
    ctx.session.reply_off = false;
    ctx.session.reply_skip_next = false;
    return ctx.out.Ok();
  }
  if (EqualsIgnoreCase(mode, "off")) {
    ctx.session.reply_off = true;  // this reply too is dropped
    return ctx.out.Ok();
  }
  if (EqualsIgnoreCase(mode, "skip")) {
    if (!ctx.session.reply_off) ctx.session.reply_skip_next = true;
    return;  // as Redis: no reply of its own
  }
  ctx.out.Error(kErrSyntax);
}

void ClientUnblock(CommandContext& ctx) {
  int64_t id;
  if (!ParseInt64(ctx.args[2], &id)) return ctx.out.Error(kErrNotInteger);
  bool error = false;
  if (ctx.args.size() == 4) {
    if (EqualsIgnoreCase(ctx.args[3], "error")) {
      error = true;
    } else if (!EqualsIgnoreCase(ctx.args[3], "timeout")) {
      return ctx.out.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
    }
  } else if (ctx.args.size() > 4) {
    return ctx.out.Error(kErrSyntax);
  }
  std::lock_guard lock(ctx.server.ClientsMutex());
  const auto& clients = ctx.server.Clients();
  auto it = clients.find(id);
  if (it == clients.end() || !it->second->blocked.load() || !it->second->unblock) {
    return ctx.out.Integer(0);
  }
  it->second->unblock(error);  // answered on its own thread, unless it was answered meanwhile
  ctx.out.Integer(1);
}

void Reset(CommandContext& ctx) {
  auto& s = ctx.session;
  s.EndTransaction();
  s.db = 0;
  s.reply_off = false;
  s.reply_skip_next = false;
  // CLIENT NO-EVICT stays as it was: Redis 7.0's clearClientConnectionState keeps it.
  s.read_consistency.reset();
  TrackingOff(s, ctx.server);  // as CLIENT TRACKING off
  ctx.server.DropSubscriptions(s);  // as Redis's pubsubUnsubscribeAll*
  {
    std::lock_guard lock(ctx.server.ClientsMutex());
    s.name.clear();
    s.user_name = "default";
    s.protocol = 2;  // listed by CLIENT LIST (resp=), as HELLO sets it
  }
  ctx.out.set_protocol(2);
  s.acl_ready = false;
  auth::InitSession(ctx.server.Acl(), s);
  ctx.out.Simple("RESET");
}

// CLIENT HELP: Redis 7.0.15's text (it leaves SETINFO, a 7.2 subcommand, out).
void ClientHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CACHING (YES|NO)",
      "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
      "GETREDIR",
      "    Return the client ID we are redirecting to when tracking is enabled.",
      "GETNAME",
      "    Return the name of the current connection.",
      "ID",
      "    Return the ID of the current connection.",
      "INFO",
      "    Return information about the current client connection.",
      "KILL <ip:port>",
      "    Kill connection made from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Kill connections. Options are:",
      "    * ADDR (<ip:port>|<unixsocket>:0)",
      "      Kill connections made from the specified address",
      "    * LADDR (<ip:port>|<unixsocket>:0)",
      "      Kill connections made to specified local address",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
      "      Kill connections by type.",
      "    * USER <username>",
      "      Kill connections authenticated by <username>.",
      "    * SKIPME (YES|NO)",
      "      Skip killing current connection (default: yes).",
      "LIST [options ...]",
      "    Return information about client connections. Options:",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
      "      Return clients of specified type.",
      "UNPAUSE",
      "    Stop the current client pause, resuming traffic.",
      "PAUSE <timeout> [WRITE|ALL]",
      "    Suspend all, or just write, clients for <timeout> milliseconds.",
      "REPLY (ON|OFF|SKIP)",
      "    Control the replies sent to the current connection.",
      "SETNAME <name>",
      "    Assign the name <name> to the current connection.",
      "UNBLOCK <clientid> [TIMEOUT|ERROR]",
      "    Unblock the specified blocked client.",
      "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
      "         [OPTIN] [OPTOUT] [NOLOOP]",
      "    Control server assisted client side caching.",
      "TRACKINGINFO",
      "    Report tracking status for the current connection.",
      "NO-EVICT (ON|OFF)",
      "    Protect current client connection from eviction.",
      "HELP",
      "    Prints this help.",
  };
  ctx.out.ArrayHeader(std::size(kLines));
  for (auto line : kLines) ctx.out.Simple(line);
}

}  // namespace petacore::commands
