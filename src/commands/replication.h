// src/commands/replication.h — what the replication commands (replication_family.cc) share
// with INFO: the other live nodes as the node registry lists them, and INFO's "replication"
// section (docs/consistency.md "ROLE").
#pragma once

#include <string>
#include <vector>

#include "commands/context.h"
#include "keyspace/node_record.h"

namespace petacore::commands {

/// The records of the other live nodes (not this one), in key order, as `ctx.txn` sees the
/// node registry (keyspace/node_record.h); empty in standalone mode. A dead node is absent
/// once its lease expired.
std::vector<keyspace::NodeRecord> OtherNodes(CommandContext& ctx);

/// INFO's "# Replication" lines (without the header), as a Redis master whose replicas are
/// the other live nodes: role, connected_slaves, slaveN, master_repl_offset (this node's
/// applied revision) and the backlog fields with Redis's neutral values.
std::string ReplicationInfoLines(CommandContext& ctx);

namespace info {
/// INFO's "replication" section: appends "# Replication\r\n" and ReplicationInfoLines (the
/// shape of the section writers INFO's table lists, after "stats" in Redis 7.0.15's order).
void Replication(CommandContext& ctx, std::string& s);
}  // namespace info

}  // namespace petacore::commands
