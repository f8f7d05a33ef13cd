// access.cc — authentication and the per-command ACL checks.
#include "auth/access.h"

#include <chrono>
#include <mutex>

#include "auth/categories.h"
#include "auth/registry.h"
#include "commands/context.h"
#include "commands/table.h"

namespace petacore::auth {
namespace {

/// Reads the session's user again if any user changed since it last did. Returns false when
/// the user no longer exists.
bool Refresh(Registry& acl, client::Session& session) {
  uint64_t epoch = acl.epoch();
  if (session.acl_epoch == epoch && session.acl_user) return true;
  session.acl_user = acl.Find(session.user_name);
  session.acl_epoch = epoch;
  return session.acl_user != nullptr;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The client's line for ACL LOG's client-info: CLIENT INFO's fields in Redis 7.0.15's order,
// those that mean nothing here (fd, buffers, memory) as 0.
std::string ClientInfoText(const client::Session& s, int64_t now_ms) {
  std::string flags;
  if (s.in_multi) flags += 'x';
  if (s.subscriptions() > 0) flags += 'P';
  if (flags.empty()) flags = "N";
  return "id=" + std::to_string(s.id) + " addr=" + s.addr + " laddr=" + s.laddr +
         " fd=0 name=" + s.name + " age=" + std::to_string((now_ms - s.created_ms) / 1000) +
         " idle=" + std::to_string((now_ms - s.last_command_ms.load()) / 1000) +
         " flags=" + flags + " db=" + std::to_string(s.db) +
         " sub=" + std::to_string(s.channels.size()) +
         " psub=" + std::to_string(s.patterns.size()) +
         " ssub=" + std::to_string(s.shard_channels.size()) + " multi=" +
         (s.in_multi ? std::to_string(s.queued.size()) : std::string("-1")) +
         " qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0"
         " events=r cmd=" +
         s.last_command.load() + " user=" + s.user_name +
         " redir=-1 resp=" + std::to_string(s.protocol);
}

std::string_view ReasonOf(Denial denial) {
  switch (denial) {
    case Denial::kKey:
      return "key";
    case Denial::kChannel:
      return "channel";
    default:
      return "command";
  }
}

// One ACL LOG entry, context "toplevel", "multi" or "lua".
void AddEntry(Registry& acl, const client::Session& session, std::string_view reason,
              std::string_view context, std::string_view object, std::string_view username) {
  int64_t now = NowMs();
  AclLogEntry e;
  e.reason = std::string(reason);
  e.context = std::string(context);
  e.object = std::string(object);
  e.username = std::string(username);
  e.ctime_ms = now;
  e.client_info = ClientInfoText(session, now);
  acl.Log().Add(std::move(e));
}

// The object of a NOPERM's entry: the command's full name, the key or channel.
std::string DenialObject(Denial denial, const commands::CommandSpec& spec,
                         std::span<const std::string_view> args, std::string_view denied_arg) {
  if (denial != Denial::kCommand) return std::string(denied_arg);
  int unit = UnitOf(spec, args);
  return unit >= 0 ? Units()[unit].name : std::string(spec.name);
}

void LogCheckDenial(Registry& acl, const client::Session& session, Denial denial, bool multi,
                    const commands::CommandSpec& spec, std::span<const std::string_view> args,
                    std::string_view denied_arg) {
  LogDenial(acl, session, ReasonOf(denial), multi, DenialObject(denial, spec, args, denied_arg),
            session.acl_user->name());
}

}  // namespace

void LogDenial(Registry& acl, const client::Session& session, std::string_view reason,
               bool multi, std::string_view object, std::string_view username) {
  AddEntry(acl, session, reason, multi ? "multi" : "toplevel", object, username);
}

void LogScriptDenial(Registry& acl, const client::Session& session, Denial denial,
                     const commands::CommandSpec& spec, std::span<const std::string_view> args,
                     std::string_view denied_arg) {
  AddEntry(acl, session, ReasonOf(denial), "lua", DenialObject(denial, spec, args, denied_arg),
           session.acl_user->name());
}

bool SubscriptionsAllowed(const Registry& acl, const client::Session& session) {
  if (session.subscriptions() == 0) return true;
  auto user = acl.Find(session.user_name);
  if (!user) return false;
  for (const auto& p : session.patterns) {
    if (!user->CanAccessChannel(p, true)) return false;
  }
  for (const auto* set : {&session.channels, &session.shard_channels}) {
    for (const auto& c : *set) {
      if (!user->CanAccessChannel(c, false)) return false;
    }
  }
  return true;
}

void InitSession(Registry& acl, client::Session& session) {
  if (session.acl_ready) return;
  session.acl_ready = true;
  session.acl_epoch = acl.epoch();  // before the read: a later change is seen next time
  auto def = acl.Default();
  session.authenticated = def->nopass() && def->enabled();
  session.acl_user = def;
}

bool AuthRequired(const Registry& acl, const client::Session& session) {
  if (session.authenticated) return false;
  auto def = acl.Default();
  return !def->nopass() || !def->enabled();
}

Denial Check(const User& user, const commands::CommandSpec& spec,
             std::span<const std::string_view> args, std::string_view* denied_arg) {
  if (user.unrestricted()) return Denial::kNone;
  int unit = UnitOf(spec, args);
  if (!user.CanRun(unit, args.size() > 1 ? args[1] : std::string_view())) {
    return Denial::kCommand;
  }
  // A container's spec given for "CONFIG GET ...": the keys are the subcommand's.
  const commands::CommandSpec* run = &spec;
  if (args.size() >= 2 && !spec.subcommands.empty()) {
    if (const auto* sub = spec.FindSubcommand(args[1])) run = sub;
  }
  // As Redis's ACLSelectorCheckKey: read permission for keys whose spec says access, write
  // permission for insert/delete/update; a key with neither needs any matching pattern.
  std::vector<commands::KeyRef> keys;
  commands::ExtractKeys(*run, args, &keys);
  for (const auto& k : keys) {
    // Not a key (SSUBSCRIBE's and SPUBLISH's shard channel): Redis's key-spec search for
    // ACL skips it; the channel check below covers it.
    if (k.flags & commands::kKeyNotKey) continue;
    bool read = (k.flags & commands::kKeyAccess) != 0;
    bool write =
        (k.flags & (commands::kKeyInsert | commands::kKeyDelete | commands::kKeyUpdate)) != 0;
    if (user.CanAccessKey(args[k.index], read, write)) continue;
    if (denied_arg != nullptr) *denied_arg = args[k.index];
    return Denial::kKey;
  }
  // As Redis's ACLCheckChannelAgainstList over getChannelsFromCommand's channels (those that
  // publish or subscribe; UNSUBSCRIBE and the like name none).
  using Channels = commands::CommandSpec::ChannelArgs;
  if (run->channels != Channels::kNone && args.size() > 1) {
    size_t last = run->channels == Channels::kFirst ? 2 : args.size();
    bool patterns = run->channels == Channels::kAllPatterns;
    for (size_t i = 1; i < last; ++i) {
      if (user.CanAccessChannel(args[i], patterns)) continue;
      if (denied_arg != nullptr) *denied_arg = args[i];
      return Denial::kChannel;
    }
  }
  return Denial::kNone;
}

std::string DenialText(Denial denial, const commands::CommandSpec& spec,
                       std::span<const std::string_view> args) {
  if (denial == Denial::kKey) {
    return "NOPERM this user has no permissions to access one of the keys used as arguments";
  }
  if (denial == Denial::kChannel) {
    return "NOPERM this user has no permissions to access one of the channels used as "
           "arguments";
  }
  int unit = UnitOf(spec, args);
  std::string name = unit >= 0 ? Units()[unit].name : std::string(spec.name);
  return "NOPERM this user has no permissions to run the '" + name + "' command";
}

bool Admit(Registry& acl, client::Session& session, const commands::CommandSpec& spec,
           std::span<const std::string_view> args, resp::ReplyWriter& out) {
  if (!session.acl_ready) InitSession(acl, session);
  if (!Refresh(acl, session)) {
    session.close_after_reply = true;  // the user was deleted: disconnect, as Redis
    return false;
  }
  if (spec.flags & commands::kNoAuth) return true;
  if (AuthRequired(acl, session)) {
    out.Error(kErrNoAuth);
    return false;
  }
  std::string_view denied;
  Denial denial = Check(*session.acl_user, spec, args, &denied);
  if (denial == Denial::kNone) return true;
  LogCheckDenial(acl, session, denial, session.in_multi, spec, args, denied);
  out.Error(DenialText(denial, spec, args));
  return false;
}

bool AdmitQueued(Registry& acl, client::Session& session, const commands::CommandSpec& spec,
                 std::span<const std::string_view> args, resp::ReplyWriter& out) {
  if (spec.flags & commands::kNoAuth) return true;
  Denial denial = Denial::kCommand;
  std::string_view denied;
  if (Refresh(acl, session)) {
    denial = Check(*session.acl_user, spec, args, &denied);
    if (denial != Denial::kNone) LogCheckDenial(acl, session, denial, true, spec, args, denied);
  } else {
    session.close_after_reply = true;
  }
  if (denial == Denial::kNone) return true;
  std::string_view reason = "no permission to execute the command or subcommand";
  if (denial == Denial::kKey) reason = "no permission to touch the specified keys";
  if (denial == Denial::kChannel) {
    reason = "no permission to access one of the channels used as arguments";
  }
  out.Error(std::string(
                "NOPERM ACLs rules changed between the moment the transaction was accumulated "
                "and the EXEC call. This command is no longer allowed for the following reason: ") +
            std::string(reason));
  return false;
}

bool Authenticate(Registry& acl, std::mutex& clients_mu, client::Session& session,
                  std::string_view username, std::string_view password) {
  uint64_t epoch = acl.epoch();
  auto user = acl.Find(username);
  if (!user || !user->CheckPassword(password)) return false;
  {
    std::lock_guard lock(clients_mu);
    session.user_name = user->name();
  }
  session.acl_user = std::move(user);
  session.acl_epoch = epoch;
  session.authenticated = true;
  session.acl_ready = true;
  return true;
}

}  // namespace petacore::auth
