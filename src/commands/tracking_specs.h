// src/commands/tracking_specs.h — the specs of CLIENT's client-side caching subcommands
// (TRACKING, CACHING, GETREDIR, TRACKINGINFO), for CLIENT's container in server_family.cc.
#pragma once

#include <vector>

#include "client/session.h"
#include "commands/server_view.h"
#include "commands/table.h"

namespace petacore::commands {

/// CLIENT TRACKING/CACHING/GETREDIR/TRACKINGINFO, as redis-server 7.0.15's COMMAND INFO
/// (handlers in tracking_family.cc). Pure; called once, by RegisterServerFamily.
std::vector<CommandSpec> TrackingSubcommandSpecs();

/// Turns CLIENT TRACKING off for `session` (its mode cleared, the server's tracking table
/// forgets it), as Redis's disableTracking: for RESET. Session's connection thread only.
void TrackingOff(client::Session& session, ServerView& server);

}  // namespace petacore::commands
