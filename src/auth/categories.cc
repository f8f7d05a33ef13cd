// categories.cc — ACL category names and the permission units built from the command table
// (each spec carries its categories, src/commands/*_family.cc).
#include "auth/categories.h"

#include <cctype>
#include <mutex>
#include <unordered_map>

#include "commands/table.h"

namespace petacore::auth {
namespace {

constexpr std::string_view kCategoryNames[] = {
    "keyspace", "read",   "write",       "set",       "sortedset",  "list",        "hash",
    "string",   "bitmap", "hyperloglog", "geo",       "stream",     "pubsub",      "admin",
    "fast",     "slow",   "blocking",    "dangerous", "connection", "transaction", "scripting",
};

// As Redis's setImplicitACLCategories: categories that follow from the command flags.
uint32_t ImplicitCategories(uint32_t flags) {
  uint32_t c = 0;
  if (flags & commands::kWrite) c |= kWrite;
  if (flags & commands::kReadOnly) c |= kRead;
  if (flags & commands::kAdmin) c |= kAdmin | kDangerous;
  if (flags & commands::kFast) c |= kFast;
  // WAIT parks without Redis's blocking flag (kParksQuietly), so it is not @blocking either.
  if ((flags & commands::kBlocking) && !(flags & commands::kParksQuietly)) c |= kBlocking;
  if (!(c & kFast)) c |= kSlow;
  return c;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

struct UnitTable {
  std::vector<Unit> units;
  std::unordered_map<std::string, int> index;
  std::vector<std::vector<int>> subs;  // per unit
};

const UnitTable& TheUnits() {
  static const UnitTable table = [] {
    UnitTable t;
    auto add = [&](const commands::CommandSpec& spec, int parent) {
      t.index[spec.fullname] = static_cast<int>(t.units.size());
      t.units.push_back({spec.fullname, &spec, parent, CategoriesOf(spec)});
      t.subs.emplace_back();
    };
    for (const auto& spec : commands::Table().all()) {
      int parent = static_cast<int>(t.units.size());
      add(spec, -1);
      for (const auto& sub : spec.subcommands) {
        t.subs[parent].push_back(static_cast<int>(t.units.size()));
        add(sub, parent);
      }
    }
    return t;
  }();
  return table;
}

}  // namespace

std::span<const std::string_view> CategoryNames() { return kCategoryNames; }

uint32_t CategoriesOf(const commands::CommandSpec& spec) {
  uint32_t implicit = ImplicitCategories(spec.flags);
  // As Redis: a read-only scripting command (EVAL_RO, EVALSHA_RO) is not in @read.
  if (spec.acl & kScripting) implicit &= ~kRead;
  return spec.acl | implicit;
}

uint32_t CategoryByName(std::string_view name) {
  std::string lower = Lower(name);
  for (size_t i = 0; i < std::size(kCategoryNames); ++i) {
    if (kCategoryNames[i] == lower) return 1u << i;
  }
  return 0;
}

const std::vector<Unit>& Units() { return TheUnits().units; }

int FindUnit(std::string_view name) {
  const auto& t = TheUnits();
  auto it = t.index.find(Lower(name));
  return it == t.index.end() ? -1 : it->second;
}

int UnitOf(const commands::CommandSpec& spec, std::span<const std::string_view> args) {
  const auto& t = TheUnits();
  auto it = t.index.find(spec.fullname);
  if (it == t.index.end()) return -1;
  if (args.size() >= 2 && !spec.subcommands.empty()) {
    if (const auto* sub = spec.FindSubcommand(args[1])) return t.index.at(sub->fullname);
  }
  return it->second;
}

std::span<const int> SubUnits(int unit) { return TheUnits().subs[unit]; }

}  // namespace petacore::auth
