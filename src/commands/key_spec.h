// src/commands/key_spec.h — where a command's keys are in its arguments, in Redis 7's key-spec
// model, and the one function that finds them (ExtractKeys).
//
// A key spec is a begin-search step (a fixed argument index, or the argument after a keyword)
// and a find-keys step (a range of arguments from there, or a "numkeys" argument followed by
// that many keys), with flags that say what the command does to those keys (RO/RW/OW/RM and
// access/update/insert/delete). The facts — the model, the flag words, the search rules and
// every command's specs — are Redis 7.0's (its command JSON and getKeysUsingKeySpecs); the
// code is ours. Every consumer of key positions goes through ExtractKeys: ACL key permissions
// (src/auth/access.cc), the Driver's KeyLocks and folding, the EXEC key set, COMMAND GETKEYS
// and GETKEYSANDFLAGS. COMMAND INFO's legacy first/last/step are derived from the specs
// (LegacyRange), as Redis's populateCommandLegacyRangeSpec.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace petacore::commands {

/// Key-spec flags (Redis's CMD_KEY_*), one bit each, in the order COMMAND INFO lists them.
enum KeyFlag : uint32_t {
  kKeyRO = 1 << 0,             ///< the command reads the key's value, never changes it
  kKeyRW = 1 << 1,             ///< reads and changes the value
  kKeyOW = 1 << 2,             ///< overwrites the value without reading it
  kKeyRM = 1 << 3,             ///< deletes the key
  kKeyAccess = 1 << 4,         ///< returns or otherwise exposes user data of the key
  kKeyUpdate = 1 << 5,         ///< updates the value (or its metadata)
  kKeyInsert = 1 << 6,         ///< adds data to the value, nothing is changed or removed
  kKeyDelete = 1 << 7,         ///< removes data from the value
  kKeyNotKey = 1 << 8,         ///< not a key, only a name used for cluster routing
  kKeyIncomplete = 1 << 9,     ///< the spec may not find every key
  kKeyVariableFlags = 1 << 10  ///< the flags depend on other arguments (see KeysFunction)
};

/// Redis's words for KeyFlag bits ("RO", "access", ...), in bit order.
std::vector<std::string_view> KeyFlagNames(uint32_t flags);

/// Begin search: where the keys start. `keyword` empty: at argument `index`; otherwise right
/// after the first argument equal to `keyword` (case-insensitive), searched from argument
/// `index` forward (index > 0) or from argc + index backward (index < 0).
struct BeginSearch {
  int index = 0;
  std::string_view keyword = {};
  /// Redis's "unknown" begin search (and find keys): the keys cannot be found from the
  /// arguments' positions (SORT's BY/GET/STORE); the command's keys_function finds them.
  bool unknown = false;
};

/// Find keys, from the begin-search position `b`. `keynum_index < 0`: a range — keys at b,
/// b + step, ... up to b + last_key (last_key >= 0), or up to argc + last_key (last_key < 0;
/// with `limit` > 1 only the first 1/limit of the remaining arguments). Otherwise keynum: the
/// count is argument b + keynum_index, the keys start at b + first_key, `step` apart.
struct FindKeys {
  int last_key = 0;
  int step = 1;
  int limit = 0;
  int keynum_index = -1;
  int first_key = 0;
};

/// One key spec; designated initializers read as Redis's JSON:
/// `{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}`.
struct KeySpec {
  uint32_t flags = 0;
  BeginSearch begin = {};
  FindKeys find = {};
  std::string_view notes = {};  ///< Redis's "notes" text, shown by COMMAND INFO when present
};

/// Begin search at a fixed argument index.
constexpr BeginSearch Index(int index) { return {.index = index}; }
/// Begin search after `keyword`, searching from `startfrom` (negative: from the end, backward).
constexpr BeginSearch Keyword(std::string_view keyword, int startfrom) {
  return {.index = startfrom, .keyword = keyword};
}
/// Redis's "unknown" key spec (COMMAND INFO shows type "unknown" and an empty spec for both
/// steps); a command with one has a keys_function that ExtractKeys uses instead.
constexpr BeginSearch Unknown() { return {.unknown = true}; }
/// Keys in a range (Redis's "range": lastkey, keystep, limit).
constexpr FindKeys Range(int last_key, int step, int limit) {
  return {.last_key = last_key, .step = step, .limit = limit};
}
/// Keys counted by an argument (Redis's "keynum": keynumidx, firstkey, keystep).
constexpr FindKeys KeyNum(int keynum_index, int first_key, int step) {
  return {.step = step, .keynum_index = keynum_index, .first_key = first_key};
}

/// One key found in argv: its argument index and its key-spec flags.
struct KeyRef {
  int index;
  uint32_t flags;
};

struct CommandSpec;

/// A command's own key finder, for specs whose flags depend on the arguments (Redis's
/// getkeys_proc for key specs with kKeyVariableFlags, e.g. SET ... GET). Appends to `out`;
/// returns false when the arguments name no valid key set.
using KeysFunction = bool (*)(std::span<const std::string_view> args, std::vector<KeyRef>* out);

/// The keys of one invocation (args[0] is the command name; for a subcommand args[1] is its
/// name and `spec` is the subcommand's), in Redis's order: spec by spec, argument order within
/// a spec, duplicates kept. Returns false (out cleared) when a spec cannot be applied — a
/// numkeys that is not a number or is negative, keys past the end, zero keys from a keynum —
/// as Redis's getKeysFromCommandWithSpecs with the default search flags; the command itself
/// then reports the error. A spec with kKeyVariableFlags or an Unknown() begin search defers
/// to spec.keys_function (Redis's getkeys_proc; without one an unknown spec fails); a
/// kKeyNotKey spec (a shard channel) is skipped, as the default search flags do.
/// Pure function of its arguments; thread-safe.
bool ExtractKeys(const CommandSpec& spec, std::span<const std::string_view> args,
                 std::vector<KeyRef>* out);

/// COMMAND INFO's first key, last key and step, and the "movablekeys" flag, derived from the
/// key specs as Redis's populateCommandLegacyRangeSpec: a single index+range spec as it is;
/// otherwise the merged range of the consecutive index+range specs of step 1 (a negative last
/// key wins), and movable when some spec had to be skipped (keyword, keynum, step > 1, not
/// consecutive) or is incomplete. (0, 0, 0) for no specs.
struct LegacyRange {
  int first = 0;
  int last = 0;
  int step = 0;
  bool movable = false;
};
LegacyRange DeriveLegacyRange(std::span<const KeySpec> specs);

}  // namespace petacore::commands
