// mvcc/reclaim.h — epoch-based safe memory reclamation for the store (internal to mvcc/).
//
// Readers never lock, so the writer cannot know by itself when a version it cut out of a chain
// is no longer being walked. The scheme: a process-wide epoch counter and a fixed array of
// cache-line-padded reader slots. A thread owns one slot (taken on its first snapshot,
// released at thread exit). Pinning writes the current epoch into the slot; unpinning writes 0.
// Nested pins on one thread only count depth and keep the outermost (oldest) epoch.
//
// The writer first unlinks garbage, then calls Advance(), whose old value tags the garbage.
// Garbage tagged E is freed once every pinned slot holds an epoch > E (OldestPinned() > E):
//  - a reader that pinned with an epoch <= E may have seen the garbage, so it blocks freeing;
//  - a reader whose slot says > E read the epoch after the Advance (acquire on the RMW), so it
//    sees the chains already unlinked and can never reach the garbage.
// A seq_cst fence after the slot store (reader) and before the slot scan (writer) makes the
// two sides agree: either the writer sees the pin, or the reader sees the unlink.
//
// Revisions: each slot also holds the lowest revision its thread's live snapshots read at
// (kNoRevision when none, or for pins that are not snapshots), so the writer can tell the
// oldest revision any live snapshot needs (Store::oldest_snapshot_revision) without a lock.
// A snapshot's revision is stored before the same fence as its epoch, so a scan that misses
// it is one the reader's later check of the compacted revision (store.cc Read/ReadAt) sees.
//
// The domain is shared by all Stores (one slot per thread, not per thread and store), which is
// conservative — a reader of one store delays reclamation in another — but keeps pinning to a
// single thread-local lookup.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <vector>

namespace petacore::mvcc::internal {

/// Concurrent reader threads supported at once; Pin() throws std::runtime_error beyond it.
inline constexpr int kMaxReaderSlots = 1024;
/// A slot's revision when no live snapshot of its thread reads at one.
inline constexpr int64_t kNoRevision = std::numeric_limits<int64_t>::max();

class EpochDomain {
 public:
  static EpochDomain& Instance();

  /// Pins the calling thread (nested pins allowed) for a reader at `revision` (kNoRevision:
  /// not a snapshot). The slot's revision becomes the lowest of the thread's live pins.
  /// Returns its slot index.
  int Pin(int64_t revision = kNoRevision);
  /// Undoes one Pin(revision) on the same thread (same revision as pinned).
  void Unpin(int slot, int64_t revision = kNoRevision);

  /// Writer: starts a new epoch; returns the tag for garbage unlinked before this call.
  uint64_t Advance() { return epoch_.fetch_add(1, std::memory_order_seq_cst); }

  /// Writer: the smallest epoch held by a pinned slot, UINT64_MAX if none is pinned.
  /// Garbage tagged E may be freed iff E < OldestPinned() (called after tagging it).
  uint64_t OldestPinned() const;

  /// The lowest revision recorded by a pinned slot, kNoRevision if none. Lock-free, any
  /// thread. Exact for snapshots that were pinned before the call; one being pinned
  /// concurrently may be missed (then its reader sees the compaction and retries, store.cc).
  int64_t OldestRevision() const;

 private:
  friend struct ThreadSlot;
  struct alignas(64) Slot {
    std::atomic<uint64_t> epoch{0};  // 0 = not pinned
    std::atomic<int64_t> revision{kNoRevision};  // lowest revision of the thread's snapshots
    std::atomic<bool> owned{false};  // some thread holds this slot
  };

  int AcquireSlot();
  void ReleaseSlot(int slot);

  std::atomic<uint64_t> epoch_{1};
  std::atomic<int> high_water_{0};  // slots at index >= high_water_ were never owned
  Slot slots_[kMaxReaderSlots];
};

/// RAII pin for writer-side or internal use.
class PinGuard {
 public:
  PinGuard() : slot_(EpochDomain::Instance().Pin()) {}
  ~PinGuard() { EpochDomain::Instance().Unpin(slot_); }
  PinGuard(const PinGuard&) = delete;
  PinGuard& operator=(const PinGuard&) = delete;

 private:
  int slot_;
};

/// One unit of retired memory: `free_fn(ptr, count)` releases it. `versions`/`bytes` are what
/// the owner's statistics drop when it is freed.
struct Retired {
  uint64_t epoch = 0;
  void* ptr = nullptr;
  size_t count = 0;
  void (*free_fn)(void* ptr, size_t count) = nullptr;
  size_t versions = 0;
  size_t bytes = 0;
};

/// A store's queue of retired memory, in tag order. Writer only.
class RetireList {
 public:
  struct Freed {
    size_t versions = 0;
    size_t bytes = 0;
  };

  RetireList() = default;
  RetireList(const RetireList&) = delete;
  RetireList& operator=(const RetireList&) = delete;
  ~RetireList() { FreeAll(); }

  void Add(const Retired& r) { queue_.push_back(r); }
  bool empty() const { return queue_.empty(); }
  size_t size() const { return queue_.size(); }

  /// Frees every entry tagged below `oldest_pinned`.
  Freed Reclaim(uint64_t oldest_pinned);
  /// Frees everything (the store is being destroyed: no reader can exist).
  Freed FreeAll();

 private:
  std::deque<Retired> queue_;
};

}  // namespace petacore::mvcc::internal
