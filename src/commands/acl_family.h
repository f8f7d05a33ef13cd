// src/commands/acl_family.h — what acl_family.cc offers other families: HELLO's
// authentication (HELLO itself lives in server_family.cc).
#pragma once

#include <string_view>

#include "commands/context.h"

namespace petacore::commands {

/// HELLO's AUTH option and the authentication HELLO requires, as Redis's helloCommand: a
/// failed AUTH answers WRONGPASS; an unauthenticated client without AUTH gets NOAUTH. Writes
/// the error and returns false when HELLO must stop. `credentials`: username, password (two
/// consecutive views); or null when HELLO has no AUTH option.
bool HelloAuthenticate(CommandContext& ctx, const std::string_view* credentials);

}  // namespace petacore::commands
