// src/commands/tracking_specs.h — the CLIENT subcommands of client-side caching (TRACKING,
// CACHING, GETREDIR, TRACKINGINFO), appended to CLIENT's container in RegisterServerFamily.
#pragma once

#include <vector>

#include "commands/table.h"

namespace petacore::commands {

/// The specs of CLIENT's tracking subcommands (none yet: filled by the tracking work of
/// issue 12). Called once, at table construction.
inline std::vector<CommandSpec> TrackingSubcommandSpecs() { return {}; }

}  // namespace petacore::commands
