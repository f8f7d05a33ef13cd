#include "keyspace/chunk_references.h"

#include <algorithm>

#include "keyspace/chunked_value.h"

namespace petacore::keyspace {
namespace {

bool UnderChunkPrefix(std::string_view key) {
  return key.size() > kChunkPrefix.size() + kWriteIdBytes &&
         key.substr(0, kChunkPrefix.size()) == kChunkPrefix;
}

bool IsClaimMarker(std::string_view key) {
  static const std::string suffix = ChunkKey("", kClaimIndex).substr(kChunkPrefix.size());
  return key.size() == kChunkPrefix.size() + kWriteIdBytes + suffix.size() &&
         key.substr(kChunkPrefix.size() + kWriteIdBytes) == suffix;
}

}  // namespace

void ChunkReferences::Observe(int64_t revision, std::span<const mvcc::Mutation> batch) {
  std::unique_lock<std::mutex> lock(mu_, std::defer_lock);
  auto locked = [&] {
    if (!lock.owns_lock()) lock.lock();
  };
  for (const auto& m : batch) {
    const bool put = m.kind == mvcc::Mutation::Kind::kPut;
    if (UnderChunkPrefix(m.key)) {
      locked();
      auto& e = ids_[std::string(m.key.substr(kChunkPrefix.size(), kWriteIdBytes))];
      const int64_t at = put && m.mod_revision != 0 ? m.mod_revision : revision;
      e.last_change = std::max(e.last_change, at);
      if (IsClaimMarker(m.key)) e.claim_revision = put ? at : 0;
      continue;
    }
    // A meta key: what it referenced (if anything) is dropped, what it references now added.
    std::optional<std::string_view> id;
    if (put) id = StagedIdOf(m.key, m.value);
    if (!id && referencing_.load(std::memory_order_relaxed) == 0) continue;
    locked();
    auto was = referenced_by_.find(m.key);
    if (was != referenced_by_.end()) {
      if (id && was->second == *id) continue;  // EXPIRE's rewrite keeps the reference
      Unref(was->second);
      if (!id) {
        referenced_by_.erase(was);
        referencing_.store(referenced_by_.size(), std::memory_order_relaxed);
        continue;
      }
      was->second = std::string(*id);
    } else if (id) {
      referenced_by_.emplace(m.key, std::string(*id));
      referencing_.store(referenced_by_.size(), std::memory_order_relaxed);
    } else {
      continue;
    }
    ++ids_[std::string(*id)].refs;
  }
}

void ChunkReferences::Unref(const std::string& id) {
  auto it = ids_.find(id);
  if (it != ids_.end() && it->second.refs > 0) --it->second.refs;
}

std::vector<ChunkReferences::Unreferenced> ChunkReferences::UnreferencedIds() const {
  std::vector<Unreferenced> out;
  std::lock_guard lock(mu_);
  for (const auto& [id, e] : ids_) {
    if (e.refs == 0) out.push_back({id, e.claim_revision, e.last_change});
  }
  return out;
}

bool ChunkReferences::ForgetIfGone(const std::string& id, const mvcc::Snapshot& snapshot) {
  std::lock_guard lock(mu_);
  auto it = ids_.find(id);
  if (it == ids_.end() || it->second.refs != 0 || it->second.last_change > snapshot.revision()) {
    return false;
  }
  size_t keys = snapshot.Range(ChunkIdStart(id), ChunkIdEnd(id), 1,
                               [](const mvcc::KeyValue&) { return false; });
  if (keys != 0) return false;
  ids_.erase(it);
  return true;
}

size_t ChunkReferences::ids() const {
  std::lock_guard lock(mu_);
  return ids_.size();
}

size_t ChunkReferences::referencing_keys() const {
  return referencing_.load(std::memory_order_relaxed);
}

}  // namespace petacore::keyspace
