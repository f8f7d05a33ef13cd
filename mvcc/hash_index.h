// mvcc/hash_index.h — point-lookup accelerator beside the skip list (internal to mvcc/).
//
// Get is the hottest read; descending ~log4(n) skip-list levels costs a cache miss per level
// on a large key space, while this open-addressing table finds a node in ~2 misses. It maps
// key -> Node* for every node in the skip list. Like the list, it is single-writer and
// lock-free for readers: a slot is published by storing its node first and its hash last
// (release); a reader that acquires a hash equal to its key's sees the node. Removing a node
// marks its slot kRemoved (a hash value Hash() never returns), so probes for other keys walk
// past it; Insert reuses such slots. Growing (or purging removed slots) builds a complete new
// table and publishes it with one release store; the old one is retired through the epoch
// scheme, since readers may still be probing it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

#include "mvcc/node.h"

namespace petacore::mvcc::internal {

class HashIndex {
 public:
  struct Slot {
    std::atomic<uint64_t> hash{0};  // 0 = empty, kRemoved = removed; Hash() returns neither
    std::atomic<Node*> node{nullptr};
  };
  struct Table {
    explicit Table(size_t capacity) : mask(capacity - 1), slots(new Slot[capacity]) {}
    size_t bytes() const { return sizeof(Table) + (mask + 1) * sizeof(Slot); }
    const size_t mask;
    const std::unique_ptr<Slot[]> slots;
  };

  HashIndex();
  ~HashIndex();
  HashIndex(const HashIndex&) = delete;
  HashIndex& operator=(const HashIndex&) = delete;

  /// The slot hash of a removed node.
  static constexpr uint64_t kRemoved = 1;

  /// A 64-bit hash of the key bytes; never 0 or kRemoved.
  static uint64_t Hash(std::string_view key);

  /// The node for `key` (with h == Hash(key)), or nullptr. Readers must be pinned.
  Node* Find(std::string_view key, uint64_t h) const {
    const Table* t = table_.load(std::memory_order_acquire);
    const Slot* slots = t->slots.get();
    for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
      uint64_t sh = slots[i].hash.load(std::memory_order_acquire);
      if (sh == 0) return nullptr;
      if (sh == h) {
        Node* n = slots[i].node.load(std::memory_order_relaxed);
        if (n->key() == key) return n;
      }
    }
  }

  /// Writer only: adds `n` (absent so far; h == Hash(n->key())). If this rebuilt the table
  /// (to grow, or to purge removed slots), returns the old table, which the caller must
  /// retire (not free: readers may hold it).
  Table* Insert(Node* n, uint64_t h);

  /// Writer only: removes `n` (present; h == Hash(n->key())). Readers that already found `n`
  /// keep it; the caller retires the node itself.
  void Remove(const Node* n, uint64_t h);

  /// Frees a table returned by Insert; signature fits RetireList.
  static void FreeTable(void* table, size_t count);

  /// Writer only: heap bytes of the current table.
  size_t bytes() const { return table_.load(std::memory_order_relaxed)->bytes(); }

 private:
  /// Stores `n` in the first empty or removed slot of its probe; true if that was a removed one.
  static bool Place(Table* t, Node* n, uint64_t h);

  std::atomic<Table*> table_;
  size_t size_ = 0;     // nodes in the table
  size_t removed_ = 0;  // kRemoved slots in the current table
};

}  // namespace petacore::mvcc::internal
