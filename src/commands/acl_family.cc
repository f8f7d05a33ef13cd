// acl_family.cc — AUTH, HELLO's AUTH option, and ACL SETUSER / GETUSER / DELUSER / LIST /
// USERS / WHOAMI / CAT / GENPASS / DRYRUN / LOG / LOAD / SAVE / HELP, as Redis 7.0 (src/acl.c). Users are
// stored as internal keys (src/auth/registry.h): SETUSER and DELUSER write them on the
// command's TxnView, so the Driver commits them like data and acks once this node applied them.
#include "commands/acl_family.h"

#include <openssl/rand.h>

#include <cctype>
#include <chrono>
#include <set>

#include <spdlog/spdlog.h>

#include "auth/access.h"
#include "auth/acl_file.h"
#include "auth/categories.h"
#include "auth/registry.h"
#include "commands/context.h"
#include "commands/table.h"

namespace petacore::commands {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// AUTH [username] password
void Auth(CommandContext& ctx) {
  if (ctx.args.size() > 3) return ctx.out.Error(kErrSyntax);
  std::string_view username = "default";
  if (ctx.args.size() == 2) {
    if (ctx.server.Acl().Default()->nopass()) {
      return ctx.out.Error(
          "ERR AUTH <password> called without any password configured for the default user. Are "
          "you sure your configuration is correct?");
    }
  } else {
    username = ctx.args[1];
  }
  if (!auth::Authenticate(ctx.server.Acl(), ctx.server.ClientsMutex(), ctx.session, username,
                          ctx.args.back())) {
    auth::LogDenial(ctx.server.Acl(), ctx.session, "auth", ctx.session.in_multi, ctx.args[0],
                    username);
    return ctx.out.Error(auth::kErrWrongPass);
  }
  ctx.out.Ok();
}

/// The user's stored definition on this view, or the published one (the configured default
/// user has no stored key until it is first changed), or a new user (with every channel when
/// acl-pubsub-default is allchannels, as Redis's ACLCreateUser).
auth::User CurrentUser(CommandContext& ctx, std::string_view name) {
  if (auto stored = ctx.txn.Get(auth::UserKey(name))) {
    if (auto user = auth::ParseStoredUser(name, *stored)) return *user;
  }
  if (name == "default") return *ctx.server.Acl().Default();
  return auth::User(std::string(name), ctx.server.Options().acl_pubsub_allchannels);
}

void SetUser(CommandContext& ctx) {
  std::string_view name = ctx.args[2];
  if (name.find_first_of(std::string_view(" \0", 2)) != std::string_view::npos) {
    return ctx.out.Error("ERR Usernames can't contain spaces or null characters");
  }
  auth::User user = CurrentUser(ctx, name);
  user.SetPubsubDefault(ctx.server.Options().acl_pubsub_allchannels);  // for "reset"
  std::string failed;
  std::string err = user.ApplyRules(ctx.args.subspan(3), &failed);
  if (!err.empty()) {
    return ctx.out.Error("ERR Error in ACL SETUSER modifier '" + failed + "': " + err);
  }
  ctx.txn.Put(auth::UserKey(name), user.Describe());
  ctx.out.Ok();
}

void GetUser(CommandContext& ctx) {
  auto user = ctx.server.Acl().Find(ctx.args[2]);
  if (!user) return ctx.out.NullBulk();
  ctx.out.MapHeader(6);
  ctx.out.Bulk("flags");
  auto flags = user->Flags();
  ctx.out.SetHeader(flags.size());  // a set in RESP3, as Redis 7.0.15
  for (auto f : flags) ctx.out.Bulk(f);
  ctx.out.Bulk("passwords");
  ctx.out.ArrayHeader(user->password_hashes().size());
  for (const auto& h : user->password_hashes()) ctx.out.Bulk(h);
  ctx.out.Bulk("commands");
  ctx.out.Bulk(user->DescribeCommands());
  ctx.out.Bulk("keys");
  ctx.out.Bulk(user->DescribeKeys());
  ctx.out.Bulk("channels");
  ctx.out.Bulk(user->DescribeChannels());
  ctx.out.Bulk("selectors");
  ctx.out.ArrayHeader(0);
}

void DelUser(CommandContext& ctx) {
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    if (ctx.args[i] == "default") return ctx.out.Error("ERR The 'default' user cannot be removed");
  }
  int64_t deleted = 0;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    std::string key = auth::UserKey(ctx.args[i]);
    if (ctx.txn.Get(key)) {
      ctx.txn.Delete(key);
      ++deleted;
    }
  }
  ctx.out.Integer(deleted);
}

void Cat(CommandContext& ctx) {
  auto names = auth::CategoryNames();
  if (ctx.args.size() == 2) {
    ctx.out.ArrayHeader(names.size());
    for (auto n : names) ctx.out.Bulk(n);
    return;
  }
  uint32_t category = auth::CategoryByName(ctx.args[2]);
  if (category == 0) {
    return ctx.out.Error("ERR Unknown category '" + std::string(ctx.args[2]) + "'");
  }
  std::vector<std::string_view> hits;
  for (const auto& unit : auth::Units()) {
    if (unit.categories & category) hits.push_back(unit.name);
  }
  ctx.out.ArrayHeader(hits.size());
  for (auto h : hits) ctx.out.Bulk(h);
}

void GenPass(CommandContext& ctx) {
  int64_t bits = 256;
  if (ctx.args.size() == 3 && (!ParseInt64(ctx.args[2], &bits) || bits <= 0 || bits > 4096)) {
    return ctx.out.Error(
        "ERR ACL GENPASS argument must be the number of bits for the output password, a "
        "positive number up to 4096");
  }
  size_t chars = static_cast<size_t>((bits + 3) / 4);
  std::string random((chars + 1) / 2, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(random.data()), static_cast<int>(random.size()));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : random) {
    hex.push_back(kHex[c >> 4]);
    hex.push_back(kHex[c & 15]);
  }
  hex.resize(chars);
  ctx.out.Bulk(hex);
}

// ACL DRYRUN username command [arg ...]: whether the user could run the command (not run).
void DryRun(CommandContext& ctx) {
  auto user = ctx.server.Acl().Find(ctx.args[2]);
  if (!user) return ctx.out.Error("ERR User '" + std::string(ctx.args[2]) + "' not found");
  auto cmd = ctx.args.subspan(3);
  const CommandSpec* spec = Table().Find(cmd[0]);
  int unit = spec ? auth::UnitOf(*spec, cmd) : -1;
  // A container's unknown subcommand is an unknown command to Redis's lookupCommand.
  if (spec && cmd.size() >= 2 && !auth::SubUnits(auth::FindUnit(spec->name)).empty() &&
      auth::Units()[unit].parent < 0) {
    spec = nullptr;
  }
  if (!spec) return ctx.out.Error("ERR Command '" + std::string(cmd[0]) + "' not found");
  if (!spec->ArityOk(cmd.size())) {
    return ctx.out.Error(ErrWrongArgs(spec->name));
  }
  std::string_view key;  // or channel
  switch (auth::Check(*user, *spec, cmd, &key)) {
    case auth::Denial::kNone:
      return ctx.out.Ok();
    case auth::Denial::kCommand:
      return ctx.out.Bulk("This user has no permissions to run the '" + auth::Units()[unit].name +
                          "' command");
    case auth::Denial::kKey:
      return ctx.out.Bulk("This user has no permissions to access the '" + std::string(key) +
                          "' key");
    case auth::Denial::kChannel:
      return ctx.out.Bulk("This user has no permissions to access the '" + std::string(key) +
                          "' channel");
  }
}

// ACL LOG [count | RESET]: the node's newest denials (10 by default), as Redis 7.0.15.
void Log(CommandContext& ctx) {
  auto& log = ctx.server.Acl().Log();
  int64_t count = 10;
  if (ctx.args.size() == 3) {
    if (EqualsIgnoreCase(ctx.args[2], "reset")) {
      log.Reset();
      return ctx.out.Ok();
    }
    if (!ParseInt64(ctx.args[2], &count)) return ctx.out.Error(kErrNotInteger);
    if (count < 0) count = 0;
  }
  auto entries = log.Newest(static_cast<size_t>(count));
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  ctx.out.ArrayHeader(entries.size());
  for (const auto& e : entries) {
    ctx.out.MapHeader(7);
    ctx.out.Bulk("count");
    ctx.out.Integer(e.count);
    ctx.out.Bulk("reason");
    ctx.out.Bulk(e.reason);
    ctx.out.Bulk("context");
    ctx.out.Bulk(e.context);
    ctx.out.Bulk("object");
    ctx.out.Bulk(e.object);
    ctx.out.Bulk("username");
    ctx.out.Bulk(e.username);
    ctx.out.Bulk("age-seconds");
    ctx.out.Double(static_cast<double>(now - e.ctime_ms) / 1000);
    ctx.out.Bulk("client-info");
    ctx.out.Bulk(e.client_info);
  }
}

// The aclfile option ("" when unset).
std::string AclFilePath(CommandContext& ctx) {
  std::lock_guard lock(ctx.server.OptionsMutex());
  return ctx.server.Options().aclfile;
}

// ACL LOAD: replaces every user with the aclfile's (acl_file.h), as Redis 7.0.15: all or
// nothing. The users are written on the command's view like ACL SETUSER / DELUSER's, so every
// node applies them; users absent from the file are deleted (their clients disconnected).
void Load(CommandContext& ctx, const std::string& path) {
  std::vector<auth::User> users;
  std::string err = auth::LoadAclFile(path, ctx.server.Options().acl_pubsub_allchannels, &users);
  if (!err.empty()) return ctx.out.Error("ERR " + err);
  std::set<std::string, std::less<>> loaded;
  for (const auto& u : users) {
    loaded.insert(u.name());
    ctx.txn.Put(auth::UserKey(u.name()), u.Describe());
  }
  // The stored users of this view (not the registry's, which may lag it), guarded: a user
  // added concurrently makes the commit fail and the command run again.
  std::string end(auth::kUserKeyPrefix);
  end.back() = static_cast<char>(end.back() + 1);  // just past every "<prefix><name>"
  std::vector<std::string> stale;
  ctx.txn.GuardRange(auth::kUserKeyPrefix, end);
  ctx.txn.Range(auth::kUserKeyPrefix, end, [&](std::string_view key, std::string_view) {
    std::string_view name = key.substr(auth::kUserKeyPrefix.size());
    if (!loaded.contains(name)) stale.emplace_back(key);
    return true;
  });
  for (const auto& key : stale) ctx.txn.Delete(key);
  ctx.out.Ok();
}

// ACL SAVE: writes this node's current users to the aclfile (acl_file.h).
void SaveFile(CommandContext& ctx, const std::string& path) {
  std::string err = auth::SaveAclFile(path, ctx.server.Acl().All());
  if (!err.empty()) {
    spdlog::warn("ACL SAVE to {}: {}", path, err);
    return ctx.out.Error(
        "ERR There was an error trying to save the ACLs. Please check the server logs for more "
        "information");
  }
  ctx.out.Ok();
}

void Help(CommandContext& ctx) {
  static constexpr std::string_view kHelp[] = {
      "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CAT [<category>]",
      "    List all commands that belong to <category>, or all command categories",
      "    when no category is specified.",
      "DELUSER <username> [<username> ...]",
      "    Delete a list of users.",
      "DRYRUN <username> <command> [<arg> ...]",
      "    Returns whether the user can execute the given command without executing the command.",
      "GETUSER <username>",
      "    Get the user's details.",
      "GENPASS [<bits>]",
      "    Generate a secure 256-bit user password. The optional `bits` argument can",
      "    be used to specify a different size.",
      "LIST",
      "    Show users details in config file format.",
      "LOAD",
      "    Reload users from the ACL file.",
      "LOG [<count> | RESET]",
      "    Show the ACL log entries.",
      "SAVE",
      "    Save the current config to the ACL file.",
      "SETUSER <username> <attribute> [<attribute> ...]",
      "    Create or modify a user with the specified attributes.",
      "USERS",
      "    List all the registered usernames.",
      "WHOAMI",
      "    Return the current connection username.",
      "HELP",
      "    Prints this help.",
  };
  ctx.out.ArrayHeader(std::size(kHelp));
  for (auto line : kHelp) ctx.out.Simple(line);
}

void Acl(CommandContext& ctx) {
  // Each subcommand's arity in Redis's convention (the container name counting).
  static constexpr std::pair<std::string_view, int> kSubs[] = {
      {"setuser", -3}, {"getuser", 3}, {"deluser", -3}, {"list", 2}, {"users", 2},
      {"whoami", 2},   {"cat", -2},    {"genpass", -2}, {"help", 2}, {"dryrun", -4},
      {"log", -2},     {"load", 2},    {"save", 2},
  };
  std::string sub = Lower(ctx.args[1]);
  int arity = 0;
  for (const auto& [name, a] : kSubs) {
    if (name == sub) arity = a;
  }
  int argc = static_cast<int>(ctx.args.size());
  if (arity == 0) {
    return ctx.out.Error(ErrUnknownSubcommand(ctx.args[1], "ACL"));
  }
  if (arity > 0 ? argc != arity : argc < -arity) {
    return ctx.out.Error(ErrWrongArgs("acl|" + sub));
  }
  if (sub == "load" || sub == "save") {
    std::string path = AclFilePath(ctx);
    if (path.empty()) {
      return ctx.out.Error(
          "ERR This Redis instance is not configured to use an ACL file. You may want to "
          "specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming "
          "you have a Redis configuration file set) in order to store users in the Redis "
          "configuration.");
    }
    return sub == "load" ? Load(ctx, path) : SaveFile(ctx, path);
  }
  if (sub == "setuser") return SetUser(ctx);
  if (sub == "getuser") return GetUser(ctx);
  if (sub == "deluser") return DelUser(ctx);
  if ((sub == "cat" || sub == "genpass" || sub == "log") && argc > 3) {
    // As Redis's addReplySubcommandSyntaxError (these subcommands check their own limit).
    return ctx.out.Error(ErrSubcommandSyntax(ctx.args[1], "ACL"));
  }
  if (sub == "cat") return Cat(ctx);
  if (sub == "genpass") return GenPass(ctx);
  if (sub == "whoami") return ctx.out.Bulk(ctx.session.user_name);
  if (sub == "help") return Help(ctx);
  if (sub == "dryrun") return DryRun(ctx);
  if (sub == "log") return Log(ctx);
  auto users = ctx.server.Acl().All();
  ctx.out.ArrayHeader(users.size());
  for (const auto& u : users) {
    ctx.out.Bulk(sub == "users" ? u->name() : "user " + u->name() + " " + u->Describe());
  }
}

}  // namespace

bool HelloAuthenticate(CommandContext& ctx, const std::string_view* credentials) {
  auth::InitSession(ctx.server.Acl(), ctx.session);
  if (credentials != nullptr && !auth::Authenticate(ctx.server.Acl(), ctx.server.ClientsMutex(),
                                                    ctx.session, credentials[0], credentials[1])) {
    auth::LogDenial(ctx.server.Acl(), ctx.session, "auth", ctx.session.in_multi, ctx.args[0],
                    credentials[0]);
    ctx.out.Error(auth::kErrWrongPass);
    return false;
  }
  if (!ctx.session.authenticated) {
    // Redis 7.0.15's text (later versions write "HELLO <proto> AUTH").
    ctx.out.Error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
        "HELLO AUTH <user> <pass> option can be used to authenticate the client and select "
        "the RESP protocol version at the same time");
    return false;
  }
  return true;
}

void RegisterAclFamily(CommandTable& t) {
  t.Add({.name = "auth",
         .arity = -2,
         .flags = kNoScript | kLoading | kStale | kFast | kNoAuth | kAllowBusy,
         .acl = acl::kFast | acl::kConnection,
         .handler = Auth})
      .Add({.name = "acl",
            .arity = -2,
            .flags = 0,
            .acl = acl::kSlow,
            .subcommands = {{.name = "setuser",
                             .arity = -3,
                             .flags = kAdmin | kNoScript | kLoading | kStale | kInternalWrite,
                             .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                             .handler = Acl},
                            {.name = "getuser",
                             .arity = 3,
                             .flags = kAdmin | kNoScript | kLoading | kStale | kInternalWrite,
                             .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                             .handler = Acl},
                            {.name = "deluser",
                             .arity = -3,
                             .flags = kAdmin | kNoScript | kLoading | kStale | kInternalWrite,
                             .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                             .handler = Acl},
                            {.name = "list",
                             .arity = 2,
                             .flags = kAdmin | kNoScript | kLoading | kStale | kInternalWrite,
                             .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                             .handler = Acl},
                            {.name = "users",
                             .arity = 2,
                             .flags = kAdmin | kNoScript | kLoading | kStale | kInternalWrite,
                             .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                             .handler = Acl},
                            {.name = "whoami",
                             .arity = 2,
                             .flags = kNoScript | kLoading | kStale | kInternalWrite,
                             .acl = acl::kSlow,
                             .handler = Acl},
                            {.name = "cat",
                             .arity = -2,
                             .flags = kNoScript | kLoading | kStale | kInternalWrite,
                             .acl = acl::kSlow,
                             .handler = Acl},
                            {.name = "genpass",
                             .arity = -2,
                             .flags = kNoScript | kLoading | kStale | kInternalWrite,
                             .acl = acl::kSlow,
                             .handler = Acl},
                            {.name = "help",
                             .arity = 2,
                             .flags = kLoading | kStale | kInternalWrite,
                             .acl = acl::kSlow,
                             .handler = Acl},
                            {.name = "dryrun",
                             .arity = -4,
                             .flags = kAdmin | kNoScript | kLoading | kStale | kInternalWrite,
                             .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                             .handler = Acl},
                            {.name = "load",
                             .arity = 2,
                             .flags = kAdmin | kNoScript | kLoading | kStale | kInternalWrite,
                             .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                             .handler = Acl},
                            {.name = "save",
                             .arity = 2,
                             .flags = kAdmin | kNoScript | kLoading | kStale | kInternalWrite,
                             .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                             .handler = Acl},
                            {.name = "log",
                             .arity = -2,
                             .flags = kAdmin | kNoScript | kLoading | kStale | kInternalWrite,
                             .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                             .handler = Acl}}});
}

}  // namespace petacore::commands
