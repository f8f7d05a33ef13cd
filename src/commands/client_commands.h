// src/commands/client_commands.h — the connection commands of issue 12: CLIENT LIST / INFO /
// KILL / PAUSE / UNPAUSE / NO-EVICT / REPLY / UNBLOCK and RESET, as Redis 7.0.15 (networking.c
// behaviour; facts only). Their specs are in RegisterServerFamily (server_family.cc).
#pragma once

#include "commands/context.h"

namespace petacore::commands {

/// CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id ...]: one line per client of this
/// node; RESP3 verbatim "txt", RESP2 bulk.
void ClientList(CommandContext& ctx);
/// CLIENT INFO: this client's line.
void ClientInfo(CommandContext& ctx);
/// CLIENT KILL addr:port (+OK / "ERR No such client") or CLIENT KILL filter value ...
/// (ID, ADDR, LADDR, USER, SKIPME, MAXAGE, TYPE; answers the count). Other clients are closed
/// through Session::disconnect; the caller itself replies first, then closes.
void ClientKill(CommandContext& ctx);
/// CLIENT PAUSE timeout-ms [WRITE|ALL] and CLIENT UNPAUSE (ServerView::PauseClients).
void ClientPause(CommandContext& ctx);
void ClientUnpause(CommandContext& ctx);
/// CLIENT NO-EVICT on|off (the flag only).
void ClientNoEvict(CommandContext& ctx);
/// CLIENT REPLY ON|OFF|SKIP (the Connection drops the replies, see Session::reply_off).
void ClientReply(CommandContext& ctx);
/// CLIENT UNBLOCK id [TIMEOUT|ERROR]: :1 when client `id` of this node was parked in a
/// blocking command (it is answered at once, on its own thread), else :0.
void ClientUnblock(CommandContext& ctx);
/// CLIENT HELP: Redis 7.0.15's help lines, simple strings.
void ClientHelp(CommandContext& ctx);
/// RESET: leaves MULTI, forgets WATCHed keys, db 0, RESP2, no name, CLIENT REPLY ON, no
/// NO-EVICT, the default user (authenticated if it needs no password); answers +RESET.
void Reset(CommandContext& ctx);

}  // namespace petacore::commands
