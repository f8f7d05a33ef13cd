#include "keyspace/types/set.h"

#include <algorithm>

namespace petacore::keyspace::types {
namespace {
std::string MemberKey(std::string_view base, std::string_view member) {
  return SubKey(base, kSetMemberTag, member);
}
}  // namespace

int64_t SetCard(TxnView& txn, const KeyRead& s) { return Count(txn, s, kSetMemberTag); }

bool SetIsMember(TxnView& txn, const KeyRead& s, std::string_view member) {
  return s.ok() && txn.Get(MemberKey(s.elements, member)).has_value();
}

std::vector<std::string> SetMembers(TxnView& txn, const KeyRead& s) {
  std::vector<std::string> out;
  if (!s.ok()) return out;
  out.reserve(static_cast<size_t>(SetCard(txn, s)));
  ScanSubkeys(txn, s.elements, kSetMemberTag, [&](std::string_view member, std::string_view) {
    out.emplace_back(member);
    return true;
  });
  return out;
}

int64_t SetAdd(TxnView& txn, const KeyRead& s, std::span<const std::string_view> members) {
  int64_t n = SetCard(txn, s);
  int64_t added = 0;
  for (auto member : members) {
    std::string key = MemberKey(s.elements, member);
    if (txn.Get(key)) continue;
    txn.Put(key, std::string());
    ++added;
  }
  if (added > 0) SetCount(txn, s, ValueType::kSet, n + added);
  return added;
}

int64_t SetRemove(TxnView& txn, const KeyRead& s, std::span<const std::string_view> members) {
  if (!s.ok()) return 0;
  int64_t n = SetCard(txn, s);
  int64_t removed = 0;
  for (auto member : members) {
    if (txn.Delete(MemberKey(s.elements, member))) ++removed;
  }
  if (removed > 0) SetCount(txn, s, ValueType::kSet, n - removed);
  return removed;
}

std::vector<std::string> SetPop(TxnView& txn, const KeyRead& s, int64_t count) {
  if (!s.ok() || count <= 0) return {};
  int64_t size = SetCard(txn, s);
  std::vector<std::string> popped;
  if (count >= size) {
    popped = SetMembers(txn, s);
  } else {
    for (auto& [member, unused] : RandomElements(txn, s.elements, kSetMemberTag, size, count)) {
      popped.push_back(std::move(member));
    }
  }
  int64_t removed = 0;
  for (const auto& m : popped) {
    if (txn.Delete(MemberKey(s.elements, m))) ++removed;
  }
  SetCount(txn, s, ValueType::kSet, size - removed);
  return popped;
}

bool SetMove(TxnView& txn, const KeyRead& src, const KeyRead& dst, std::string_view member) {
  if (!src.ok()) return false;
  if (src.meta_key == dst.meta_key) return SetIsMember(txn, src, member);
  int64_t src_n = SetCard(txn, src), dst_n = SetCard(txn, dst);
  if (!txn.Delete(MemberKey(src.elements, member))) return false;
  SetCount(txn, src, ValueType::kSet, src_n - 1);
  std::string key = MemberKey(dst.elements, member);
  if (!txn.Get(key)) {
    txn.Put(key, std::string());
    SetCount(txn, dst, ValueType::kSet, dst_n + 1);
  }
  return true;
}

std::vector<std::string> SetInter(TxnView& txn, std::vector<KeyRead> sets, int64_t limit) {
  std::vector<std::string> out;
  for (const auto& s : sets) {
    if (!s.ok()) return out;
  }
  std::vector<std::pair<int64_t, size_t>> by_size;
  for (size_t i = 0; i < sets.size(); ++i) by_size.emplace_back(SetCard(txn, sets[i]), i);
  std::stable_sort(by_size.begin(), by_size.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  const KeyRead& smallest = sets[by_size[0].second];
  ScanSubkeys(txn, smallest.elements, kSetMemberTag,
              [&](std::string_view member, std::string_view) {
                for (const auto& s : sets) {
                  if (s.meta_key == smallest.meta_key) continue;
                  if (!HasSubkey(txn, MemberKey(s.elements, member))) return true;
                }
                out.emplace_back(member);
                return limit == 0 || static_cast<int64_t>(out.size()) < limit;
              });
  return out;
}

std::vector<std::string> SetUnion(TxnView& txn, const std::vector<KeyRead>& sets) {
  std::vector<std::string> out;
  for (const auto& s : sets) {
    auto members = SetMembers(txn, s);
    out.insert(out.end(), std::make_move_iterator(members.begin()),
               std::make_move_iterator(members.end()));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::string> SetDiff(TxnView& txn, const std::vector<KeyRead>& sets) {
  std::vector<std::string> out;
  if (sets.empty() || !sets[0].ok()) return out;
  ScanSubkeys(txn, sets[0].elements, kSetMemberTag, [&](std::string_view member, std::string_view) {
    for (size_t i = 1; i < sets.size(); ++i) {
      if (!sets[i].ok()) continue;
      if (sets[i].meta_key == sets[0].meta_key) return true;
      if (HasSubkey(txn, MemberKey(sets[i].elements, member))) return true;
    }
    out.emplace_back(member);
    return true;
  });
  return out;
}

void SetStore(TxnView& txn, const std::string& dst_meta, const std::vector<std::string>& members) {
  DeleteKey(txn, dst_meta);
  for (const auto& m : members) txn.Put(MemberKey(dst_meta, m), std::string());
  if (!members.empty()) WriteMeta(txn, dst_meta, ValueType::kSet, std::to_string(members.size()));
}

}  // namespace petacore::keyspace::types
