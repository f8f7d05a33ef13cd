// src/commands/info_sections.h — the sections of INFO (info.cc picks them), one function each,
// in info_sections.cc (server, clients, memory, cpu, modules, cluster) and info_data.cc
// (persistence, stats, keyspace). Each appends "# Title\r\n" and its "name:value\r\n" lines,
// with Redis 7.0.15's field names in its order, then PetaCore's own fields of that section.
// Fields PetaCore has no figure for are 0 (listed in docs/operations.md, "INFO").
#pragma once

#include <string>
#include <string_view>

#include "commands/context.h"

namespace petacore::commands::info {

/// Appends "name:value\r\n".
void Field(std::string& s, std::string_view name, std::string_view value);
/// Appends "name:<n>\r\n".
void Field(std::string& s, std::string_view name, int64_t value);

// One section each; `s` is INFO's text so far. Thread-safe (they read ctx.server and ctx.txn).
void Server(CommandContext& ctx, std::string& s);
void Clients(CommandContext& ctx, std::string& s);
void Memory(CommandContext& ctx, std::string& s);
void Persistence(CommandContext& ctx, std::string& s);
void Stats(CommandContext& ctx, std::string& s);
void Cpu(CommandContext& ctx, std::string& s);
void Modules(CommandContext& ctx, std::string& s);
void Cluster(CommandContext& ctx, std::string& s);
void Keyspace(CommandContext& ctx, std::string& s);
void Petacore(CommandContext& ctx, std::string& s);

}  // namespace petacore::commands::info
