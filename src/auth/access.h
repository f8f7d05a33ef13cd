// src/auth/access.h — who a client is and what it may run: authentication (AUTH, HELLO AUTH)
// and the per-command checks the Driver makes before a command runs or is queued, with Redis
// 7.0's order and texts (server.c processCommand: unknown command and arity first, then
// NOAUTH, then the ACL's NOPERM).
#pragma once

#include <mutex>
#include <span>
#include <string_view>

#include "auth/registry.h"
#include "auth/user.h"
#include "client/session.h"
#include "resp/reply.h"

namespace petacore::commands {
struct CommandSpec;
}

namespace petacore::auth {

inline constexpr std::string_view kErrNoAuth = "NOAUTH Authentication required.";
inline constexpr std::string_view kErrWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";

/// Sets a new client's ACL fields as Redis's createClient: user "default" of `acl`,
/// authenticated when that user needs no password and is enabled. Idempotent; on the
/// connection's thread.
void InitSession(Registry& acl, client::Session& session);

/// The Driver's one check before a command runs (or is queued in MULTI): false when the
/// command must not run, after writing the error reply (NOAUTH or NOPERM), or — when the
/// client's user was deleted (ACL DELUSER, on any node) and the connection was not closed yet
/// (ServerState's observer closes it) — after setting close_after_reply with no reply. Commands
/// with kNoAuth (AUTH, HELLO, QUIT) always pass, as in Redis. `acl`: the server's users.
bool Admit(Registry& acl, client::Session& session, const commands::CommandSpec& spec,
           std::span<const std::string_view> args, resp::ReplyWriter& out);

/// EXEC's re-check of one queued command, as Redis's execCommand (the ACL may have changed
/// since it was queued): false after writing "-NOPERM ACLs rules changed between ..." with
/// Redis's reason, in place of the command's reply. A deleted user is refused here too and the
/// client is closed after the EXEC reply.
bool AdmitQueued(Registry& acl, client::Session& session, const commands::CommandSpec& spec,
                 std::span<const std::string_view> args, resp::ReplyWriter& out);

/// Whether `user` may run `args` (spec = its table entry, a subcommand's or its container's):
/// kNone, or the first failing check (the command, then each key it names, found by
/// commands::ExtractKeys). As Redis 7: a key whose key spec has the access flag needs read
/// permission, one with insert/delete/update write permission. On kKey, *denied_key (when
/// given) is the first refused key.
Denial Check(const User& user, const commands::CommandSpec& spec,
             std::span<const std::string_view> args, std::string_view* denied_key = nullptr);

/// The NOPERM error text of a denial, as Redis 7.0 ("... run the 'acl|whoami' command").
std::string DenialText(Denial denial, const commands::CommandSpec& spec,
                       std::span<const std::string_view> args);

/// AUTH [username] password and HELLO ... AUTH: on success the session acts as `username`,
/// authenticated. False (session unchanged) for an unknown or disabled user or a wrong
/// password. `clients_mu` guards the listed fields of sessions (user_name is one, for CLIENT
/// LIST); it is held while user_name changes.
bool Authenticate(Registry& acl, std::mutex& clients_mu, client::Session& session,
                  std::string_view username, std::string_view password);

/// Whether the client must authenticate before running commands other than kNoAuth ones
/// (Redis's authRequired: the default user needs a password or is off, and the client has not
/// authenticated).
bool AuthRequired(const Registry& acl, const client::Session& session);

}  // namespace petacore::auth
