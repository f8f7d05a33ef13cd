// access.cc — authentication and the per-command ACL checks.
#include "auth/access.h"

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

}  // namespace

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
             std::span<const std::string_view> args, std::string_view* denied_key) {
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
    bool read = (k.flags & commands::kKeyAccess) != 0;
    bool write =
        (k.flags & (commands::kKeyInsert | commands::kKeyDelete | commands::kKeyUpdate)) != 0;
    if (user.CanAccessKey(args[k.index], read, write)) continue;
    if (denied_key != nullptr) *denied_key = args[k.index];
    return Denial::kKey;
  }
  return Denial::kNone;
}

std::string DenialText(Denial denial, const commands::CommandSpec& spec,
                       std::span<const std::string_view> args) {
  if (denial == Denial::kKey) {
    return "NOPERM this user has no permissions to access one of the keys used as arguments";
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
  Denial denial = Check(*session.acl_user, spec, args);
  if (denial == Denial::kNone) return true;
  out.Error(DenialText(denial, spec, args));
  return false;
}

bool AdmitQueued(Registry& acl, client::Session& session, const commands::CommandSpec& spec,
                 std::span<const std::string_view> args, resp::ReplyWriter& out) {
  if (spec.flags & commands::kNoAuth) return true;
  Denial denial = Denial::kCommand;
  if (Refresh(acl, session)) {
    denial = Check(*session.acl_user, spec, args);
  } else {
    session.close_after_reply = true;
  }
  if (denial == Denial::kNone) return true;
  out.Error(std::string(
                "NOPERM ACLs rules changed between the moment the transaction was accumulated "
                "and the EXEC call. This command is no longer allowed for the following reason: ") +
            (denial == Denial::kKey ? "no permission to touch the specified keys"
                                    : "no permission to execute the command or subcommand"));
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
