// config_family.cc — CONFIG GET / SET / RESETSTAT / REWRITE / HELP, as Redis 7.0 (config.c),
// over the option table of config/config_registry.h.
//
// CONFIG SET is all or nothing: every pair is checked on a copy of the node's Config first,
// with Redis 7's error texts, and nothing changes if one fails. Node-local options then change
// at once; cluster-wide ones are written as internal keys on the command's TxnView, so the
// Driver commits them like data (an etcd Txn in replicated mode) and every node applies them
// from its watch — the reply comes once this node applied them. A CONFIG SET that mixes both
// kinds and then fails in etcd has already changed the node-local ones (documented).
#include <spdlog/spdlog.h>

#include <cctype>
#include <set>

#include "commands/context.h"
#include "commands/glob.h"
#include "commands/table.h"
#include "config/config_registry.h"

namespace petacore::commands {
namespace {

using config::ConfigOption;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string SetFailed(std::string_view arg, std::string_view reason) {
  return "ERR CONFIG SET failed (possibly related to argument '" + std::string(arg) + "') - " +
         std::string(reason);
}

// CONFIG GET pattern [pattern ...]: every option and alias whose name matches one pattern
// (case-insensitive), each once.
void ConfigGet(CommandContext& ctx) {
  std::vector<std::string> patterns;
  for (size_t i = 2; i < ctx.args.size(); ++i) patterns.push_back(Lower(ctx.args[i]));
  auto matches = [&](std::string_view name) {
    for (const auto& p : patterns) {
      if (GlobMatch(p, name)) return true;
    }
    return false;
  };
  std::vector<std::pair<std::string, std::string>> hits;
  {
    std::lock_guard lock(ctx.server.OptionsMutex());
    const config::Config& c = ctx.server.Options();
    for (const auto& o : config::ConfigOptions()) {
      if (o.flags & (config::kConfigSecret | config::kConfigFlagOnly)) continue;
      for (std::string_view name : {o.name, o.redis_alias}) {
        if (!name.empty() && matches(name)) hits.emplace_back(name, o.get(c));
      }
    }
  }
  for (const auto& o : config::InertOptions()) {
    if (matches(o.name)) hits.emplace_back(o.name, o.value);
  }
  ctx.out.MapHeader(hits.size());
  for (const auto& [name, value] : hits) {
    ctx.out.Bulk(name);
    ctx.out.Bulk(value);
  }
}

// CONFIG SET name value [name value ...]
void ConfigSet(CommandContext& ctx) {
  if (ctx.args.size() < 4 || ctx.args.size() % 2 != 0) {
    return ctx.out.Error(ErrWrongArgs("config|set"));
  }
  struct Change {
    const ConfigOption* option;
    std::string_view arg;
  };
  std::vector<Change> changes;
  std::set<std::string_view> seen;
  std::lock_guard lock(ctx.server.OptionsMutex());
  config::Config probe = ctx.server.Options();
  for (size_t i = 2; i < ctx.args.size(); i += 2) {
    std::string_view arg = ctx.args[i], value = ctx.args[i + 1];
    const ConfigOption* o = config::FindConfigOption(arg);
    std::string_view name = o ? o->name : arg;
    if (o == nullptr || (o->flags & config::kConfigFlagOnly)) {
      const config::InertOption* inert = config::FindInertOption(arg);
      if (inert == nullptr) {
        return ctx.out.Error("ERR Unknown option or number of arguments for CONFIG SET - '" +
                             std::string(arg) + "'");
      }
      name = inert->name;
      if (!seen.insert(name).second) return ctx.out.Error(SetFailed(arg, "duplicate parameter"));
      // Inert: PetaCore does what the value it answers says; only that value is accepted.
      if (value != inert->value) return ctx.out.Error(SetFailed(arg, "can't set immutable config"));
      continue;
    }
    if (!seen.insert(name).second) return ctx.out.Error(SetFailed(arg, "duplicate parameter"));
    if (o->flags & config::kConfigImmutable) {
      return ctx.out.Error(SetFailed(arg, "can't set immutable config"));
    }
    if (auto error = o->set(&probe, value); !error.empty()) {
      return ctx.out.Error(SetFailed(arg, error));
    }
    changes.push_back({o, arg});
  }
  for (const auto& ch : changes) {
    if (ch.option->flags & config::kConfigCluster) {
      // Stored as its canonical text; applied on every node (this one too) from the store.
      ctx.txn.Put(config::ClusterConfigKey(ch.option->name),
                  ch.option->store ? ch.option->store(probe) : ch.option->get(probe));
    } else {
      ch.option->set(&ctx.server.Options(), ch.option->get(probe));
      if (ch.option->name == "loglevel") {
        spdlog::set_level(spdlog::level::from_str(ctx.server.Options().log_level));
      }
    }
  }
  ctx.out.Ok();
}

void ConfigResetStat(CommandContext& ctx) {
  ctx.server.ResetStats();
  ctx.out.Ok();
}

void ConfigRewrite(CommandContext& ctx) {
  config::Config current;
  {
    std::lock_guard lock(ctx.server.OptionsMutex());
    current = ctx.server.Options();
  }
  if (current.config_file.empty()) {
    return ctx.out.Error("ERR The server is running without a config file");
  }
  if (auto error = config::RewriteConfigFile(current.config_file, current); !error.empty()) {
    spdlog::warn("CONFIG REWRITE failed: {}", error);
    return ctx.out.Error("ERR Rewriting config file: " + error);
  }
  spdlog::info("CONFIG REWRITE executed with success.");
  ctx.out.Ok();
}

void ConfigHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GET <pattern>",
      "    Return parameters matching the glob-like <pattern> and their values.",
      "SET <directive> <value>",
      "    Set the configuration <directive> to <value>.",
      "RESETSTAT",
      "    Reset statistics reported by the INFO command.",
      "REWRITE",
      "    Rewrite the configuration file.",
      "HELP",
      "    Prints this help."};
  ctx.out.ArrayHeader(std::size(kLines));
  for (auto line : kLines) ctx.out.Simple(line);
}

}  // namespace

void RegisterConfigFamily(CommandTable& t) {
  // CONFIG SET runs as a Job (internal write): a cluster-wide option commits internal keys.
  // The other subcommands write nothing to etcd. The Driver resolved the subcommand and
  // checked its arity before a handler runs.
  t.Add({.name = "config",
         .arity = -2,
         .flags = 0,
         .acl = acl::kSlow,
         .subcommands = {{.name = "get",
                          .arity = -3,
                          .flags = kAdmin | kNoScript | kLoading | kStale,
                          .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                          .handler = ConfigGet},
                         {.name = "set",
                          .arity = -4,
                          .flags = kAdmin | kNoScript | kLoading | kStale | kInternalWrite,
                          .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                          .tips = {"request_policy:all_nodes", "response_policy:all_succeeded"},
                          .handler = ConfigSet},
                         {.name = "resetstat",
                          .arity = 2,
                          .flags = kAdmin | kNoScript | kLoading | kStale,
                          .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                          .handler = ConfigResetStat},
                         {.name = "rewrite",
                          .arity = 2,
                          .flags = kAdmin | kNoScript | kLoading | kStale,
                          .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
                          .handler = ConfigRewrite},
                         {.name = "help",
                          .arity = 2,
                          .flags = kLoading | kStale,
                          .acl = acl::kSlow,
                          .handler = ConfigHelp}}});
}

}  // namespace petacore::commands
