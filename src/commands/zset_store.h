// src/commands/zset_store.h — how zset_family.cc reads and writes one sorted set through the
// TxnView (header-only: zset_family.cc is its only user).
//
// Layout (docs/encoding.md): meta + 'm' + member -> SortableDouble(score), and the score index
// meta + 's' + SortableDouble(score) + member -> "", whose byte order is Redis's (score, member)
// order. Rule for concurrency: a command that adds a NEW member re-puts the meta key, so a
// command on another node that empties the set (and deletes the key) conflicts with it on the
// meta key instead of deleting a member it never saw. Score changes of existing members touch
// only that member's subkeys, so concurrent ZINCRBYs of different members do not conflict.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/context.h"
#include "commands/key_access.h"
#include "commands/zset_util.h"
#include "keyspace/encoding.h"

namespace petacore::commands::zset {

struct Entry {
  std::string member;
  double score = 0;
};

/// Every member in (score, member) order, from the score index (not recorded as reads).
inline std::vector<Entry> LoadSorted(CommandContext& ctx, const std::string& meta) {
  std::vector<Entry> out;
  ScanSubkeys(ctx, meta, 's', [&](std::string_view elem, std::string_view) {
    if (elem.size() >= 8) {
      out.push_back(
          {std::string(elem.substr(8)), keyspace::DecodeSortableDouble(elem.substr(0, 8))});
    }
    return true;
  });
  return out;
}

/// Number of members (a scan of the member subkeys).
inline int64_t Card(CommandContext& ctx, const std::string& meta) {
  int64_t n = 0;
  ScanSubkeys(ctx, meta, 'm', [&](std::string_view, std::string_view) {
    ++n;
    return true;
  });
  return n;
}

/// The score of `member`, read through the view (recorded: the commit compares it).
inline std::optional<double> ReadScore(CommandContext& ctx, const std::string& meta,
                                       std::string_view member) {
  auto v = ctx.txn.Get(keyspace::SubKey(meta, 'm', member));
  if (!v || v->size() != 8) return std::nullopt;
  return keyspace::DecodeSortableDouble(*v);
}

inline std::string IndexKey(const std::string& meta, double score, std::string_view member) {
  std::string elem = keyspace::SortableDouble(score);
  elem.append(member);
  return keyspace::SubKey(meta, 's', elem);
}

/// Sets the score of `member` whose current score is `old` (nullopt: a new member).
inline void WriteScore(CommandContext& ctx, const std::string& meta, std::string_view member,
                       std::optional<double> old, double score) {
  if (old) ctx.txn.Delete(IndexKey(meta, *old, member));
  ctx.txn.Put(IndexKey(meta, score, member), "");
  ctx.txn.Put(keyspace::SubKey(meta, 'm', member), keyspace::SortableDouble(score));
}

inline void RemoveMember(CommandContext& ctx, const std::string& meta, std::string_view member,
                         double score) {
  ctx.txn.Delete(IndexKey(meta, score, member));
  ctx.txn.Delete(keyspace::SubKey(meta, 'm', member));
}

/// Removes `entries` (which the caller scanned) after reading each one's member subkey, so
/// the commit fails if another node changed or removed one meanwhile; deletes the key when
/// nothing is left. Returns how many were removed.
inline int64_t RemoveEntries(CommandContext& ctx, const std::string& meta,
                             const std::vector<Entry>& entries) {
  int64_t removed = 0;
  for (const auto& e : entries) {
    auto cur = ReadScore(ctx, meta, e.member);
    if (!cur) continue;
    RemoveMember(ctx, meta, e.member, *cur);
    ++removed;
  }
  if (removed > 0 && Card(ctx, meta) == 0) DeleteKey(ctx, meta);
  return removed;
}

/// Replaces whatever `dst` holds (any type) with a sorted set of `entries` (deleted when
/// empty), as the *STORE commands do.
inline void StoreEntries(CommandContext& ctx, const std::string& dst,
                         const std::vector<Entry>& entries) {
  DeleteKey(ctx, dst);
  if (entries.empty()) return;
  WriteMeta(ctx, dst, keyspace::ValueType::kZSet);
  for (const auto& e : entries) WriteScore(ctx, dst, e.member, std::nullopt, e.score);
}

/// Reads a *STORE / ZUNION input: a sorted set, or a set whose members score 1. Every member
/// subkey is read through the view, so the commit fails if a source changed meanwhile.
/// Returns false for a key of another type.
inline bool LoadSource(CommandContext& ctx, std::string_view user_key, std::vector<Entry>* out) {
  std::string meta = ctx.Key(user_key);
  auto type = KeyType(ctx, meta);
  if (!type) return true;
  if (*type == keyspace::ValueType::kZSet) {
    *out = LoadSorted(ctx, meta);
    for (const auto& e : *out) ctx.txn.Get(keyspace::SubKey(meta, 'm', e.member));
    return true;
  }
  if (*type != keyspace::ValueType::kSet) return false;
  std::vector<std::string> members;
  ScanSubkeys(ctx, meta, 'm', [&](std::string_view m, std::string_view) {
    members.emplace_back(m);
    return true;
  });
  for (auto& m : members) {
    ctx.txn.Get(keyspace::SubKey(meta, 'm', m));
    out->push_back({std::move(m), 1.0});
  }
  return true;
}

/// ZRANGE-style reply: members, or member/score pairs (flat in RESP2, nested in RESP3).
inline void ReplyEntries(CommandContext& ctx, const std::vector<Entry>& entries, bool withscores) {
  bool nested = withscores && ctx.out.protocol() >= 3;
  ctx.out.ArrayHeader(withscores && !nested ? entries.size() * 2 : entries.size());
  for (const auto& e : entries) {
    if (nested) ctx.out.ArrayHeader(2);
    ctx.out.Bulk(e.member);
    if (withscores) ReplyScore(ctx, e.score);
  }
}

}  // namespace petacore::commands::zset
