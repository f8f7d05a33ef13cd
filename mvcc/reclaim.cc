// mvcc/reclaim.cc — reader slots, pinning and the retire queue (see reclaim.h for the proof).
#include "mvcc/reclaim.h"

#include <limits>
#include <stdexcept>

namespace petacore::mvcc::internal {

/// The calling thread's slot and pin depth. The slot is taken lazily and given back when the
/// thread exits, so short-lived threads do not exhaust the array.
struct ThreadSlot {
  int slot = -1;
  int depth = 0;
  /// Revisions of the thread's live pins (a multiset; pins are mostly LIFO and few), and
  /// their minimum, mirrored into the slot.
  std::vector<int64_t> revisions;
  int64_t min_revision = kNoRevision;
  ~ThreadSlot() {
    if (slot >= 0) EpochDomain::Instance().ReleaseSlot(slot);
  }
};

namespace {

thread_local ThreadSlot tls_slot;

#if defined(__SANITIZE_THREAD__)
// TSan does not model fences. Under TSan both sides instead do an acq_rel RMW on one shared
// word: RMWs on one location are totally ordered and each synchronizes with the previous,
// so whichever side comes second sees everything the first did — the same guarantee as the
// fences, at the price of a contended cache line (fine for a test build only).
std::atomic<uint64_t> tsan_fence_word{0};
inline void StoreLoadFence() { tsan_fence_word.fetch_add(1, std::memory_order_acq_rel); }
#else
inline void StoreLoadFence() { std::atomic_thread_fence(std::memory_order_seq_cst); }
#endif

}  // namespace

EpochDomain& EpochDomain::Instance() {
  // Leaked on purpose: thread-local destructors of late threads may still release slots.
  static EpochDomain* domain = new EpochDomain;
  return *domain;
}

int EpochDomain::AcquireSlot() {
  for (int i = 0; i < kMaxReaderSlots; ++i) {
    Slot& s = slots_[i];
    if (s.owned.load(std::memory_order_relaxed)) continue;
    if (s.owned.exchange(true, std::memory_order_acquire)) continue;
    int hw = high_water_.load(std::memory_order_relaxed);
    while (hw < i + 1 && !high_water_.compare_exchange_weak(hw, i + 1, std::memory_order_seq_cst)) {
    }
    return i;
  }
  throw std::runtime_error("mvcc: too many concurrent reader threads");
}

void EpochDomain::ReleaseSlot(int slot) {
  slots_[slot].revision.store(kNoRevision, std::memory_order_release);
  slots_[slot].epoch.store(0, std::memory_order_release);
  slots_[slot].owned.store(false, std::memory_order_release);
}

int EpochDomain::Pin(int64_t revision) {
  ThreadSlot& t = tls_slot;
  if (t.depth > 0) {
    ++t.depth;
    t.revisions.push_back(revision);
    if (revision < t.min_revision) {
      // Already pinned (epoch held), so memory is safe; the fence only makes the lower
      // revision visible to OldestRevision before this reader checks the compacted revision.
      t.min_revision = revision;
      slots_[t.slot].revision.store(revision, std::memory_order_relaxed);
      StoreLoadFence();
    }
    return t.slot;
  }
  if (t.slot < 0) t.slot = AcquireSlot();
  Slot& s = slots_[t.slot];
  t.revisions.push_back(revision);
  t.min_revision = revision;
  s.revision.store(revision, std::memory_order_relaxed);
  s.epoch.store(epoch_.load(std::memory_order_seq_cst), std::memory_order_relaxed);
  // Orders the pin before every load of shared structure that follows (see reclaim.h).
  StoreLoadFence();
  t.depth = 1;
  return t.slot;
}

void EpochDomain::Unpin(int slot, int64_t revision) {
  ThreadSlot& t = tls_slot;
  // Forget one pin at `revision`, searching from the newest (snapshots mostly end LIFO).
  for (size_t i = t.revisions.size(); i-- > 0;) {
    if (t.revisions[i] == revision) {
      t.revisions[i] = t.revisions.back();
      t.revisions.pop_back();
      break;
    }
  }
  if (--t.depth == 0) {
    t.revisions.clear();
    t.min_revision = kNoRevision;
    slots_[slot].revision.store(kNoRevision, std::memory_order_release);
    slots_[slot].epoch.store(0, std::memory_order_release);
    return;
  }
  if (revision == t.min_revision) {  // raising the bound needs no fence: it only frees more
    int64_t m = kNoRevision;
    for (int64_t r : t.revisions) m = r < m ? r : m;
    t.min_revision = m;
    slots_[slot].revision.store(m, std::memory_order_release);
  }
}

uint64_t EpochDomain::OldestPinned() const {
  StoreLoadFence();
  uint64_t oldest = std::numeric_limits<uint64_t>::max();
  int n = high_water_.load(std::memory_order_seq_cst);
  for (int i = 0; i < n; ++i) {
    uint64_t e = slots_[i].epoch.load(std::memory_order_acquire);
    if (e != 0 && e < oldest) oldest = e;
  }
  return oldest;
}

int64_t EpochDomain::OldestRevision() const {
  StoreLoadFence();
  int64_t oldest = kNoRevision;
  int n = high_water_.load(std::memory_order_seq_cst);
  for (int i = 0; i < n; ++i) {
    int64_t r = slots_[i].revision.load(std::memory_order_acquire);
    if (r < oldest) oldest = r;
  }
  return oldest;
}

RetireList::Freed RetireList::Reclaim(uint64_t oldest_pinned) {
  Freed f;
  while (!queue_.empty() && queue_.front().epoch < oldest_pinned) {
    const Retired& r = queue_.front();
    r.free_fn(r.ptr, r.count);
    f.versions += r.versions;
    f.bytes += r.bytes;
    queue_.pop_front();
  }
  return f;
}

RetireList::Freed RetireList::FreeAll() { return Reclaim(std::numeric_limits<uint64_t>::max()); }

}  // namespace petacore::mvcc::internal
