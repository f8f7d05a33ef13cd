// info.cc — INFO [section ...]: which sections, in Redis 7.0.15's order (server.c
// genInfoSectionDict / genRedisInfoString). The sections themselves are in info_sections.cc
// and info_data.cc; "petacore" is PetaCore's own (replication state: mode, etcd, revisions).
//
// No argument or "default": the default sections plus petacore. "all": every section.
// "everything": "all" plus the modules' own sections (none). Names are case-insensitive; an
// unknown name adds nothing. Sections are separated by an empty line; the text ends with the
// last field's "\r\n". A verbatim string in RESP3.
#include "commands/info.h"

#include <string>

#include "commands/context.h"
#include "commands/info_sections.h"
#include "commands/replication.h"
#include "commands/table.h"

namespace petacore::commands {

namespace {

struct Section {
  std::string_view name;
  bool in_default;  ///< part of INFO / INFO default
  void (*write)(CommandContext&, std::string&);
  std::string_view alias = {};  ///< another name selecting it ("modules" for module_list)
};

// commandstats, errorstats, latencystats: this node's figures (server/observability.h, through
// ServerView::InfoLines); of these only errorstats is in the default set, as Redis.
void CommandStats(CommandContext& ctx, std::string& s) {
  s += "# Commandstats\r\n" + ctx.server.InfoLines("commandstats");
}
void ErrorStats(CommandContext& ctx, std::string& s) {
  s += "# Errorstats\r\n" + ctx.server.InfoLines("errorstats");
}
void LatencyStats(CommandContext& ctx, std::string& s) {
  s += "# Latencystats\r\n" + ctx.server.InfoLines("latencystats");
}

// Redis 7.0.15's order.
constexpr Section kSections[] = {
    {"server", true, info::Server},
    {"clients", true, info::Clients},
    {"memory", true, info::Memory},
    {"persistence", true, info::Persistence},
    {"stats", true, info::Stats},
    {"replication", true, info::Replication},
    {"cpu", true, info::Cpu},
    {"module_list", true, info::Modules, "modules"},
    {"commandstats", false, CommandStats},
    {"errorstats", true, ErrorStats},
    {"latencystats", false, LatencyStats},
    {"cluster", true, info::Cluster},
    {"keyspace", true, info::Keyspace},
    {"petacore", true, info::Petacore},
};

}  // namespace

void Info(CommandContext& ctx) {
  bool all = false;
  auto named = [&](const Section& section) {
    for (size_t i = 1; i < ctx.args.size(); ++i) {
      auto arg = ctx.args[i];
      if (EqualsIgnoreCase(arg, section.name) ||
          (!section.alias.empty() && EqualsIgnoreCase(arg, section.alias)) ||
          (section.in_default && EqualsIgnoreCase(arg, "default"))) {
        return true;
      }
    }
    return false;
  };
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    all = all || EqualsIgnoreCase(ctx.args[i], "all") || EqualsIgnoreCase(ctx.args[i], "everything");
  }
  std::string s;
  for (const auto& section : kSections) {
    bool wanted = ctx.args.size() == 1 ? section.in_default : all || named(section);
    if (!wanted) continue;
    if (!s.empty()) s += "\r\n";
    section.write(ctx, s);
  }
  ctx.out.Verbatim("txt", s);  // a verbatim string in RESP3, as Redis's INFO
}

}  // namespace petacore::commands
