// server_family.cc — connection and server commands: PING, ECHO, QUIT, RESET, HELLO, CLIENT,
// COMMAND, CONFIG GET. INFO lives in info.cc; most CLIENT subcommands and RESET in
// client_commands.cc.
#include <unistd.h>

#include <bit>
#include <cctype>
#include <chrono>
#include <initializer_list>
#include <map>

#include "auth/categories.h"
#include "commands/acl_family.h"
#include "commands/client_commands.h"
#include "commands/command_docs.h"
#include "commands/context.h"
#include "commands/glob.h"
#include "commands/info.h"
#include "commands/table.h"
#include "commands/tracking_specs.h"
#include "keyspace/encoding.h"

namespace petacore::commands {

namespace {

constexpr std::string_view kRedisVersion = "7.0.0";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void Ping(CommandContext& ctx) {
  if (ctx.args.size() > 2) {
    return ctx.out.Error(ErrWrongArgs("ping"));
  }
  if (ctx.session.protocol == 2 && ctx.session.subscriptions() > 0) {
    // RESP2 subscribed mode: ["pong", message or ""], as Redis's pingCommand.
    ctx.out.ArrayHeader(2);
    ctx.out.Bulk("pong");
    return ctx.out.Bulk(ctx.args.size() == 2 ? ctx.args[1] : "");
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

// HELLO [protover [AUTH username password] [SETNAME clientname]] — switches the connection
// to RESP2 or RESP3 (session.protocol) after a successful AUTH option, then replies, in the
// new protocol, the map Redis 7.0.15 replies (server "redis", version, proto, id, mode,
// role, modules). Without protover the protocol stays as it is. Errors as Redis 7.0.15:
// "NOPROTO unsupported protocol version" for a version other than 2 and 3.
void Hello(CommandContext& ctx) {
  size_t i = 1;
  int64_t protocol = ctx.session.protocol;
  if (ctx.args.size() >= 2) {
    int64_t ver;
    if (!ParseInt64(ctx.args[1], &ver)) {
      return ctx.out.Error("ERR Protocol version is not an integer or out of range");
    }
    if (ver != 2 && ver != 3) return ctx.out.Error("NOPROTO unsupported protocol version");
    protocol = ver;
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
          kErrClientName);
    }
    SetName(ctx, new_name);
  }
  {
    std::lock_guard lock(ctx.server.ClientsMutex());  // CLIENT LIST reads it (resp=)
    ctx.session.protocol = static_cast<int>(protocol);
  }
  ctx.out.set_protocol(static_cast<int>(protocol));
  ctx.out.MapHeader(7);
  ctx.out.Bulk("server");
  ctx.out.Bulk("redis");
  ctx.out.Bulk("version");
  ctx.out.Bulk(kRedisVersion);
  ctx.out.Bulk("proto");
  ctx.out.Integer(protocol);
  ctx.out.Bulk("id");
  ctx.out.Integer(ctx.session.id);
  ctx.out.Bulk("mode");
  ctx.out.Bulk("standalone");
  ctx.out.Bulk("role");
  ctx.out.Bulk("master");
  ctx.out.Bulk("modules");
  ctx.out.ArrayHeader(0);
}

// CLIENT ID / GETNAME / SETNAME / SETINFO. The Driver resolved the subcommand and checked
// its arity (Redis's errors) before calling these.
void ClientId(CommandContext& ctx) { ctx.out.Integer(ctx.session.id); }

void ClientGetName(CommandContext& ctx) {
  if (ctx.session.name.empty()) return ctx.out.NullBulk();
  ctx.out.Bulk(ctx.session.name);
}

void ClientSetName(CommandContext& ctx) {
  if (!ValidClientName(ctx.args[2])) return ctx.out.Error(kErrClientName);
  SetName(ctx, ctx.args[2]);
  ctx.out.Ok();
}

void ClientSetInfo(CommandContext& ctx) {
  std::lock_guard lock(ctx.server.ClientsMutex());
  if (EqualsIgnoreCase(ctx.args[2], "lib-name")) {
    ctx.session.lib_name = std::string(ctx.args[3]);
  } else if (EqualsIgnoreCase(ctx.args[2], "lib-ver")) {
    ctx.session.lib_ver = std::string(ctx.args[3]);
  } else {
    return ctx.out.Error("ERR Unrecognized option '" + std::string(ctx.args[2]) + "'");
  }
  ctx.out.Ok();
}

// COMMAND entries in Redis 7's COMMAND INFO layout: name, arity, flags, first key, last key,
// step, ACL categories, tips, key specs, subcommands (each a full entry).
void KeyFlagsReply(CommandContext& ctx, uint32_t flags) {
  auto names = KeyFlagNames(flags);
  ctx.out.SetHeader(names.size());  // a set in RESP3, as Redis 7.0.15
  for (auto n : names) ctx.out.Simple(n);
}

void KeySpecReply(CommandContext& ctx, const KeySpec& ks) {
  ctx.out.MapHeader(ks.notes.empty() ? 3 : 4);
  if (!ks.notes.empty()) {
    ctx.out.Bulk("notes");
    ctx.out.Bulk(ks.notes);
  }
  ctx.out.Bulk("flags");
  KeyFlagsReply(ctx, ks.flags);
  if (ks.begin.unknown) {  // Redis's KSPEC_BS_UNKNOWN / KSPEC_FK_UNKNOWN (SORT)
    for (std::string_view step : {"begin_search", "find_keys"}) {
      ctx.out.Bulk(step);
      ctx.out.MapHeader(2);
      ctx.out.Bulk("type");
      ctx.out.Bulk("unknown");
      ctx.out.Bulk("spec");
      ctx.out.MapHeader(0);
    }
    return;
  }
  ctx.out.Bulk("begin_search");
  ctx.out.MapHeader(2);
  ctx.out.Bulk("type");
  ctx.out.Bulk(ks.begin.keyword.empty() ? "index" : "keyword");
  ctx.out.Bulk("spec");
  if (ks.begin.keyword.empty()) {
    ctx.out.MapHeader(1);
    ctx.out.Bulk("index");
    ctx.out.Integer(ks.begin.index);
  } else {
    ctx.out.MapHeader(2);
    ctx.out.Bulk("keyword");
    ctx.out.Bulk(ks.begin.keyword);
    ctx.out.Bulk("startfrom");
    ctx.out.Integer(ks.begin.index);
  }
  ctx.out.Bulk("find_keys");
  ctx.out.MapHeader(2);
  ctx.out.Bulk("type");
  bool range = ks.find.keynum_index < 0;
  ctx.out.Bulk(range ? "range" : "keynum");
  ctx.out.Bulk("spec");
  ctx.out.MapHeader(3);
  ctx.out.Bulk(range ? "lastkey" : "keynumidx");
  ctx.out.Integer(range ? ks.find.last_key : ks.find.keynum_index);
  ctx.out.Bulk(range ? "keystep" : "firstkey");
  ctx.out.Integer(range ? ks.find.step : ks.find.first_key);
  ctx.out.Bulk(range ? "limit" : "keystep");
  ctx.out.Integer(range ? ks.find.limit : ks.find.step);
}

void CommandEntry(CommandContext& ctx, const CommandSpec& spec) {
  ctx.out.ArrayHeader(10);
  ctx.out.Bulk(spec.fullname);
  ctx.out.Integer(spec.arity);
  auto flags = spec.FlagNames();
  // RESP3 types as Redis 7.0.15 (addReplyCommandInfo): flags, categories, tips and key specs
  // are sets; subcommands an array, or an empty set when there are none.
  ctx.out.SetHeader(flags.size());
  for (auto f : flags) ctx.out.Simple(f);
  ctx.out.Integer(spec.legacy.first);
  ctx.out.Integer(spec.legacy.last);
  ctx.out.Integer(spec.legacy.step);
  // ACL categories, as Redis ("@read", "@string", "@fast"; src/auth/categories.h).
  uint32_t categories = auth::CategoriesOf(spec);
  auto names = auth::CategoryNames();
  ctx.out.SetHeader(std::popcount(categories));
  for (size_t i = 0; i < names.size(); ++i) {
    if (categories & (1u << i)) ctx.out.Simple("@" + std::string(names[i]));
  }
  ctx.out.SetHeader(spec.tips.size());
  for (auto tip : spec.tips) ctx.out.Bulk(tip);  // bulk strings, as Redis's addReplyCommandTips
  ctx.out.SetHeader(spec.key_specs.size());
  for (const auto& ks : spec.key_specs) KeySpecReply(ctx, ks);
  if (spec.subcommands.empty()) {
    ctx.out.SetHeader(0);
  } else {
    ctx.out.ArrayHeader(spec.subcommands.size());
  }
  for (const auto& sub : spec.subcommands) CommandEntry(ctx, sub);
}

// COMMAND GETKEYS / GETKEYSANDFLAGS command [arg ...] — as Redis's getKeysSubcommandImpl:
// the keys ExtractKeys finds, with Redis's errors.
void CommandGetKeys(CommandContext& ctx, bool with_flags) {
  auto argv = ctx.args.subspan(2);
  const CommandSpec* spec = Table().Resolve(argv);
  if (spec == nullptr) return ctx.out.Error("ERR Invalid command specified");
  bool has_keys = false;
  for (const auto& ks : spec->key_specs) has_keys = has_keys || !(ks.flags & kKeyNotKey);
  if (!has_keys) return ctx.out.Error("ERR The command has no key arguments");
  if (!spec->ArityOk(argv.size())) {
    return ctx.out.Error("ERR Invalid number of arguments specified for command");
  }
  std::vector<KeyRef> keys;
  if (!ExtractKeys(*spec, argv, &keys) || keys.empty()) {
    if (spec->flags & kNoMandatoryKeys) return ctx.out.ArrayHeader(0);
    return ctx.out.Error("ERR Invalid arguments specified for command");
  }
  ctx.out.ArrayHeader(keys.size());
  for (const auto& k : keys) {
    if (!with_flags) {
      ctx.out.Bulk(argv[k.index]);
      continue;
    }
    ctx.out.ArrayHeader(2);
    ctx.out.Bulk(argv[k.index]);
    KeyFlagsReply(ctx, k.flags);
  }
}

// Every full name (commands, then each one's subcommands) that `keep` accepts.
template <typename Keep>
void CommandList(CommandContext& ctx, Keep&& keep) {
  std::vector<const CommandSpec*> hits;
  for (const auto& spec : Table().all()) {
    if (keep(spec)) hits.push_back(&spec);
    for (const auto& sub : spec.subcommands) {
      if (keep(sub)) hits.push_back(&sub);
    }
  }
  ctx.out.ArrayHeader(hits.size());
  for (const auto* spec : hits) ctx.out.Bulk(spec->fullname);
}

// COMMAND [COUNT | INFO [name ...] | DOCS [name ...] | LIST [FILTERBY ...] | GETKEYS ... |
// GETKEYSANDFLAGS ...] — Redis 7.0's COMMAND; names may be "container|subcommand".
void Command(CommandContext& ctx) {
  const auto& all = Table().all();
  if (ctx.args.size() == 1) {
    ctx.out.ArrayHeader(all.size());
    for (const auto& spec : all) CommandEntry(ctx, spec);
    return;
  }
  auto sub = ctx.args[1];
  if (EqualsIgnoreCase(sub, "count")) {
    return ctx.out.Integer(static_cast<int64_t>(all.size()));
  }
  if (EqualsIgnoreCase(sub, "info")) {
    if (ctx.args.size() == 2) {  // no names: every command, as COMMAND
      ctx.out.ArrayHeader(all.size());
      for (const auto& spec : all) CommandEntry(ctx, spec);
      return;
    }
    ctx.out.ArrayHeader(ctx.args.size() - 2);
    for (size_t i = 2; i < ctx.args.size(); ++i) {
      const CommandSpec* spec = Table().FindFull(ctx.args[i]);
      if (spec) {
        CommandEntry(ctx, *spec);
      } else {
        ctx.out.NullArray();
      }
    }
    return;
  }
  if (EqualsIgnoreCase(sub, "docs")) return CommandDocs(ctx);
  if (EqualsIgnoreCase(sub, "getkeys")) return CommandGetKeys(ctx, false);
  if (EqualsIgnoreCase(sub, "getkeysandflags")) return CommandGetKeys(ctx, true);
  // LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]
  if (ctx.args.size() == 2) return CommandList(ctx, [](const CommandSpec&) { return true; });
  if (ctx.args.size() != 5 || !EqualsIgnoreCase(ctx.args[2], "filterby")) {
    return ctx.out.Error(kErrSyntax);
  }
  auto by = ctx.args[3];
  auto value = ctx.args[4];
  if (EqualsIgnoreCase(by, "module")) {  // no modules
    return CommandList(ctx, [](const CommandSpec&) { return false; });
  }
  if (EqualsIgnoreCase(by, "aclcat")) {
    uint32_t category = auth::CategoryByName(value);
    return CommandList(ctx, [&](const CommandSpec& s) {
      return category != 0 && (auth::CategoriesOf(s) & category);
    });
  }
  if (EqualsIgnoreCase(by, "pattern")) {
    return CommandList(ctx, [&](const CommandSpec& s) {
      return GlobMatch(Lower(value), s.fullname);  // names are lower case: no case
    });
  }
  ctx.out.Error(kErrSyntax);
}

// COMMAND HELP: Redis 7.0.15's help lines, simple strings.
void CommandHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "(no subcommand)",
      "    Return details about all Redis commands.",
      "COUNT",
      "    Return the total number of commands in this Redis server.",
      "LIST",
      "    Return a list of all commands in this Redis server.",
      "INFO [<command-name> ...]",
      "    Return details about multiple Redis commands.",
      "    If no command names are given, documentation details for all",
      "    commands are returned.",
      "DOCS [<command-name> ...]",
      "    Return documentation details about multiple Redis commands.",
      "    If no command names are given, documentation details for all",
      "    commands are returned.",
      "GETKEYS <full-command>",
      "    Return the keys from a full Redis command.",
      "GETKEYSANDFLAGS <full-command>",
      "    Return the keys and the access flags from a full Redis command.",
      "HELP",
      "    Prints this help.",
  };
  ctx.out.ArrayHeader(std::size(kLines));
  for (auto line : kLines) ctx.out.Simple(line);
}

// CLIENT's subcommands followed by client-side caching's (tracking_specs.h).
std::vector<CommandSpec> WithTrackingSubcommands(std::vector<CommandSpec> subs) {
  for (auto& spec : TrackingSubcommandSpecs()) subs.push_back(std::move(spec));
  return subs;
}

}  // namespace

void RegisterServerFamily(CommandTable& t) {
  t.Add({.name = "ping",
         .arity = -1,
         .flags = kFast | kSubscribedOk,
         .acl = acl::kFast | acl::kConnection,
         .tips = {"request_policy:all_shards", "response_policy:all_succeeded"},
         .handler = Ping})
      .Add({.name = "echo",
            .arity = 2,
            .flags = kLoading | kStale | kFast,
            .acl = acl::kFast | acl::kConnection,
            .handler = Echo})
      .Add({.name = "time",
            .arity = 1,
            .flags = kLoading | kStale | kFast,
            .acl = acl::kFast,
            .tips = {"nondeterministic_output"},
            .handler = Time})
      .Add({.name = "quit",
            .arity = -1,
            .flags = kNoScript | kLoading | kStale | kFast | kNoAuth | kAllowBusy | kNoQueue |
                     kSubscribedOk,
            .acl = acl::kFast | acl::kConnection,
            .handler = Quit})
      .Add({.name = "reset",
            .arity = 1,
            .flags = kNoScript | kLoading | kStale | kFast | kNoAuth | kAllowBusy | kNoQueue |
                     kSubscribedOk,
            .acl = acl::kFast | acl::kConnection,
            .handler = Reset})
      .Add({.name = "hello",
            .arity = -1,
            .flags = kNoScript | kLoading | kStale | kFast | kNoAuth | kAllowBusy,
            .acl = acl::kFast | acl::kConnection,
            .handler = Hello})
      .Add({.name = "client",
            .arity = -2,
            .flags = 0,
            .acl = acl::kSlow,
            .subcommands = WithTrackingSubcommands({{.name = "id",
                             .arity = 2,
                             .flags = kNoScript | kLoading | kStale,
                             .acl = acl::kSlow | acl::kConnection,
                             .handler = ClientId},
                            {.name = "getname",
                             .arity = 2,
                             .flags = kNoScript | kLoading | kStale,
                             .acl = acl::kSlow | acl::kConnection,
                             .handler = ClientGetName},
                            {.name = "setname",
                             .arity = 3,
                             .flags = kNoScript | kLoading | kStale,
                             .acl = acl::kSlow | acl::kConnection,
                             .handler = ClientSetName},
                            {.name = "setinfo",
                             .arity = 4,
                             .flags = kNoScript | kLoading | kStale,
                             .acl = acl::kSlow | acl::kConnection,
                             .handler = ClientSetInfo,
                             .petacore_only = true},
                            {.name = "list",
                             .arity = -2,
                             .flags = kAdmin | kNoScript | kLoading | kStale,
                             .acl = acl::kAdmin | acl::kSlow | acl::kDangerous | acl::kConnection,
                             .tips = {"nondeterministic_output"},
                             .handler = ClientList},
                            {.name = "info",
                             .arity = 2,
                             .flags = kNoScript | kLoading | kStale,
                             .acl = acl::kSlow | acl::kConnection,
                             .tips = {"nondeterministic_output"},
                             .handler = ClientInfo},
                            {.name = "kill",
                             .arity = -3,
                             .flags = kAdmin | kNoScript | kLoading | kStale,
                             .acl = acl::kAdmin | acl::kSlow | acl::kDangerous | acl::kConnection,
                             .handler = ClientKill},
                            {.name = "pause",
                             .arity = -3,
                             .flags = kAdmin | kNoScript | kLoading | kStale,
                             .acl = acl::kAdmin | acl::kSlow | acl::kDangerous | acl::kConnection,
                             .handler = ClientPause},
                            {.name = "unpause",
                             .arity = 2,
                             .flags = kAdmin | kNoScript | kLoading | kStale,
                             .acl = acl::kAdmin | acl::kSlow | acl::kDangerous | acl::kConnection,
                             .handler = ClientUnpause},
                            {.name = "no-evict",
                             .arity = 3,
                             .flags = kAdmin | kNoScript | kLoading | kStale,
                             .acl = acl::kAdmin | acl::kSlow | acl::kDangerous | acl::kConnection,
                             .handler = ClientNoEvict},
                            {.name = "reply",
                             .arity = 3,
                             .flags = kNoScript | kLoading | kStale,
                             .acl = acl::kSlow | acl::kConnection,
                             .handler = ClientReply},
                            {.name = "help",
                             .arity = 2,
                             .flags = kLoading | kStale,
                             .acl = acl::kSlow | acl::kConnection,
                             .handler = ClientHelp},
                            {.name = "unblock",
                             .arity = -3,
                             .flags = kAdmin | kNoScript | kLoading | kStale,
                             .acl = acl::kAdmin | acl::kSlow | acl::kDangerous | acl::kConnection,
                             .handler = ClientUnblock}})})
      .Add({.name = "command",
            .arity = -1,
            .flags = kLoading | kStale,
            .acl = acl::kSlow | acl::kConnection,
            .tips = {"nondeterministic_output_order"},
            .handler = Command,  // COMMAND alone lists every command
            .subcommands = {{.name = "count",
                             .arity = 2,
                             .flags = kLoading | kStale,
                             .acl = acl::kSlow | acl::kConnection,
                             .handler = Command},
                            {.name = "info",
                             .arity = -2,
                             .flags = kLoading | kStale,
                             .acl = acl::kSlow | acl::kConnection,
                             .tips = {"nondeterministic_output_order"},
                             .handler = Command},
                            {.name = "docs",
                             .arity = -2,
                             .flags = kLoading | kStale,
                             .acl = acl::kSlow | acl::kConnection,
                             .tips = {"nondeterministic_output_order"},
                             .handler = Command},
                            {.name = "list",
                             .arity = -2,
                             .flags = kLoading | kStale,
                             .acl = acl::kSlow | acl::kConnection,
                             .tips = {"nondeterministic_output_order"},
                             .handler = Command},
                            {.name = "getkeys",
                             .arity = -4,
                             .flags = kLoading | kStale,
                             .acl = acl::kSlow | acl::kConnection,
                             .handler = Command},
                            {.name = "help",
                             .arity = 2,
                             .flags = kLoading | kStale,
                             .acl = acl::kSlow | acl::kConnection,
                             .handler = CommandHelp},
                            {.name = "getkeysandflags",
                             .arity = -4,
                             .flags = kLoading | kStale,
                             .acl = acl::kSlow | acl::kConnection,
                             .handler = Command}}})
      .Add({.name = "info",
            .arity = -1,
            .flags = kLoading | kStale,
            .acl = acl::kSlow | acl::kDangerous,
            .tips = {"nondeterministic_output", "request_policy:all_shards",
                     "response_policy:special"},
            .handler = Info});
}

}  // namespace petacore::commands
