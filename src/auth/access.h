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
/// command must not run, after writing the error reply (NOAUTH or NOPERM; a NOPERM is also
/// added to the ACL LOG, context "toplevel", or "multi" while queueing), or — when the
/// client's user was deleted (ACL DELUSER, on any node) and the connection was not closed yet
/// (ServerState's observer closes it) — after setting close_after_reply with no reply. Commands
/// with kNoAuth (AUTH, HELLO, QUIT) always pass, as in Redis. `acl`: the server's users.
bool Admit(Registry& acl, client::Session& session, const commands::CommandSpec& spec,
           std::span<const std::string_view> args, resp::ReplyWriter& out);

/// EXEC's re-check of one queued command, as Redis's execCommand (the ACL may have changed
/// since it was queued): false after writing "-NOPERM ACLs rules changed between ..." with
/// Redis's reason, in place of the command's reply (and an ACL LOG entry, context "multi"). A
/// deleted user is refused here too and the client is closed after the EXEC reply.
bool AdmitQueued(Registry& acl, client::Session& session, const commands::CommandSpec& spec,
                 std::span<const std::string_view> args, resp::ReplyWriter& out);

/// Whether `user` may run `args` (spec = its table entry, a subcommand's or its container's):
/// kNone, or the first failing check (the command, then each key it names, found by
/// commands::ExtractKeys, then each channel CommandSpec::channels names), as Redis 7.0's
/// ACLSelectorCheckCmd. A key whose key spec has the access flag needs read permission, one
/// with insert/delete/update write permission; a channel must be allowed by
/// User::CanAccessChannel (PSUBSCRIBE's as a pattern). On kKey / kChannel, *denied_arg (when
/// given) is the first refused key / channel.
Denial Check(const User& user, const commands::CommandSpec& spec,
             std::span<const std::string_view> args, std::string_view* denied_arg = nullptr);

/// The NOPERM error text of a denial, as Redis 7.0 ("... run the 'acl|whoami' command").
std::string DenialText(Denial denial, const commands::CommandSpec& spec,
                       std::span<const std::string_view> args);

/// Adds a denial to the node's ACL LOG (Registry::Log), as Redis's addACLLogEntry: `reason`
/// "command", "key", "channel" or "auth"; context "multi" when `multi`, else "toplevel";
/// `username` the user refused; the client's info line taken now. On the connection's thread.
void LogDenial(Registry& acl, const client::Session& session, std::string_view reason,
               bool multi, std::string_view object, std::string_view username);

/// The ACL LOG entry of a command a script (EVAL, FCALL) called and Check refused `denial`
/// (not kNone), context "lua", as Redis 7.0.15's scriptVerifyACL: the object is the command's
/// full name, or `denied_arg` (the key or channel). On the connection's thread.
void LogScriptDenial(Registry& acl, const client::Session& session, Denial denial,
                     const commands::CommandSpec& spec, std::span<const std::string_view> args,
                     std::string_view denied_arg);

/// Whether every channel, pattern and shard channel `session` is subscribed to is still
/// allowed by the current definition of its user (a deleted user allows none): Redis 7.0's
/// per-client test of ACLKillPubsubClientsIfNeeded. On the session's connection thread.
bool SubscriptionsAllowed(const Registry& acl, const client::Session& session);

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
