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
  return h == 0 ? 1 : h;
}

void HashIndex::Place(Table* t, Node* n, uint64_t h) {
  Slot* slots = t->slots.get();
  size_t i = h & t->mask;
  while (slots[i].hash.load(std::memory_order_relaxed) != 0) i = (i + 1) & t->mask;
  slots[i].node.store(n, std::memory_order_relaxed);
  slots[i].hash.store(h, std::memory_order_release);  // publishes the node pointer
}

HashIndex::Table* HashIndex::Insert(Node* n, uint64_t h) {
  Table* t = table_.load(std::memory_order_relaxed);
  Table* old = nullptr;
  // Keep the load factor <= 1/2 so linear probes stay short.
  if ((size_ + 1) * 2 > t->mask + 1) {
    auto* bigger = new Table((t->mask + 1) * 2);
    for (size_t i = 0; i <= t->mask; ++i) {
      uint64_t sh = t->slots[i].hash.load(std::memory_order_relaxed);
      if (sh != 0) Place(bigger, t->slots[i].node.load(std::memory_order_relaxed), sh);
    }
    table_.store(bigger, std::memory_order_release);
    old = t;
    t = bigger;
  }
  Place(t, n, h);
  ++size_;
  return old;
}

void HashIndex::FreeTable(void* table, size_t /*count*/) { delete static_cast<Table*>(table); }

}  // namespace petacore::mvcc::internal
