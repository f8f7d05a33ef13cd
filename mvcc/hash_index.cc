// mvcc/hash_index.cc — growth and hashing for the point-lookup table.
#include "mvcc/hash_index.h"

#include <cstring>

namespace petacore::mvcc::internal {
namespace {

constexpr size_t kInitialCapacity = 1024;

inline uint64_t Mix(uint64_t h, uint64_t word) {
  h = (h ^ word) * 0xBF58476D1CE4E5B9ULL;
  return h ^ (h >> 31);
}

}  // namespace

HashIndex::HashIndex() : table_(new Table(kInitialCapacity)) {}

HashIndex::~HashIndex() { delete table_.load(std::memory_order_relaxed); }

uint64_t HashIndex::Hash(std::string_view key) {
  // Word-at-a-time multiply/xor-shift: keys are short (tens of bytes), so a cheap loop with a
  // strong final avalanche beats a general-purpose byte hash here.
  const char* p = key.data();
  size_t n = key.size();
  uint64_t h = 0x9E3779B97F4A7C15ULL ^ (n * 0xFF51AFD7ED558CCDULL);
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = Mix(h, w);
  }
  if (n > 0) {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = Mix(h, w);
  }
  h ^= h >> 32;
  h *= 0x94D049BB133111EBULL;
  h ^= h >> 29;
  return h <= kRemoved ? h + 2 : h;
}

bool HashIndex::Place(Table* t, Node* n, uint64_t h) {
  Slot* slots = t->slots.get();
  size_t i = h & t->mask;
  uint64_t sh;
  while ((sh = slots[i].hash.load(std::memory_order_relaxed)) != 0 && sh != kRemoved) {
    i = (i + 1) & t->mask;
  }
  // A reader that acquires the old kRemoved walks on; one that acquires h sees n.
  slots[i].node.store(n, std::memory_order_relaxed);
  slots[i].hash.store(h, std::memory_order_release);  // publishes the node pointer
  return sh == kRemoved;
}

HashIndex::Table* HashIndex::Insert(Node* n, uint64_t h) {
  Table* t = table_.load(std::memory_order_relaxed);
  Table* old = nullptr;
  // Keep used slots (nodes and removed ones) <= 1/2 so linear probes stay short. A rebuild
  // drops the removed slots and sizes the table for live nodes <= 1/4: it doubles when they
  // are above a quarter, halves (not below the initial size) when below a sixteenth.
  if ((size_ + removed_ + 1) * 2 > t->mask + 1) {
    size_t capacity = t->mask + 1;
    if ((size_ + 1) * 4 > capacity) {
      capacity *= 2;
    } else {
      while (capacity > kInitialCapacity && (size_ + 1) * 16 < capacity) capacity /= 2;
    }
    auto* rebuilt = new Table(capacity);
    for (size_t i = 0; i <= t->mask; ++i) {
      uint64_t sh = t->slots[i].hash.load(std::memory_order_relaxed);
      if (sh != 0 && sh != kRemoved) {
        Place(rebuilt, t->slots[i].node.load(std::memory_order_relaxed), sh);
      }
    }
    table_.store(rebuilt, std::memory_order_release);
    removed_ = 0;
    old = t;
    t = rebuilt;
  }
  if (Place(t, n, h)) --removed_;
  ++size_;
  return old;
}

void HashIndex::Remove(const Node* n, uint64_t h) {
  Table* t = table_.load(std::memory_order_relaxed);
  Slot* slots = t->slots.get();
  for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
    uint64_t sh = slots[i].hash.load(std::memory_order_relaxed);
    if (sh == 0) return;  // not present (caller's contract says it is)
    if (sh == h && slots[i].node.load(std::memory_order_relaxed) == n) {
      slots[i].hash.store(kRemoved, std::memory_order_release);
      --size_;
      ++removed_;
      return;
    }
  }
}

void HashIndex::FreeTable(void* table, size_t /*count*/) { delete static_cast<Table*>(table); }

}  // namespace petacore::mvcc::internal
