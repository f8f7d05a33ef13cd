// src/auth/protected_mode.h — Redis's protected mode: with --protected-mode yes (the default)
// and a default user without a password, only loopback clients are served; any other client
// gets Redis's "-DENIED ..." line and is disconnected (networking.c, clientAcceptHandler).
// As in Redis 7.0, --bind does not matter.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <string>
#include <string_view>

#include "auth/registry.h"
#include "client/session.h"

namespace petacore::auth {

/// Redis 7.0's DENIED line, CRLF included.
std::string_view ProtectedModeDenial();

/// Whether `remote` is a loopback address: 127.0.0.0/8, ::1, or an IPv4-mapped 127.x.
bool IsLoopback(const boost::asio::ip::address& remote);

/// The decision alone: refuse when protected mode is on, the default user has no password
/// (nopass), and the client is not on loopback.
bool ProtectedModeRefuses(bool protected_mode, bool default_nopass,
                          const boost::asio::ip::address& remote);

/// At connection start: sets up the session's ACL fields from `acl` (InitSession) and returns
/// the text to send before closing when protected mode (`protected_mode`: the server's
/// --protected-mode) refuses `remote`, else "".
std::string_view OnConnect(Registry& acl, bool protected_mode, client::Session& session,
                           const boost::asio::ip::address& remote);

}  // namespace petacore::auth
