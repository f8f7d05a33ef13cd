// sort_family.cc — SORT and SORT_RO: Redis 7.0's sort.c outside cluster mode, over lists, sets
// and sorted sets, with BY (a pattern, a constant for "nosort", `key->field` of a hash), LIMIT,
// GET (`#`, patterns, `->`), ASC/DESC, ALPHA and STORE (a list; an empty result deletes the
// destination).
//
// The keys BY and GET name are read through the command's TxnView like any other read, so a
// replicated SORT ... STORE compares every one of them at commit (the command re-runs when one
// changed meanwhile), although they are not in the key specs. As Redis 7.0, BY with a pattern
// and GET need a user with access to every key ("allkeys"), else the option is refused.
//
// Where the order is Redis's and where it cannot be:
// - numeric sort: equal scores are ordered by the elements' bytes (Redis's tie-break), so the
//   order is total; ALPHA compares bytes (Redis's strcoll in the C locale: up to the first NUL
//   byte, or all bytes with STORE, as Redis's compareStringObjects). Redis's locale-dependent
//   strcoll under another LC_COLLATE is not reproduced.
// - ALPHA with BY leaves equal weights in their input order (a stable sort, as glibc's qsort);
//   a set's input order is a hash order in Redis and byte order here, so ties then differ.
// - a set with a constant BY (no sort) comes in byte order (Redis: its hash/intset order);
//   with STORE or from a script Redis sorts it ALPHA, and so does PetaCore.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/user.h"
#include "commands/context.h"
#include "commands/lua_internal.h"
#include "commands/notify.h"
#include "commands/table.h"
#include "keyspace/types/hash.h"
#include "keyspace/types/key.h"
#include "keyspace/types/list.h"
#include "keyspace/types/set.h"
#include "keyspace/types/string.h"
#include "keyspace/types/zset.h"

namespace petacore::commands {

namespace {

namespace types = keyspace::types;
using keyspace::ValueType;

constexpr std::string_view kErrByAcl =
    "ERR BY option of SORT denied due to insufficient ACL permissions.";
constexpr std::string_view kErrGetAcl =
    "ERR GET option of SORT denied due to insufficient ACL permissions.";
constexpr std::string_view kErrScores = "ERR One or more scores can't be converted into double";

/// One element being sorted: the element, and its weight (numeric) or compare value (ALPHA
/// with BY; nullopt when the BY key is missing).
struct Item {
  std::string element;
  double score = 0;
  std::optional<std::string> cmp;
};

/// The parsed options of one SORT call.
struct SortOptions {
  bool desc = false;
  bool alpha = false;
  bool dontsort = false;  // a BY without '*' (Redis never clears it once set)
  int64_t limit_start = 0;
  int64_t limit_count = -1;
  std::optional<std::string_view> by;
  std::optional<std::string_view> store;
  std::vector<std::string_view> gets;
};

/// Redis's ACLUserCheckCmdWithUnrestrictedKeyAccess as 7.0 calls it: only a user with every
/// key ("allkeys" / "~*") may use BY patterns and GET.
bool FullKeyAccess(const CommandContext& ctx) {
  const auto& user = ctx.session.acl_user;
  return user == nullptr || user->DescribeKeys() == "~*";
}

/// Parses argv[2..] as Redis's sortCommandGeneric; replies the error and returns false.
bool ParseOptions(CommandContext& ctx, bool readonly, SortOptions* o) {
  const auto& args = ctx.args;
  bool full_access = FullKeyAccess(ctx);
  for (size_t j = 2; j < args.size(); ++j) {
    size_t left = args.size() - j - 1;
    std::string_view a = args[j];
    if (EqualsIgnoreCase(a, "asc")) {
      o->desc = false;
    } else if (EqualsIgnoreCase(a, "desc")) {
      o->desc = true;
    } else if (EqualsIgnoreCase(a, "alpha")) {
      o->alpha = true;
    } else if (EqualsIgnoreCase(a, "limit") && left >= 2) {
      if (!ParseInt64(args[j + 1], &o->limit_start) ||
          !ParseInt64(args[j + 2], &o->limit_count)) {
        ctx.out.Error(kErrNotInteger);
        return false;
      }
      j += 2;
    } else if (!readonly && EqualsIgnoreCase(a, "store") && left >= 1) {
      o->store = args[++j];
    } else if (EqualsIgnoreCase(a, "by") && left >= 1) {
      o->by = args[++j];
      if (o->by->find('*') == std::string_view::npos) {
        o->dontsort = true;
      } else if (!full_access) {
        ctx.out.Error(kErrByAcl);
        return false;
      }
    } else if (EqualsIgnoreCase(a, "get") && left >= 1) {
      if (!full_access) {
        ctx.out.Error(kErrGetAcl);
        return false;
      }
      o->gets.push_back(args[++j]);
    } else {
      ctx.out.Error(kErrSyntax);
      return false;
    }
  }
  return true;
}

/// Redis's lookupKeyByPattern: "#" is the element itself; otherwise the first '*' of the
/// pattern is replaced by the element and the key read as a string, or, with "->field" after
/// the '*', the field of the hash at that key. nullopt for a missing key or field, a key of
/// another type, or a pattern without '*'. Every read is recorded in the view.
std::optional<std::string> LookupByPattern(CommandContext& ctx, std::string_view pattern,
                                           std::string_view element) {
  if (pattern == "#") return std::string(element);
  size_t star = pattern.find('*');
  if (star == std::string_view::npos) return std::nullopt;
  std::string_view field;
  size_t arrow = pattern.find("->", star + 1);
  if (arrow != std::string_view::npos && arrow + 2 < pattern.size()) {
    field = pattern.substr(arrow + 2);
  } else {
    arrow = pattern.size();
  }
  std::string key;
  key.reserve(pattern.size() + element.size());
  key.append(pattern.substr(0, star)).append(element).append(
      pattern.substr(star + 1, arrow - star - 1));
  std::string meta = ctx.Key(key);
  if (!field.empty()) {
    types::KeyRead h = types::ReadHash(ctx.txn, std::move(meta));
    if (!h.ok()) return std::nullopt;
    auto v = types::HashGet(ctx.txn, h, field);
    if (!v) return std::nullopt;
    return std::string(*v);
  }
  types::StringRead s = types::ReadString(ctx.txn, meta);
  if (!s.ok()) return std::nullopt;
  return std::string(s.value);
}

/// Redis's strtod test in sortCommandGeneric: the whole C string (up to a NUL byte) is a
/// double, not NaN, not out of range. Leading spaces, hex and "inf" pass, as in Redis.
bool ParseScore(const std::string& s, double* out) {
  const char* p = s.c_str();
  char* end = nullptr;
  errno = 0;
  *out = std::strtod(p, &end);
  return *end == '\0' && errno != ERANGE && !std::isnan(*out);
}

/// strcmp: bytes as unsigned, stopping at the first NUL (Redis's strcoll in the C locale).
int CStringCompare(std::string_view a, std::string_view b) {
  a = a.substr(0, a.find('\0'));
  b = b.substr(0, b.find('\0'));
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

int BinaryCompare(std::string_view a, std::string_view b) {
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

/// Redis's sortCompare, before DESC negates it.
int Compare(const Item& a, const Item& b, const SortOptions& o, bool by_pattern) {
  bool store = o.store.has_value();
  if (!o.alpha) {
    if (a.score > b.score) return 1;
    if (a.score < b.score) return -1;
    return BinaryCompare(a.element, b.element);
  }
  if (by_pattern) {
    if (!a.cmp || !b.cmp) {
      if (!a.cmp && !b.cmp) return 0;
      return !a.cmp ? -1 : 1;
    }
    return store ? BinaryCompare(*a.cmp, *b.cmp) : CStringCompare(*a.cmp, *b.cmp);
  }
  return store ? BinaryCompare(a.element, b.element) : CStringCompare(a.element, b.element);
}

void SortGeneric(CommandContext& ctx, bool readonly) {
  SortOptions o;
  if (!ParseOptions(ctx, readonly, &o)) return;

  std::string meta = ctx.Key(ctx.args[1]);
  auto type = types::KeyType(ctx.txn, meta);
  if (type && *type != ValueType::kList && *type != ValueType::kSet &&
      *type != ValueType::kZSet) {
    return ctx.out.Error(kErrWrongType);
  }
  // A set is not in a defined order: sorted when stored or in a script, as Redis.
  if (o.dontsort && type == ValueType::kSet && (o.store || lua::current_frame != nullptr)) {
    o.dontsort = false;
    o.alpha = true;
    o.by.reset();
  }

  // The elements, in the source's own order (list order, a zset by score).
  std::vector<std::string> elements;
  if (type == ValueType::kList) {
    types::ListHandle list(ctx.txn, meta);
    elements = list.ReadAll();
  } else if (type == ValueType::kSet) {
    elements = types::SetMembers(ctx.txn, types::ReadSet(ctx.txn, meta));
  } else if (type == ValueType::kZSet) {
    auto z = types::ReadZSet(ctx.txn, meta);  // records the read of the meta key
    for (auto& e : types::ZSetSorted(ctx.txn, z.elements)) elements.push_back(std::move(e.member));
  }
  int64_t n = static_cast<int64_t>(elements.size());

  // LIMIT, as Redis clamps it.
  int64_t start = std::min(std::max<int64_t>(o.limit_start, 0), n);
  int64_t count = std::min(std::max<int64_t>(o.limit_count, -1), n);
  int64_t end = count < 0 ? n - 1 : start + count - 1;
  if (start >= n) {
    start = n - 1;
    end = n - 2;
  }
  if (end >= n) end = n - 1;

  std::vector<Item> items;
  if (o.dontsort && (type == ValueType::kList || type == ValueType::kZSet)) {
    // The native order (reversed for DESC), only the LIMIT range.
    if (o.desc) std::reverse(elements.begin(), elements.end());
    for (int64_t j = start; j <= end; ++j) items.push_back({std::move(elements[j]), 0, {}});
    end -= start;
    start = 0;
  } else {
    items.reserve(elements.size());
    for (auto& e : elements) items.push_back({std::move(e), 0, {}});
  }

  bool conversion_error = false;
  if (!o.dontsort) {
    bool by_pattern = o.by.has_value();
    for (auto& it : items) {
      std::optional<std::string> byval;
      if (by_pattern) {
        byval = LookupByPattern(ctx, *o.by, it.element);
        if (!byval) continue;
      }
      const std::string& v = by_pattern ? *byval : it.element;
      if (o.alpha) {
        if (by_pattern) it.cmp = std::move(byval);
      } else if (!ParseScore(v, &it.score)) {
        conversion_error = true;
      }
    }
    std::stable_sort(items.begin(), items.end(), [&](const Item& a, const Item& b) {
      int c = Compare(a, b, o, by_pattern);
      return (o.desc ? -c : c) < 0;
    });
  }

  int64_t rows = end - start + 1;
  int64_t outputlen = o.gets.empty() ? rows : static_cast<int64_t>(o.gets.size()) * rows;
  if (conversion_error) return ctx.out.Error(kErrScores);

  if (!o.store) {
    ctx.out.ArrayHeader(static_cast<size_t>(outputlen));
    for (int64_t j = start; j <= end; ++j) {
      if (o.gets.empty()) ctx.out.Bulk(items[j].element);
      for (auto pattern : o.gets) {
        auto v = LookupByPattern(ctx, pattern, items[j].element);
        if (v) {
          ctx.out.Bulk(*v);
        } else {
          ctx.out.NullBulk();
        }
      }
    }
    return;
  }

  std::vector<std::string> result;
  for (int64_t j = start; j <= end; ++j) {
    if (o.gets.empty()) {
      result.push_back(items[j].element);
      continue;
    }
    for (auto pattern : o.gets) {
      result.push_back(LookupByPattern(ctx, pattern, items[j].element).value_or(std::string()));
    }
  }
  std::string dst = ctx.Key(*o.store);
  bool existed = types::DeleteKey(ctx.txn, dst);
  if (outputlen > 0) {
    types::ListHandle list(ctx.txn, dst);
    for (const auto& e : result) list.Push(types::ListEnd::kTail, e);
    list.Flush();
  }
  NotifyStore(ctx, keyspace::notify::kList, "sortstore", *o.store, existed, outputlen > 0);
  ctx.out.Integer(outputlen);
}

void Sort(CommandContext& ctx) { SortGeneric(ctx, false); }
void SortRo(CommandContext& ctx) { SortGeneric(ctx, true); }

/// Redis's sortGetKeys: the sorted key (RO, access) and the last STORE's key (OW, update),
/// skipping the arguments of LIMIT, GET and BY.
bool SortKeys(std::span<const std::string_view> args, std::vector<KeyRef>* out) {
  out->push_back({1, kKeyRO | kKeyAccess});
  std::optional<int> store;
  for (size_t i = 2; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "limit")) {
      i += 2;
    } else if (EqualsIgnoreCase(args[i], "get") || EqualsIgnoreCase(args[i], "by")) {
      i += 1;
    } else if (EqualsIgnoreCase(args[i], "store") && i + 1 < args.size()) {
      store = static_cast<int>(i + 1);
    }
  }
  if (store) out->push_back({*store, kKeyOW | kKeyUpdate});
  return true;
}

/// Redis's sortROGetKeys: the sorted key only.
bool SortRoKeys(std::span<const std::string_view>, std::vector<KeyRef>* out) {
  out->push_back({1, kKeyRO | kKeyAccess});
  return true;
}

}  // namespace

void RegisterSortFamily(CommandTable& t) {
  constexpr std::string_view kByGetNote =
      "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive "
      "from the content of the key we sort";
  t.Add({.name = "sort",
         .arity = -2,
         .flags = kWrite | kDenyOom,
         .acl = acl::kWrite | acl::kSet | acl::kSortedSet | acl::kList | acl::kSlow |
                acl::kDangerous,
         .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)},
                       {.flags = kKeyRO | kKeyAccess, .begin = Unknown(), .notes = kByGetNote},
                       {.flags = kKeyOW | kKeyUpdate,
                        .begin = Unknown(),
                        .notes = "For the optional STORE keyword. It is marked 'unknown' because "
                                 "the keyword can appear anywhere in the argument array"}},
         .handler = WithKeyEvents<Sort>,
         .keys_function = SortKeys})
      .Add({.name = "sort_ro",
            .arity = -2,
            .flags = kReadOnly,
            .acl = acl::kRead | acl::kSet | acl::kSortedSet | acl::kList | acl::kSlow |
                   acl::kDangerous,
            .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)},
                          {.flags = kKeyRO | kKeyAccess, .begin = Unknown(), .notes = kByGetNote}},
            .handler = SortRo,
            .keys_function = SortRoKeys});
}

}  // namespace petacore::commands
