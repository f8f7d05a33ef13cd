// txn_view_stage.cc — TxnView::StageLargeCollections: a command's element writes that do not
// fit one etcd request move into a new incarnation (keyspace/incarnation.h), staged ahead of
// the Txn that switches the meta key.
#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "keyspace/chunked_value.h"
#include "keyspace/incarnation.h"
#include "keyspace/txn_view.h"

namespace petacore::keyspace {
namespace {

bool IsMeta(std::string_view key) {
  std::string_view meta = MetaKeyOf(key);
  return !meta.empty() && meta.size() == key.size();
}

bool Movable(ValueType type) {
  return type == ValueType::kHash || type == ValueType::kSet || type == ValueType::kZSet ||
         type == ValueType::kList;
}

}  // namespace

size_t TxnView::StageLargeCollections(size_t budget_bytes, size_t min_bytes) {
  auto staged = [&](std::string_view key) {  // travels ahead of the Txn already
    return !staged_ids_.empty() && IsStagedKey(key) &&
           key.size() >= kStagedKeyPrefix.size() + kIncarnationIdBytes &&
           std::find(staged_ids_.begin(), staged_ids_.end(),
                     key.substr(kStagedKeyPrefix.size(), kIncarnationIdBytes)) !=
               staged_ids_.end();
  };
  size_t total = 0;  // the buffered puts' bytes (every write command comes here: keep it cheap)
  for (const auto& [key, w] : writes_) {
    if (w.value && !staged(key)) total += key.size() + w.value->size();
  }
  if (total <= budget_bytes) return 0;
  // The incarnation each buffered meta key names.
  std::map<std::string, std::string, std::less<>> meta_of_id;
  for (const auto& [key, w] : writes_) {
    if (!w.value || !IsMeta(key)) continue;
    auto v = DecodeValue(*w.value);
    if (v && !v->incarnation.empty()) meta_of_id.emplace(v->incarnation, key);
  }
  // Element put bytes per collection (its meta key).
  std::map<std::string, size_t, std::less<>> per_meta;
  for (const auto& [key, w] : writes_) {
    if (!w.value || staged(key)) continue;
    std::string_view meta;
    if (IsStagedKey(key)) {
      if (key.size() < kStagedKeyPrefix.size() + kIncarnationIdBytes) continue;
      auto it = meta_of_id.find(key.substr(kStagedKeyPrefix.size(), kIncarnationIdBytes));
      if (it == meta_of_id.end()) continue;  // a chunk, or a staged incarnation
      meta = it->second;
    } else {
      meta = MetaKeyOf(key);
      if (meta.empty() || meta.size() == key.size()) continue;  // a meta key, or not ours
    }
    auto it = per_meta.find(meta);
    if (it == per_meta.end()) it = per_meta.emplace(std::string(meta), 0).first;
    it->second += key.size() + w.value->size();
  }
  std::vector<std::pair<size_t, std::string>> largest;
  for (auto& [meta, bytes] : per_meta) {
    if (bytes >= min_bytes) largest.emplace_back(bytes, meta);
  }
  std::sort(largest.begin(), largest.end(), std::greater<>());
  size_t moved = 0;
  for (const auto& [bytes, meta] : largest) {
    if (total <= budget_bytes) break;
    if (!MoveToNewIncarnation(meta)) continue;
    total -= std::min(total, bytes);
    ++moved;
  }
  return moved;
}

bool TxnView::MoveToNewIncarnation(const std::string& meta_key) {
  auto it = writes_.find(meta_key);
  if (it == writes_.end() || !it->second.value) return false;  // not put by this view
  const std::string stored = *it->second.value;
  auto v = DecodeValue(stored);
  if (!v || !Movable(v->type)) return false;
  const ValueType type = v->type;
  const std::string payload(v->payload);
  const int64_t expire_at = v->expire_at_ms;
  const std::string old_id(v->incarnation);
  const std::string base = old_id.empty() ? meta_key : IncarnationBase(old_id);
  const std::string end = old_id.empty() ? KeyEnd(meta_key) : ChunkIdEnd(old_id);
  // The elements as this view leaves them (the snapshot's with the buffered writes over).
  std::vector<std::pair<std::string, std::string>> elements;
  Range(base, end, [&](std::string_view key, std::string_view value) {
    if (key.size() <= base.size()) return true;  // the meta key itself
    if (IsIncarnationMarker(key, base.size())) return true;
    elements.emplace_back(key.substr(base.size()), value);
    return true;
  });
  if (old_id.empty()) {
    // Its own range goes (a range tombstone above kTombstoneMinKeys keys); an element another
    // node adds meanwhile re-runs the command rather than being lost.
    GuardRange(meta_key, end);
    writes_.erase(writes_.lower_bound(meta_key), writes_.lower_bound(end));
    DeleteRange(meta_key, end);  // what the snapshot holds there (none for a new key)
  } else {
    // The old incarnation's buffered writes are dropped; referenced by no meta key once this
    // commits, its elements are the chunk cleaner's.
    writes_.erase(writes_.lower_bound(base), writes_.lower_bound(end));
  }
  std::string id = NewWriteId();
  const std::string new_base = IncarnationBase(id);
  for (auto& [suffix, value] : elements) Put(new_base + suffix, std::move(value));
  Put(meta_key, EncodeValue(type, payload, expire_at, id));
  StageIncarnation(std::move(id));
  return true;
}

}  // namespace petacore::keyspace
