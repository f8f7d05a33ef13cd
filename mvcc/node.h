// mvcc/node.h — memory layout of index nodes and versions (internal to mvcc/).
//
// Both are single heap allocations with their variable-length bytes inline (key bytes after
// the skip-list tower, value bytes after the version header), so a lookup touches as few cache
// lines as possible and the read path never allocates. Nothing here synchronizes by itself: the
// publication rules (who may write which field when) are stated on each field.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <new>
#include <string_view>

namespace petacore::mvcc::internal {

/// One version of one key. Immutable once published (linked into a chain with a release
/// store); readers therefore read its plain fields without atomics. A tombstone is a delete
/// marker: create_revision and version are 0, as in etcd's delete event.
struct Version {
  /// The next older version. Written before publication and never again: compaction leaves
  /// the pointer of the chain's oldest kept version ("floor") dangling into retired memory,
  /// because snapshots older than the compaction may still walk it. Readers never follow a
  /// floor's `next` (a floor has mod_revision <= compacted <= any new snapshot's revision).
  Version* next = nullptr;
  int64_t mod_revision = 0;
  int64_t create_revision = 0;
  int64_t version = 0;
  uint32_t value_size = 0;
  bool tombstone = false;

  const char* value_data() const { return reinterpret_cast<const char*>(this + 1); }
  std::string_view value() const { return {value_data(), value_size}; }
  size_t alloc_size() const { return sizeof(Version) + value_size; }

  static Version* Make(std::string_view value, int64_t mod, int64_t create, int64_t ver,
                       bool tombstone) {
    void* mem = ::operator new(sizeof(Version) + value.size());
    auto* v = new (mem) Version;
    v->mod_revision = mod;
    v->create_revision = create;
    v->version = ver;
    v->value_size = static_cast<uint32_t>(value.size());
    v->tombstone = tombstone;
    if (!value.empty()) std::memcpy(v + 1, value.data(), value.size());
    return v;
  }
  static void Free(Version* v) {
    v->~Version();
    ::operator delete(v);
  }
};

/// A skip-list node: one per key that has versions. Layout: this header (24 bytes), then
/// `height` atomic forward pointers, then the key bytes. A fully deleted key keeps its node
/// (tombstone head) until compaction drops the tombstone; then the node is unlinked from the
/// skip list and the hash index and retired through reclaim.h, so readers pinned before may
/// still stand on it. Memory therefore follows the keys that exist (plus the compaction
/// window), not every key ever written.
struct Node {
  /// Newest version first. The writer publishes with release stores, readers load with
  /// acquire. nullptr = no version (never written yet, or the last tombstone was dropped).
  std::atomic<Version*> head{nullptr};
  uint32_t key_size = 0;
  uint8_t height = 0;
  /// Writer-only bookkeeping: 0 clean, 1 on the compaction work list, 2 on it and unlinked
  /// (store.cc). Readers never read it (it is its own memory location, so writing it races
  /// with nothing).
  uint8_t dirty = 0;
  /// The key's access record (access_record.h), packed: read and updated by readers with
  /// relaxed atomics (no lock; a racing update may be lost), reset by the writer when the key
  /// is (re)created. Mutable: a reader holds `const Node*`.
  mutable std::atomic<uint64_t> access{0};

  std::atomic<Node*>* tower() { return reinterpret_cast<std::atomic<Node*>*>(this + 1); }
  const std::atomic<Node*>* tower() const {
    return reinterpret_cast<const std::atomic<Node*>*>(this + 1);
  }
  std::atomic<Node*>& next(int level) { return tower()[level]; }
  Node* next_acquire(int level) const { return tower()[level].load(std::memory_order_acquire); }
  std::string_view key() const {
    return {reinterpret_cast<const char*>(tower() + height), key_size};
  }
  static size_t AllocSize(size_t key_size, int height) {
    return sizeof(Node) + height * sizeof(std::atomic<Node*>) + key_size;
  }
  size_t alloc_size() const { return AllocSize(key_size, height); }

  static Node* Make(std::string_view key, int height) {
    void* mem = ::operator new(AllocSize(key.size(), height));
    auto* n = new (mem) Node;
    n->key_size = static_cast<uint32_t>(key.size());
    n->height = static_cast<uint8_t>(height);
    for (int i = 0; i < height; ++i) new (&n->tower()[i]) std::atomic<Node*>(nullptr);
    if (!key.empty()) {
      std::memcpy(reinterpret_cast<char*>(n->tower() + height), key.data(), key.size());
    }
    return n;
  }
  static void Free(Node* n) {
    n->~Node();
    ::operator delete(n);
  }
};

static_assert(sizeof(Node) == 24, "keep the node header to 24 bytes (16 + the access word)");
static_assert(alignof(Node) == alignof(std::atomic<Node*>), "tower must follow the header");
static_assert(sizeof(Version) % alignof(Version) == 0);

/// Byte-wise three-way comparison (memcmp order, shorter prefix first), as etcd orders keys.
inline int CompareKeys(std::string_view a, std::string_view b) {
  size_t n = a.size() < b.size() ? a.size() : b.size();
  int c = n == 0 ? 0 : std::memcmp(a.data(), b.data(), n);
  if (c != 0) return c;
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

/// The version of `n` visible at revision `rev`: the newest with mod_revision <= rev, or
/// nullptr if there is none or it is a tombstone. Caller must be pinned (see reclaim.h).
inline const Version* VisibleAt(const Node* n, int64_t rev) {
  const Version* v = n->head.load(std::memory_order_acquire);
  while (v != nullptr && v->mod_revision > rev) v = v->next;
  return (v == nullptr || v->tombstone) ? nullptr : v;
}

}  // namespace petacore::mvcc::internal
