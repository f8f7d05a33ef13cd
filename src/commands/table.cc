#include "commands/table.h"

#include <algorithm>
#include <cctype>

namespace petacore::commands {

std::vector<std::string_view> CommandSpec::FlagNames() const {
  static constexpr std::pair<CommandFlag, std::string_view> kNames[] = {
      {kWrite, "write"},       {kReadOnly, "readonly"}, {kDenyOom, "denyoom"},
      {kAdmin, "admin"},       {kNoScript, "noscript"}, {kLoading, "loading"},
      {kStale, "stale"},       {kFast, "fast"},         {kAllowBusy, "allow_busy"},
      {kBlocking, "blocking"}, {kNoAuth, "no_auth"},
  };
  std::vector<std::string_view> out;
  for (const auto& [flag, word] : kNames) {
    if (flags & flag) out.push_back(word);
  }
  return out;
}

CommandTable& CommandTable::Add(CommandSpec spec) {
  index_[std::string(spec.name)] = specs_.size();
  specs_.push_back(spec);
  return *this;
}

const CommandSpec* CommandTable::Find(std::string_view name) const {
  char buf[32];
  if (name.size() > sizeof(buf)) return nullptr;  // no command name is that long
  for (size_t i = 0; i < name.size(); ++i) {
    buf[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[i])));
  }
  // Heterogeneous lookup is C++20 for unordered_map only with a transparent hash; the short
  // string fits the small-string buffer, so this allocates nothing.
  auto it = index_.find(std::string(buf, name.size()));
  return it == index_.end() ? nullptr : &specs_[it->second];
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
    RegisterGenericFamily(t);
    RegisterExpireFamily(t);
    RegisterPetacoreFamily(t);
    RegisterDebugFamily(t);
    RegisterAclFamily(t);
    return t;
  }();
  return table;
}

}  // namespace petacore::commands
