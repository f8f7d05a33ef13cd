// src/commands/command_docs.h — COMMAND DOCS: the documentation half of Redis 7.0's command
// JSON (summary, since, group, complexity, doc flags, history, arguments) for every command
// and subcommand PetaCore implements.
//
// The texts are Redis's interface data, reproduced from the reference server (redis-server
// 7.0.15) by scripts/gen-command-docs.py into command_docs_data.inc; nothing here is written
// by hand. PetaCore-only entries (CommandSpec::petacore_only) have a short entry of their own.
#pragma once

#include "commands/context.h"

namespace petacore::commands {

/// COMMAND DOCS [name ...]: a map of full name → docs, as Redis's commandDocsCommand; no
/// names: every command (subcommands inside their container's "subcommands" field); unknown
/// names are left out. Thread-safe (reads immutable data).
void CommandDocs(CommandContext& ctx);

}  // namespace petacore::commands
