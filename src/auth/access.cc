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
bool Refresh(Registry& acl, server::Session& session) {
  uint64_t epoch = acl.epoch();
  if (session.acl_epoch == epoch && session.acl_user) return true;
  session.acl_user = acl.Find(session.user_name);
  session.acl_epoch = epoch;
  return session.acl_user != nullptr;
}

/// Calls fn(key) for every key argument of a command: the table's first/last/step, and for
/// the commands whose keys move (numkeys) or that the table lists without keys, their keys.
template <typename Fn>
bool ForEachKey(const commands::CommandSpec& spec, std::span<const std::string_view> args,
                Fn&& fn) {
  int argc = static_cast<int>(args.size());
  auto numkeys = [&](int at, int first) {  // "numkeys key [key ...]" at args[at]
    int64_t n = 0;
    if (at >= argc || !commands::ParseInt64(args[at], &n) || n < 0) return true;
    for (int i = first; i < argc && i < first + n; ++i) {
      if (!fn(args[i])) return false;
    }
    return true;
  };
  std::string_view name = spec.name;
  if (name == "zunion" || name == "zinter" || name == "zdiff" || name == "sintercard") {
    return numkeys(1, 2);
  }
  if (name == "zunionstore" || name == "zinterstore" || name == "zdiffstore") {
    if (argc > 1 && !fn(args[1])) return false;
    return numkeys(2, 3);
  }
  if (name == "object") return argc < 3 || fn(args[2]);
  if (spec.first_key <= 0) return true;
  int last = spec.last_key < 0 ? argc + spec.last_key : spec.last_key;
  for (int i = spec.first_key; i <= last && i < argc; i += std::max(spec.step, 1)) {
    if (!fn(args[i])) return false;
  }
  return true;
}

}  // namespace

void InitSession(Registry& acl, server::Session& session) {
  if (session.acl_ready) return;
  session.acl_ready = true;
  session.acl_epoch = acl.epoch();  // before the read: a later change is seen next time
  auto def = acl.Default();
  session.authenticated = def->nopass() && def->enabled();
  session.acl_user = def;
}

bool AuthRequired(const Registry& acl, const server::Session& session) {
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
  bool read = (spec.flags & commands::kReadOnly) != 0;
  bool write = !read;
  bool ok = ForEachKey(spec, args, [&](std::string_view key) {
    if (user.CanAccessKey(key, read, write)) return true;
    if (denied_key != nullptr) *denied_key = key;
    return false;
  });
  return ok ? Denial::kNone : Denial::kKey;
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

bool Admit(Registry& acl, server::Session& session, const commands::CommandSpec& spec,
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

bool AdmitQueued(Registry& acl, server::Session& session, const commands::CommandSpec& spec,
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

bool Authenticate(Registry& acl, std::mutex& clients_mu, server::Session& session,
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
