// key_spec.cc — key extraction through key specs (Redis 7.0's getKeysUsingKeySpecs rules) and
// the legacy first/last/step derived from them.
#include "commands/key_spec.h"

#include <algorithm>
#include <climits>

#include "commands/context.h"
#include "commands/table.h"

namespace petacore::commands {

std::vector<std::string_view> KeyFlagNames(uint32_t flags) {
  static constexpr std::string_view kNames[] = {
      "RO",     "RW",     "OW",      "RM",         "access",        "update",
      "insert", "delete", "not_key", "incomplete", "variable_flags"};
  std::vector<std::string_view> out;
  for (size_t i = 0; i < std::size(kNames); ++i) {
    if (flags & (1u << i)) out.push_back(kNames[i]);
  }
  return out;
}

namespace {

/// The first key position of `ks` in args, or 0 when its keyword is absent (the spec then
/// names no key, which is not an error).
int BeginPosition(const KeySpec& ks, std::span<const std::string_view> args) {
  int argc = static_cast<int>(args.size());
  if (ks.begin.keyword.empty()) return ks.begin.index;
  int start = ks.begin.index > 0 ? ks.begin.index : argc + ks.begin.index;
  int end = ks.begin.index > 0 ? argc - 1 : 0;
  for (int i = start; i != end; i = start <= end ? i + 1 : i - 1) {
    if (i >= argc || i < 1) break;
    if (EqualsIgnoreCase(args[i], ks.begin.keyword)) return i + 1;
  }
  return 0;
}

/// Appends the keys of one spec; false when the spec cannot be applied to these arguments.
bool AppendSpecKeys(const KeySpec& ks, std::span<const std::string_view> args,
                    std::vector<KeyRef>* out) {
  int argc = static_cast<int>(args.size());
  int first = BeginPosition(ks, args);
  if (first == 0) return true;  // keyword not found: no keys from this spec
  int last = 0;
  int step = ks.find.step;
  if (ks.find.keynum_index < 0) {
    if (ks.find.last_key >= 0) {
      last = first + ks.find.last_key;
    } else if (ks.find.limit == 0) {
      last = argc + ks.find.last_key;
    } else {
      last = first + ((argc - first) / ks.find.limit + ks.find.last_key);
    }
  } else {
    int at = first + ks.find.keynum_index;
    int64_t numkeys = 0;
    if (at >= argc || !ParseInt64(args[at], &numkeys) || numkeys < 0 || numkeys > INT_MAX) {
      return false;
    }
    first += ks.find.first_key;
    last = first + static_cast<int>(numkeys) - 1;
  }
  if (last >= argc || last < first || first >= argc || step <= 0) return false;
  for (int i = first; i <= last; i += step) out->push_back({i, ks.flags});
  return true;
}

}  // namespace

bool ExtractKeys(const CommandSpec& spec, std::span<const std::string_view> args,
                 std::vector<KeyRef>* out) {
  out->clear();
  if (spec.keys_function != nullptr) {
    for (const auto& ks : spec.key_specs) {
      // kKeyIncomplete or an "unknown" begin search (SORT's BY/GET): Redis then falls back to
      // the getkeys_proc (MIGRATE's, SORT's).
      if ((ks.flags & (kKeyVariableFlags | kKeyIncomplete)) || ks.begin.unknown) {
        if (spec.keys_function(args, out)) return true;
        out->clear();
        return false;
      }
    }
  }
  for (const auto& ks : spec.key_specs) {
    // A not_key spec (SPUBLISH's shard channel) names no key: left out, as Redis's
    // GET_KEYSPEC_DEFAULT search does for ACL key checks and COMMAND GETKEYS.
    if (ks.flags & kKeyNotKey) continue;
    if (ks.begin.unknown || !AppendSpecKeys(ks, args, out)) {
      out->clear();
      return false;
    }
  }
  return true;
}

LegacyRange DeriveLegacyRange(std::span<const KeySpec> specs) {
  LegacyRange r;
  auto plain = [](const KeySpec& ks) {
    return !ks.begin.unknown && ks.begin.keyword.empty() && ks.find.keynum_index < 0;
  };
  if (specs.empty()) return r;
  if (specs.size() == 1 && plain(specs[0])) {
    const auto& ks = specs[0];
    r.first = ks.begin.index;
    r.last = ks.find.last_key >= 0 ? ks.find.last_key + r.first : ks.find.last_key;
    r.step = ks.find.step;
    r.movable = (ks.flags & kKeyIncomplete) != 0;
    return r;
  }
  int first = INT_MAX;
  int last = 0;
  int prev_last = 0;
  for (const auto& ks : specs) {
    if (!plain(ks) || ks.find.step != 1 || (prev_last != 0 && prev_last != ks.begin.index - 1)) {
      r.movable = true;
      continue;
    }
    if (ks.flags & kKeyIncomplete) r.movable = true;
    first = std::min(first, ks.begin.index);
    int abs_last = ks.find.last_key >= 0 ? ks.find.last_key + ks.begin.index : ks.find.last_key;
    // Unsigned comparison, as Redis: a negative (to-the-end) last key wins over any index.
    last = static_cast<int>(std::max(static_cast<unsigned>(last), static_cast<unsigned>(abs_last)));
    prev_last = last;
  }
  if (first == INT_MAX) {
    r.movable = true;
    return r;
  }
  r.first = first;
  r.last = last;
  r.step = 1;
  return r;
}

}  // namespace petacore::commands
