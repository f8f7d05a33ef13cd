#include "replication/range_tombstone.h"

#include <algorithm>
#include <unordered_set>

namespace petacore::replication {
namespace {
constexpr std::string_view kPrefix = "\xff" "tombstone/";

bool Holds(const RangeTombstone& t, std::string_view key) {
  return key >= t.start && (t.end.empty() || key < t.end);
}
}  // namespace

std::string TombstoneKey(std::string_view start) {
  std::string k(kPrefix);
  k.append(start);
  return k;
}

std::string TombstonesStart() { return std::string(kPrefix); }

std::string TombstonesEnd() {
  std::string k(kPrefix);
  k.back() = static_cast<char>(k.back() + 1);
  return k;
}

std::optional<std::string_view> TombstoneStart(std::string_view key) {
  if (key.size() <= kPrefix.size() || !key.starts_with(kPrefix)) return std::nullopt;
  return key.substr(kPrefix.size());
}

std::vector<RangeTombstone> Tombstones(const mvcc::Snapshot& snapshot) {
  std::vector<RangeTombstone> out;
  snapshot.Range(TombstonesStart(), TombstonesEnd(), 0, [&](const mvcc::KeyValue& kv) {
    out.push_back({std::string(kv.key.substr(kPrefix.size())), std::string(kv.value),
                   kv.mod_revision});
    return true;
  });
  return out;
}

int64_t TombstonedBelow(const std::vector<RangeTombstone>& tombstones, std::string_view key) {
  int64_t below = 0;
  for (const auto& t : tombstones) {
    if (Holds(t, key)) below = std::max(below, t.revision);
  }
  return below;
}

WriteOp RangeDelete(const mvcc::Snapshot& snapshot, std::string_view start,
                    std::string_view end) {
  const size_t n = snapshot.Range(start, end, kTombstoneMinKeys + 1,
                                  [](const mvcc::KeyValue&) { return true; });
  if (n > kTombstoneMinKeys) {
    return {WriteOp::Kind::kPut, TombstoneKey(start), std::string(end), {}};
  }
  return {WriteOp::Kind::kDeleteRange, std::string(start), {}, std::string(end)};
}

bool HasRangeTombstone(const std::vector<mvcc::Mutation>& batch) {
  for (const auto& m : batch) {
    if (!m.key.empty() && m.key[0] == kPrefix[0] && m.kind == mvcc::Mutation::Kind::kPut &&
        TombstoneStart(m.key)) {
      return true;
    }
  }
  return false;
}

size_t ExpandRangeTombstones(const mvcc::Snapshot& snapshot,
                             std::vector<mvcc::Mutation>* batch) {
  std::vector<std::pair<std::string, std::string>> ranges;
  for (const auto& m : *batch) {
    if (m.kind != mvcc::Mutation::Kind::kPut) continue;
    if (auto start = TombstoneStart(m.key)) ranges.emplace_back(std::string(*start), m.value);
  }
  if (ranges.empty()) return 0;
  std::unordered_set<std::string_view> written;
  for (const auto& m : *batch) written.insert(m.key);
  std::vector<mvcc::Mutation> expanded;
  for (const auto& [start, end] : ranges) {
    snapshot.Range(start, end, 0, [&](const mvcc::KeyValue& kv) {
      if (!written.count(kv.key)) {
        expanded.push_back({mvcc::Mutation::Kind::kDelete, std::string(kv.key), {}});
      }
      return true;
    });
  }
  if (ranges.size() > 1) {  // overlapping ranges: each key once
    std::sort(expanded.begin(), expanded.end(),
              [](const mvcc::Mutation& a, const mvcc::Mutation& b) { return a.key < b.key; });
    expanded.erase(std::unique(expanded.begin(), expanded.end(),
                               [](const mvcc::Mutation& a, const mvcc::Mutation& b) {
                                 return a.key == b.key;
                               }),
                   expanded.end());
  }
  const size_t n = expanded.size();
  if (n == 0) return 0;
  expanded.reserve(n + batch->size());
  for (auto& m : *batch) expanded.push_back(std::move(m));
  batch->swap(expanded);
  return n;
}

size_t DropTombstonedKeys(std::vector<mvcc::Mutation>* loaded) {
  std::vector<RangeTombstone> tombstones;
  for (const auto& m : *loaded) {
    if (auto start = TombstoneStart(m.key)) {
      tombstones.push_back({std::string(*start), m.value, m.mod_revision});
    }
  }
  if (tombstones.empty()) return 0;
  const size_t before = loaded->size();
  std::erase_if(*loaded, [&](const mvcc::Mutation& m) {
    return m.mod_revision < TombstonedBelow(tombstones, m.key);
  });
  return before - loaded->size();
}

}  // namespace petacore::replication
