// src/commands/hash_set_common.h — what the hash and set families share: the element count
// kept in a collection's meta key, point lookups of subkeys, random sampling (HRANDFIELD,
// SRANDMEMBER, SPOP) and the HSCAN/SSCAN page walk. Header-only; used by hash_family.cc and
// set_family.cc only.
//
// The meta key guards the whole collection: every command that changes a hash or a set
// rewrites its meta key (even when the count stays the same, e.g. HSET of an existing field),
// so the meta key's mod_revision moves with every change. That is what WATCH compares, what a
// concurrent writer's commit compares, and why element reads in multi-key commands
// (SINTER, SDIFF, ...) need not be recorded one by one.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "commands/context.h"
#include "commands/glob.h"
#include "commands/key_access.h"
#include "commands/scan_cursor.h"
#include "keyspace/encoding.h"

namespace petacore::commands::collection {

/// The meta payload of a hash or a set: its element count in decimal ASCII ("3").
inline int64_t Count(const KeyRead& r) {
  if (!r.ok()) return 0;
  int64_t n = 0;
  if (!ParseInt64(r.value.payload, &n) || n < 0) return 0;
  return n;
}

/// Stores `n` as the count of the collection `r` names: rewrites the meta key (keeping the
/// flags and expire-at of an existing key, replacing the payload) when n > 0, deletes the
/// whole key (meta key and any subkey left) when n == 0. Call it once per changing command.
inline void SetCount(CommandContext& ctx, const KeyRead& r, keyspace::ValueType type, int64_t n) {
  if (n <= 0) {
    ctx.txn.DeleteRange(r.meta_key, keyspace::KeyEnd(r.meta_key));
    return;
  }
  std::string stored;
  if (r.ok()) {
    // value = type | flags | [expire-at] | payload: keep everything before the payload.
    if (auto raw = ctx.txn.Get(r.meta_key)) {
      auto v = keyspace::DecodeValue(*raw);
      if (v && v->type == type) stored.assign(raw->data(), raw->size() - v->payload.size());
    }
  }
  if (stored.empty()) stored = keyspace::EncodeValue(type, {});
  stored += std::to_string(n);
  ctx.txn.Put(r.meta_key, std::move(stored));
}

/// Whether the subkey `key` is live in the view, without recording a read (the meta key's
/// compare covers it: see the file comment).
inline bool HasSubkey(CommandContext& ctx, const std::string& key) {
  bool found = false;
  std::string end = key;
  end.push_back('\0');  // [key, key + "\0") holds exactly `key`
  ctx.txn.Range(key, end, [&](std::string_view, std::string_view) {
    found = true;
    return false;
  });
  return found;
}

/// Every element (and value) of a collection, in byte order.
inline std::vector<std::pair<std::string, std::string>> All(CommandContext& ctx,
                                                            const std::string& meta_key, char tag) {
  std::vector<std::pair<std::string, std::string>> out;
  ScanSubkeys(ctx, meta_key, tag, [&](std::string_view element, std::string_view value) {
    out.emplace_back(element, value);
    return true;
  });
  return out;
}

inline std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

/// `count` distinct positions in [0, size), ascending (Floyd's sampling); count <= size.
inline std::vector<int64_t> DistinctPositions(int64_t size, int64_t count) {
  std::unordered_set<int64_t> chosen;
  chosen.reserve(static_cast<size_t>(count) * 2);
  for (int64_t j = size - count; j < size; ++j) {
    int64_t t = std::uniform_int_distribution<int64_t>(0, j)(Rng());
    if (!chosen.insert(t).second) chosen.insert(j);
  }
  std::vector<int64_t> out(chosen.begin(), chosen.end());
  std::sort(out.begin(), out.end());
  return out;
}

/// The elements (and values) at ascending `positions` of the collection, one pass.
inline std::vector<std::pair<std::string, std::string>> AtPositions(
    CommandContext& ctx, const std::string& meta_key, char tag,
    const std::vector<int64_t>& positions) {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(positions.size());
  if (positions.empty()) return out;
  int64_t index = 0;
  size_t next = 0;
  ScanSubkeys(ctx, meta_key, tag, [&](std::string_view element, std::string_view value) {
    while (next < positions.size() && positions[next] == index) {
      out.emplace_back(element, value);
      ++next;
    }
    ++index;
    return next < positions.size();
  });
  return out;
}

/// Random elements of a non-empty collection of `size` elements, as Redis's
/// SRANDMEMBER/HRANDFIELD with a count: count >= 0 gives min(count, size) distinct elements,
/// count < 0 gives -count elements that may repeat. In random order.
inline std::vector<std::pair<std::string, std::string>> RandomElements(CommandContext& ctx,
                                                                       const std::string& meta_key,
                                                                       char tag, int64_t size,
                                                                       int64_t count) {
  std::vector<std::pair<std::string, std::string>> out;
  if (count < 0) {
    auto all = All(ctx, meta_key, tag);
    if (all.empty()) return out;
    uint64_t n = 0 - static_cast<uint64_t>(count);
    std::uniform_int_distribution<size_t> pick(0, all.size() - 1);
    out.reserve(std::min<uint64_t>(n, 1 << 16));
    for (uint64_t i = 0; i < n; ++i) out.push_back(all[pick(Rng())]);
    return out;
  }
  if (count >= size) {
    out = All(ctx, meta_key, tag);
  } else {
    out = AtPositions(ctx, meta_key, tag, DistinctPositions(size, count));
  }
  std::shuffle(out.begin(), out.end(), Rng());
  return out;
}

/// One random element (and value) of a non-empty collection of `size` elements.
inline std::pair<std::string, std::string> RandomElement(CommandContext& ctx,
                                                         const std::string& meta_key, char tag,
                                                         int64_t size) {
  int64_t at = std::uniform_int_distribution<int64_t>(0, std::max<int64_t>(size, 1) - 1)(Rng());
  std::pair<std::string, std::string> out;
  int64_t index = 0;
  ScanSubkeys(ctx, meta_key, tag, [&](std::string_view element, std::string_view value) {
    out = {std::string(element), std::string(value)};  // the last one if the count is off
    return index++ < at;
  });
  return out;
}

/// One HSCAN/SSCAN page: visits up to opt.count elements in byte order after the cursor's
/// element (from the start for cursor 0), appends the ones matching opt.pattern (and their
/// values when `with_values`) to *items, and returns the next cursor (0 at the end). An
/// unknown cursor ends the iteration with an empty page.
inline uint64_t ScanPage(CommandContext& ctx, const std::string& meta_key, char tag,
                         const ScanOptions& opt, bool with_values,
                         std::vector<std::string>* items) {
  std::string start = keyspace::SubKeyStart(meta_key, tag);
  size_t skip = start.size();
  if (opt.cursor != 0) {
    auto after = LoadCursor(opt.cursor);
    if (!after) return 0;
    start = keyspace::SubKey(meta_key, tag, *after);
    start.push_back('\0');  // the first key after it
  }
  int64_t visited = 0;
  bool more = false;
  std::string last;
  ctx.txn.Range(start, keyspace::SubKeyEnd(meta_key, tag),
                [&](std::string_view key, std::string_view value) {
                  if (visited == opt.count) {
                    more = true;
                    return false;
                  }
                  ++visited;
                  std::string_view element = key.substr(skip);
                  last.assign(element);
                  if (!opt.has_pattern || GlobMatch(opt.pattern, element)) {
                    items->emplace_back(element);
                    if (with_values) items->emplace_back(value);
                  }
                  return true;
                });
  return more ? SaveCursor(std::move(last)) : 0;
}

/// HSCAN / SSCAN key cursor [MATCH pattern] [COUNT count], in Redis 7.0's order: a bad cursor
/// is refused before the key is looked at, a missing key is an empty last page whatever the
/// options, and the options are parsed last.
inline void ScanCommand(CommandContext& ctx, keyspace::ValueType type, char tag, bool with_values) {
  CommandContext cursor_only{ctx.args.first(3), ctx.txn,    ctx.out,
                             ctx.session,       ctx.server, ctx.block};
  ScanOptions opt;
  if (!ParseScanOptions(cursor_only, 2, false, &opt)) return;
  auto r = ReadKey(ctx, ctx.args[1], type);
  if (r.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (r.missing()) return ReplyScan(ctx, 0, {});
  if (!ParseScanOptions(ctx, 2, false, &opt)) return;
  std::vector<std::string> items;
  uint64_t next = ScanPage(ctx, r.meta_key, tag, opt, with_values, &items);
  ReplyScan(ctx, next, items);
}

/// The count argument of HRANDFIELD / SRANDMEMBER (args[2]): an integer in
/// [-LONG_MAX, LONG_MAX], with Redis's errors. Replies the error and returns false.
inline bool ParseRandomCount(CommandContext& ctx, int64_t* count) {
  if (!ParseInt64(ctx.args[2], count)) {
    ctx.out.Error(kErrNotInteger);
    return false;
  }
  if (*count == std::numeric_limits<int64_t>::min()) {
    ctx.out.Error(
        "ERR value is out of range, value must between -9223372036854775807 and "
        "9223372036854775807");
    return false;
  }
  return true;
}

}  // namespace petacore::commands::collection
