// protected_mode.cc — the protected-mode decision at connection start.
#include "auth/protected_mode.h"

#include "auth/access.h"
#include "auth/registry.h"

namespace petacore::auth {

std::string_view ProtectedModeDenial() {
  // Redis 7.0's text, word for word (its suggestions name Redis's own config commands).
  static constexpr std::string_view kText =
      "-DENIED Redis is running in protected mode because protected mode is enabled and no "
      "password is set for the default user. In this mode connections are only accepted from "
      "the loopback interface. If you want to connect from external computers to Redis you "
      "may adopt one of the following solutions: 1) Just disable protected mode sending the "
      "command 'CONFIG SET protected-mode no' from the loopback interface by connecting to "
      "Redis from the same host the server is running, however MAKE SURE Redis is not "
      "publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change "
      "permanent. 2) Alternatively you can just disable the protected mode by editing the "
      "Redis configuration file, and setting the protected mode option to 'no', and then "
      "restarting the server. 3) If you started the server manually just for testing, restart "
      "it with the '--protected-mode no' option. 4) Setup a an authentication password for the "
      "default user. NOTE: You only need to do one of the above things in order for the server "
      "to start accepting connections from the outside.\r\n";
  return kText;
}

bool IsLoopback(const boost::asio::ip::address& remote) {
  if (remote.is_v4()) return remote.to_v4().is_loopback();
  auto v6 = remote.to_v6();
  if (v6.is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).is_loopback();
  }
  return v6.is_loopback();
}

bool ProtectedModeRefuses(bool protected_mode, bool default_nopass,
                          const boost::asio::ip::address& remote) {
  return protected_mode && default_nopass && !IsLoopback(remote);
}

std::string_view OnConnect(Registry& acl, bool protected_mode, client::Session& session,
                           const boost::asio::ip::address& remote) {
  InitSession(acl, session);
  if (ProtectedModeRefuses(protected_mode, acl.Default()->nopass(), remote)) {
    return ProtectedModeDenial();
  }
  return {};
}

}  // namespace petacore::auth
