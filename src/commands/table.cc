// table.cc — the command table: registration, lookup of commands and subcommands.
#include "commands/table.h"

#include <algorithm>
#include <cctype>

#include "commands/errors.h"

namespace petacore::commands {

namespace {

/// `name` lower-cased into `buf` (at most 32 bytes); false when longer (no command is).
bool LowerInto(std::string_view name, char (&buf)[32]) {
  if (name.size() > sizeof(buf)) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    buf[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[i])));
  }
  return true;
}

void FillDerived(CommandSpec& spec, const CommandSpec* container) {
  spec.container = container;
  spec.fullname = container ? std::string(container->name) + "|" + std::string(spec.name)
                            : std::string(spec.name);
  spec.legacy = DeriveLegacyRange(spec.key_specs);
  if (spec.legacy.movable) spec.flags |= kMovableKeys;
}

}  // namespace

std::vector<std::string_view> CommandSpec::FlagNames() const {
  // COMMAND INFO's order (Redis's addCommandFlags).
  static constexpr std::pair<CommandFlag, std::string_view> kNames[] = {
      {kWrite, "write"},
      {kReadOnly, "readonly"},
      {kDenyOom, "denyoom"},
      {kAdmin, "admin"},
      {kPubSub, "pubsub"},
      {kNoScript, "noscript"},
      {kBlocking, "blocking"},
      {kLoading, "loading"},
      {kStale, "stale"},
      {kSkipMonitor, "skip_monitor"},
      {kSkipSlowlog, "skip_slowlog"},
      {kAsking, "asking"},
      {kFast, "fast"},
      {kNoAuth, "no_auth"},
      {kNoMandatoryKeys, "no_mandatory_keys"},
      {kNoAsyncLoading, "no_async_loading"},
      {kNoMulti, "no_multi"},
      {kMovableKeys, "movablekeys"},
      {kAllowBusy, "allow_busy"},
  };
  std::vector<std::string_view> out;
  for (const auto& [flag, word] : kNames) {
    if ((flags & flag) && !(flag == kBlocking && (flags & kParksQuietly))) out.push_back(word);
  }
  return out;
}

const CommandSpec* CommandSpec::FindSubcommand(std::string_view sub) const {
  for (const auto& s : subcommands) {
    if (s.name.size() != sub.size()) continue;
    bool same = true;
    for (size_t i = 0; i < sub.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(sub[i])) == s.name[i];
    }
    if (same) return &s;
  }
  return nullptr;
}

CommandTable& CommandTable::Add(CommandSpec spec) {
  index_[std::string(spec.name)] = specs_.size();
  specs_.push_back(std::move(spec));
  CommandSpec& added = specs_.back();  // deque: never moves again
  FillDerived(added, nullptr);
  for (auto& sub : added.subcommands) FillDerived(sub, &added);
  return *this;
}

const CommandSpec* CommandTable::Find(std::string_view name) const {
  char buf[32];
  if (!LowerInto(name, buf)) return nullptr;
  // The short string fits the small-string buffer, so this allocates nothing.
  auto it = index_.find(std::string(buf, name.size()));
  return it == index_.end() ? nullptr : &specs_[it->second];
}

const CommandSpec* CommandTable::Resolve(std::span<const std::string_view> args) const {
  if (args.empty()) return nullptr;
  const CommandSpec* spec = Find(args[0]);
  if (spec == nullptr || args.size() == 1 || spec->subcommands.empty()) return spec;
  return spec->FindSubcommand(args[1]);
}

const CommandSpec* CommandTable::FindFull(std::string_view fullname) const {
  size_t bar = fullname.find('|');
  if (bar == std::string_view::npos) return Find(fullname);
  const CommandSpec* container = Find(fullname.substr(0, bar));
  return container ? container->FindSubcommand(fullname.substr(bar + 1)) : nullptr;
}

std::string UnknownSubcommandError(std::span<const std::string_view> args) {
  std::string upper(args[0]);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return ErrUnknownSubcommand(args[1], upper);
}

const CommandTable& Table() {
  static const CommandTable table = [] {
    CommandTable t;
    RegisterStringFamily(t);
    RegisterKeyspaceFamily(t);
    RegisterServerFamily(t);
    RegisterConfigFamily(t);
    RegisterTxnFamily(t);
    RegisterHashFamily(t);
    RegisterListFamily(t);
    RegisterSetFamily(t);
    RegisterZSetFamily(t);
    RegisterStreamFamily(t);
    RegisterStreamGroupFamily(t);
    RegisterGenericFamily(t);
    RegisterExpireFamily(t);
    RegisterPetacoreFamily(t);
    RegisterDebugFamily(t);
    RegisterAclFamily(t);
    RegisterPubSubFamily(t);
    RegisterScriptFamily(t);
    RegisterFunctionFamily(t);
    RegisterBitmapFamily(t);
    RegisterSortFamily(t);
    RegisterLcsFamily(t);
    RegisterZSetSampleFamily(t);
    RegisterMpopFamily(t);
    RegisterHllFamily(t);
    RegisterGeoFamily(t);
    RegisterDumpFamily(t);  // h14: DUMP, RESTORE, MIGRATE
    RegisterPersistenceFamily(t);
    RegisterLolwutFamily(t);     
    RegisterReplicationFamily(t);
    RegisterClusterFamily(t);
    RegisterShutdownFamily(t);
    // observability (h15)
    RegisterSlowlogFamily(t);
    RegisterLatencyFamily(t);
    RegisterMonitorFamily(t);
    RegisterMemoryFamily(t);
    return t;
  }();
  return table;
}

}  // namespace petacore::commands
