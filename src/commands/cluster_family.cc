// cluster_family.cc — CLUSTER, READONLY, READWRITE, ASKING and MODULE, as a Redis 7.0 server
// started without cluster mode and without modules answers them (docs/consistency.md "ROLE"):
// PetaCore shards nothing (every node holds every key, through etcd) and loads no modules.
#include <string>

#include "commands/context.h"
#include "commands/table.h"

namespace petacore::commands {

namespace {

constexpr std::string_view kErrClusterDisabled = "ERR This instance has cluster support disabled";

// Every CLUSTER subcommand (HELP too), READONLY, READWRITE, ASKING: as Redis without
// cluster-enabled. An unknown subcommand gets the table's "unknown subcommand" error first.
void ClusterDisabled(CommandContext& ctx) { ctx.out.Error(kErrClusterDisabled); }

// MODULE LIST: no module is loaded.
void ModuleList(CommandContext& ctx) { ctx.out.ArrayHeader(0); }

// MODULE LOAD / LOADEX / UNLOAD: refused as Redis 7.0 does with its default
// enable-module-command "no" (PetaCore loads no modules, whatever the option says).
void ModuleRefused(CommandContext& ctx) {
  ctx.out.Error(
      "ERR MODULE command not allowed. If the enable-module-command option is set to \"local\", "
      "you can run it from a local connection, otherwise you need to set this option in the "
      "configuration file, and then restart the server.");
}
void ModuleLoad(CommandContext& ctx) { ModuleRefused(ctx); }
void ModuleLoadex(CommandContext& ctx) { ModuleRefused(ctx); }
void ModuleUnload(CommandContext& ctx) { ModuleRefused(ctx); }

// MODULE HELP: Redis 7.0's text.
void ModuleHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "LIST",
      "    Return a list of loaded modules.",
      "LOAD <path> [<arg> ...]",
      "    Load a module library from <path>, passing to it any optional arguments.",
      "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
      "    Load a module library from <path>, while passing it module configurations and "
      "optional arguments.",
      "UNLOAD <name>",
      "    Unload a module.",
      "HELP",
      "    Prints this help.",
  };
  ctx.out.ArrayHeader(std::size(kLines));
  for (auto line : kLines) ctx.out.Simple(line);
}

}  // namespace

void RegisterClusterFamily(CommandTable& t) {
  t.Add({.name = "cluster",
       .arity = -2,
       .flags = 0,
       .acl = acl::kSlow,
       .subcommands = {{.name = "addslots",
                       .arity = -3,
                       .flags = kAdmin | kStale | kNoAsyncLoading,
                       .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                       .handler = ClusterDisabled},
                       {.name = "addslotsrange",
                       .arity = -4,
                       .flags = kAdmin | kStale | kNoAsyncLoading,
                       .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                       .handler = ClusterDisabled},
                       {.name = "bumpepoch",
                       .arity = 2,
                       .flags = kAdmin | kStale | kNoAsyncLoading,
                       .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                       .tips = {"nondeterministic_output"},
                       .handler = ClusterDisabled},
                       {.name = "count-failure-reports",
                       .arity = 3,
                       .flags = kAdmin | kStale,
                       .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                       .tips = {"nondeterministic_output"},
                       .handler = ClusterDisabled},
                       {.name = "countkeysinslot",
                       .arity = 3,
                       .flags = kStale,
                       .acl = acl::kSlow,
                       .handler = ClusterDisabled},
                       {.name = "delslots",
                       .arity = -3,
                       .flags = kAdmin | kStale | kNoAsyncLoading,
                       .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                       .handler = ClusterDisabled},
                       {.name = "delslotsrange",
                       .arity = -4,
                       .flags = kAdmin | kStale | kNoAsyncLoading,
                       .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                       .handler = ClusterDisabled},
                       {.name = "failover",
                       .arity = -2,
                       .flags = kAdmin | kStale | kNoAsyncLoading,
                       .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                       .handler = ClusterDisabled},
                       {.name = "flushslots",
                       .arity = 2,
                       .flags = kAdmin | kStale | kNoAsyncLoading,
                       .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                       .handler = ClusterDisabled},
                       {.name = "forget",
                       .arity = 3,
                       .flags = kAdmin | kStale | kNoAsyncLoading,
                       .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                       .handler = ClusterDisabled},
                       {.name = "getkeysinslot",
                       .arity = 4,
                       .flags = kStale,
                       .acl = acl::kSlow,
                       .tips = {"nondeterministic_output"},
                       .handler = ClusterDisabled},
                       {.name = "help",
                       .arity = 2,
                       .flags = kLoading | kStale,
                       .acl = acl::kSlow,
                       .handler = ClusterDisabled},
                       {.name = "info",
                       .arity = 2,
                       .flags = kStale,
                       .acl = acl::kSlow,
                       .tips = {"nondeterministic_output"},
                       .handler = ClusterDisabled},
                       {.name = "keyslot",
                       .arity = 3,
                       .flags = kStale,
                       .acl = acl::kSlow,
                       .handler = ClusterDisabled},
                       {.name = "links",
                       .arity = 2,
                       .flags = kStale,
                       .acl = acl::kSlow,
                       .tips = {"nondeterministic_output"},
                       .handler = ClusterDisabled},
                       {.name = "meet",
                       .arity = -4,
                       .flags = kAdmin | kStale | kNoAsyncLoading,
                       .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                       .handler = ClusterDisabled},
                       {.name = "myid",
                       .arity = 2,
                       .flags = kStale,
                       .acl = acl::kSlow,
                       .handler = ClusterDisabled},
                       {.name = "nodes",
                       .arity = 2,
                       .flags = kStale,
                       .acl = acl::kSlow,
                       .tips = {"nondeterministic_output"},
                       .handler = ClusterDisabled},
                       {.name = "replicas",
                       .arity = 3,
                       .flags = kAdmin | kStale,
                       .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                       .tips = {"nondeterministic_output"},
                       .handler = ClusterDisabled},
                       {.name = "replicate",
                       .arity = 3,
                       .flags = kAdmin | kStale | kNoAsyncLoading,
                       .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                       .handler = ClusterDisabled},
                       {.name = "reset",
                       .arity = -2,
                       .flags = kAdmin | kNoScript | kStale,
                       .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                       .handler = ClusterDisabled},
                       {.name = "saveconfig",
                       .arity = 2,
                       .flags = kAdmin | kStale | kNoAsyncLoading,
                       .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                       .handler = ClusterDisabled},
                       {.name = "set-config-epoch",
                       .arity = 3,
                       .flags = kAdmin | kStale | kNoAsyncLoading,
                       .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                       .handler = ClusterDisabled},
                       {.name = "setslot",
                       .arity = -4,
                       .flags = kAdmin | kStale | kNoAsyncLoading,
                       .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                       .handler = ClusterDisabled},
                       {.name = "shards",
                       .arity = 2,
                       .flags = kStale,
                       .acl = acl::kSlow,
                       .tips = {"nondeterministic_output"},
                       .handler = ClusterDisabled},
                       {.name = "slaves",
                       .arity = 3,
                       .flags = kAdmin | kStale,
                       .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                       .tips = {"nondeterministic_output"},
                       .handler = ClusterDisabled},
                       {.name = "slots",
                       .arity = 2,
                       .flags = kStale,
                       .acl = acl::kSlow,
                       .tips = {"nondeterministic_output"},
                       .handler = ClusterDisabled}}});
  t.Add({.name = "readonly",
         .arity = 1,
         .flags = kLoading | kStale | kFast,
         .acl = acl::kFast | acl::kConnection,
         .handler = ClusterDisabled});
  t.Add({.name = "readwrite",
         .arity = 1,
         .flags = kLoading | kStale | kFast,
         .acl = acl::kFast | acl::kConnection,
         .handler = ClusterDisabled});
  t.Add({.name = "asking",
         .arity = 1,
         .flags = kFast,
         .acl = acl::kFast | acl::kConnection,
         .handler = ClusterDisabled});
  t.Add({.name = "module",
       .arity = -2,
       .flags = 0,
       .acl = acl::kSlow,
       .subcommands = {{.name = "help",
                       .arity = 2,
                       .flags = kLoading | kStale,
                       .acl = acl::kSlow,
                       .handler = ModuleHelp},
                       {.name = "list",
                       .arity = 2,
                       .flags = kAdmin | kNoScript,
                       .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                       .tips = {"nondeterministic_output_order"},
                       .handler = ModuleList},
                       {.name = "load",
                       .arity = -3,
                       .flags = kAdmin | kNoScript | kNoAsyncLoading,
                       .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                       .handler = ModuleLoad},
                       {.name = "loadex",
                       .arity = -3,
                       .flags = kAdmin | kNoScript | kNoAsyncLoading,
                       .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                       .handler = ModuleLoadex},
                       {.name = "unload",
                       .arity = 3,
                       .flags = kAdmin | kNoScript | kNoAsyncLoading,
                       .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                       .handler = ModuleUnload}}});
}

}  // namespace petacore::commands
