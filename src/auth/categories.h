// src/auth/categories.h — ACL categories and the permission units ACL rules name.
//
// A permission unit is what one "+name"/"-name" rule switches: a command ("get"), or a
// subcommand of a container command ("client|id"), as Redis 7.0 keeps one ACL bit per command
// and per subcommand. Each unit carries Redis's ACL categories (@read, @string, ...). The unit
// list is built once from the command table (src/commands/table.h) and is read-only after.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace petacore::commands {
struct CommandSpec;
}

namespace petacore::auth {

/// Redis 7.0's ACL categories, one bit each, in the order ACL CAT lists them.
enum Category : uint32_t {
  kKeyspace = 1u << 0,
  kRead = 1u << 1,
  kWrite = 1u << 2,
  kSet = 1u << 3,
  kSortedSet = 1u << 4,
  kList = 1u << 5,
  kHash = 1u << 6,
  kString = 1u << 7,
  kBitmap = 1u << 8,
  kHyperLogLog = 1u << 9,
  kGeo = 1u << 10,
  kStream = 1u << 11,
  kPubSub = 1u << 12,
  kAdmin = 1u << 13,
  kFast = 1u << 14,
  kSlow = 1u << 15,
  kBlocking = 1u << 16,
  kDangerous = 1u << 17,
  kConnection = 1u << 18,
  kTransaction = 1u << 19,
  kScripting = 1u << 20,
};

/// The category names (without '@') in ACL CAT order; index i is bit 1 << i.
std::span<const std::string_view> CategoryNames();
/// The bit of a category name (case-insensitive, without '@'); 0 if unknown.
uint32_t CategoryByName(std::string_view name);

/// One permission unit: a command or "container|subcommand".
struct Unit {
  std::string name;                   ///< "get", "client|id" (lower case)
  const commands::CommandSpec* spec;  ///< the command (the container for a subcommand)
  int parent = -1;                    ///< a subcommand's container unit, else -1
  uint32_t categories = 0;
};

/// Every unit: the commands of commands::Table() in table order, each container's
/// subcommands right after it. Built on first use (thread-safe), then immutable.
const std::vector<Unit>& Units();
/// The unit index of "name" or "container|sub" (case-insensitive); -1 if unknown.
int FindUnit(std::string_view name);
/// The unit a command invocation runs as: the subcommand unit when args[1] names a known
/// subcommand of a container command, else the command's own unit.
int UnitOf(const commands::CommandSpec& spec, std::span<const std::string_view> args);
/// Subcommand units of a container unit (empty for a plain command).
std::span<const int> SubUnits(int unit);

}  // namespace petacore::auth
