// src/auth/categories.h — ACL categories and the permission units ACL rules name.
//
// A permission unit is what one "+name"/"-name" rule switches: a command ("get"), or a
// subcommand of a container command ("client|id"), as Redis 7.0 keeps one ACL bit per command
// and per subcommand. Each unit carries Redis's ACL categories (@read, @string, ...). The unit
// list is built once from the command table (src/commands/table.h: every spec and subcommand
// spec, with its categories) and is read-only after.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commands/table.h"

namespace petacore::auth {

/// Redis 7.0's ACL categories (kRead, kString, ...; commands/table.h, where specs name them).
using namespace commands::acl;  // NOLINT(build/namespaces): the category bits, as auth's own

/// The category names (without '@') in ACL CAT order; index i is bit 1 << i.
std::span<const std::string_view> CategoryNames();
/// The bit of a category name (case-insensitive, without '@'); 0 if unknown.
uint32_t CategoryByName(std::string_view name);

/// One permission unit: a command or "container|subcommand".
struct Unit {
  std::string name;                   ///< "get", "client|id" (lower case)
  const commands::CommandSpec* spec;  ///< the command's or subcommand's own spec
  int parent = -1;                    ///< a subcommand's container unit, else -1
  uint32_t categories = 0;            ///< CategoriesOf(*spec)
};

/// A spec's ACL categories: its own (spec.acl) and those Redis's setImplicitACLCategories
/// derives from its flags (write, readonly, admin, fast, blocking; slow when not fast).
uint32_t CategoriesOf(const commands::CommandSpec& spec);

/// Every unit: the commands of commands::Table() in table order, each container's
/// subcommands (CommandSpec::subcommands) right after it. Built on first use (thread-safe), then
/// immutable.
const std::vector<Unit>& Units();
/// The unit index of "name" or "container|sub" (case-insensitive); -1 if unknown.
int FindUnit(std::string_view name);
/// The unit a command invocation runs as: a subcommand spec's own unit; for a container
/// spec, the subcommand unit when args[1] names a known subcommand, else the container's.
int UnitOf(const commands::CommandSpec& spec, std::span<const std::string_view> args);
/// Subcommand units of a container unit (empty for a plain command).
std::span<const int> SubUnits(int unit);

}  // namespace petacore::auth
