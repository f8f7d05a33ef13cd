#include "replication/flush_marker.h"

#include <algorithm>
#include <array>
#include <unordered_set>

namespace petacore::replication {
namespace {
constexpr std::string_view kMarkerPrefix = "\xff" "flushdb/";
constexpr int kDatabases = 16;
}  // namespace

std::string FlushMarkerKey(int db) {
  std::string k(kMarkerPrefix);
  k.push_back(static_cast<char>(db));
  return k;
}

std::string FlushMarkerStart() { return std::string(kMarkerPrefix); }

std::string FlushMarkerEnd() {
  std::string k(kMarkerPrefix);
  k.back() = static_cast<char>(k.back() + 1);
  return k;
}

std::optional<int> FlushMarkerDb(std::string_view key) {
  if (key.size() != kMarkerPrefix.size() + 1 || !key.starts_with(kMarkerPrefix)) {
    return std::nullopt;
  }
  const int db = static_cast<unsigned char>(key.back());
  return db < kDatabases ? std::optional<int>(db) : std::nullopt;
}

std::optional<int> DataKeyDb(std::string_view key) {
  if (key.empty()) return std::nullopt;
  const int db = static_cast<unsigned char>(key[0]);
  return db < kDatabases ? std::optional<int>(db) : std::nullopt;
}

bool HasFlushMarker(const std::vector<mvcc::Mutation>& batch) {
  for (const auto& m : batch) {
    if (!m.key.empty() && m.key[0] == kMarkerPrefix[0] && m.kind == mvcc::Mutation::Kind::kPut &&
        FlushMarkerDb(m.key)) {
      return true;
    }
  }
  return false;
}

size_t ExpandFlushMarkers(const mvcc::Snapshot& snapshot, std::vector<mvcc::Mutation>* batch) {
  std::vector<int> dbs;
  for (const auto& m : *batch) {
    if (m.kind != mvcc::Mutation::Kind::kPut) continue;
    if (auto db = FlushMarkerDb(m.key)) dbs.push_back(*db);
  }
  if (dbs.empty()) return 0;
  std::unordered_set<std::string_view> written;
  for (const auto& m : *batch) written.insert(m.key);
  std::vector<mvcc::Mutation> deletes;
  for (int db : dbs) {
    const std::string start(1, static_cast<char>(db)), end(1, static_cast<char>(db + 1));
    snapshot.Range(start, end, 0, [&](const mvcc::KeyValue& kv) {
      if (!written.count(kv.key)) {
        deletes.push_back({mvcc::Mutation::Kind::kDelete, std::string(kv.key), {}});
      }
      return true;
    });
  }
  const size_t n = deletes.size();
  if (n == 0) return 0;
  for (auto& m : *batch) deletes.push_back(std::move(m));
  batch->swap(deletes);
  return n;
}

size_t DropFlushedKeys(std::vector<mvcc::Mutation>* loaded) {
  std::array<int64_t, kDatabases> below{};
  bool any = false;
  for (const auto& m : *loaded) {
    if (auto db = FlushMarkerDb(m.key)) {
      below[*db] = m.mod_revision;
      any = true;
    }
  }
  if (!any) return 0;
  const size_t before = loaded->size();
  std::erase_if(*loaded, [&](const mvcc::Mutation& m) {
    auto db = DataKeyDb(m.key);
    return db && m.mod_revision < below[*db];
  });
  return before - loaded->size();
}

int64_t FlushRevision(const mvcc::Snapshot& snapshot, int db) {
  auto kv = snapshot.Get(FlushMarkerKey(db));
  return kv ? kv->mod_revision : 0;
}

}  // namespace petacore::replication
