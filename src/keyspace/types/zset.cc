#include "keyspace/types/zset.h"

#include <algorithm>
#include <cmath>

namespace petacore::keyspace::types {
namespace {

std::string MemberKey(std::string_view meta, std::string_view member) {
  return SubKey(meta, kZSetMemberTag, member);
}

std::string IndexKey(std::string_view meta, double score, std::string_view member) {
  std::string elem = SortableDouble(score);
  elem.append(member);
  return SubKey(meta, kZSetScoreTag, elem);
}

/// Sets the score of `member` whose current score is `old` (nullopt: a new member). Subkeys
/// only: the caller rewrites the meta key.
void WriteScore(TxnView& txn, std::string_view meta, std::string_view member,
                std::optional<double> old, double score) {
  if (old) txn.Delete(IndexKey(meta, *old, member));
  txn.Put(IndexKey(meta, score, member), "");
  txn.Put(MemberKey(meta, member), SortableDouble(score));
}

}  // namespace

int64_t ZSetCard(TxnView& txn, const KeyRead& z) { return Count(txn, z, kZSetMemberTag); }

std::vector<ZEntry> ZSetSorted(TxnView& txn, std::string_view base) {
  std::vector<ZEntry> out;
  ScanSubkeys(txn, base, kZSetScoreTag, [&](std::string_view elem, std::string_view) {
    if (elem.size() >= 8) {
      out.push_back({std::string(elem.substr(8)), DecodeSortableDouble(elem.substr(0, 8))});
    }
    return true;
  });
  return out;
}

std::optional<double> ZSetScore(TxnView& txn, std::string_view base, std::string_view member) {
  auto v = txn.Get(MemberKey(base, member));
  if (!v || v->size() != 8) return std::nullopt;
  return DecodeSortableDouble(*v);
}

ZAddResult ZSetAdd(TxnView& txn, const KeyRead& z, ZAddFlags f, std::span<const double> scores,
                   std::span<const std::string_view> members) {
  ZAddResult r;
  if (z.missing() && f.xx) return r;
  int64_t card = ZSetCard(txn, z);  // before any write: the count as read
  for (size_t j = 0; j < members.size() && j < scores.size(); ++j) {
    std::string_view member = members[j];
    double score = scores[j];
    auto cur = ZSetScore(txn, z.elements, member);  // sees this command's own adds
    if (cur) {
      if (f.nx) continue;
      if (f.incr) {
        score += *cur;
        if (std::isnan(score)) {
          r.nan = true;
          return r;
        }
      }
      if ((f.lt && score >= *cur) || (f.gt && score <= *cur)) continue;
      ++r.processed;
      r.last_score = score;
      if (score != *cur) {
        WriteScore(txn, z.elements, member, cur, score);
        ++r.updated;
      }
    } else {
      if (f.xx) continue;
      WriteScore(txn, z.elements, member, std::nullopt, score);
      ++r.added;
      ++r.processed;
      r.last_score = score;
    }
  }
  if (r.added > 0 || r.updated > 0) SetCount(txn, z, ValueType::kZSet, card + r.added);
  return r;
}

int64_t ZSetRemoveEntries(TxnView& txn, const KeyRead& z, const std::vector<ZEntry>& entries) {
  if (!z.ok()) return 0;
  int64_t card = ZSetCard(txn, z);
  int64_t removed = 0;
  for (const auto& e : entries) {
    auto cur = ZSetScore(txn, z.elements, e.member);
    if (!cur) continue;
    txn.Delete(IndexKey(z.elements, *cur, e.member));
    txn.Delete(MemberKey(z.elements, e.member));
    ++removed;
  }
  if (removed > 0) SetCount(txn, z, ValueType::kZSet, card - removed);
  return removed;
}

int64_t ZSetRemove(TxnView& txn, const KeyRead& z, std::span<const std::string> members) {
  std::vector<ZEntry> entries;
  entries.reserve(members.size());
  for (const auto& m : members) entries.push_back({m, 0});
  return ZSetRemoveEntries(txn, z, entries);
}

std::vector<ZEntry> ZSetPop(TxnView& txn, const KeyRead& z, bool max, int64_t count) {
  if (!z.ok() || count <= 0) return {};
  auto all = ZSetSorted(txn, z.elements);
  size_t n = std::min(all.size(), static_cast<size_t>(count));
  std::vector<ZEntry> taken;
  taken.reserve(n);
  for (size_t i = 0; i < n; ++i) taken.push_back(std::move(all[max ? all.size() - 1 - i : i]));
  ZSetRemoveEntries(txn, z, taken);
  return taken;
}

void ZSetStore(TxnView& txn, const std::string& dst_meta, const std::vector<ZEntry>& entries) {
  DeleteKey(txn, dst_meta);
  if (entries.empty()) return;
  WriteMeta(txn, dst_meta, ValueType::kZSet, std::to_string(entries.size()));
  for (const auto& e : entries) WriteScore(txn, dst_meta, e.member, std::nullopt, e.score);
}

bool ZSetLoadSource(TxnView& txn, const std::string& meta_key, std::vector<ZEntry>* out) {
  auto type = KeyType(txn, meta_key);
  if (!type) return true;
  const std::string base = ElementsOf(txn, meta_key);
  if (*type == ValueType::kZSet) {
    *out = ZSetSorted(txn, base);
    for (const auto& e : *out) txn.Get(MemberKey(base, e.member));
    return true;
  }
  if (*type != ValueType::kSet) return false;
  std::vector<std::string> members;
  ScanSubkeys(txn, base, kSetMemberTag, [&](std::string_view m, std::string_view) {
    members.emplace_back(m);
    return true;
  });
  for (auto& m : members) {
    txn.Get(SubKey(base, kSetMemberTag, m));
    out->push_back({std::move(m), 1.0});
  }
  return true;
}

}  // namespace petacore::keyspace::types
