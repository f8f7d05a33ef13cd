// mvcc/store.cc — Store and Snapshot: apply, compaction, snapshot reads.
//
// Structure (each piece in its own internal header):
//  - skiplist.h: ordered index of nodes, one per key with versions (a fully deleted key's
//    node is unlinked once its last tombstone is dropped, and freed through reclaim.h);
//  - hash_index.h: key -> node table for Get, so point reads skip the ~log4(n) descent;
//  - node.h: each node's version chain, newest first, published with release stores;
//  - reclaim.h: epoch-based reclamation of versions cut by Compact and of unlinked nodes;
//  - waiters.h: WaitApplied / OnApplied.
//
// Atomicity of a batch: every version of a batch at revision R carries mod_revision > the
// previously applied revision, and readers skip versions newer than their snapshot revision,
// so linking a version changes nothing a snapshot can see; `applied_` is published (release)
// only after the whole batch is linked, and snapshots take their revision from it (acquire).
#include "mvcc/store.h"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "mvcc/access_record.h"
#include "mvcc/hash_index.h"
#include "mvcc/node.h"
#include "mvcc/reclaim.h"
#include "mvcc/skiplist.h"
#include "mvcc/waiters.h"

namespace petacore::mvcc {

using internal::EpochDomain;
using internal::HashIndex;
using internal::Node;
using internal::Retired;
using internal::Version;

namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

/// Unix ms for the access record of a key Apply creates (access_record.h).
int64_t NowMsForAccess() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Frees `count` versions linked through `next`, starting at `first` (a retired segment; its
/// internal links are intact because published versions are never modified).
void FreeVersionSegment(void* first, size_t count) {
  auto* v = static_cast<Version*>(first);
  for (size_t i = 0; i < count; ++i) {
    Version* next = v->next;
    Version::Free(v);
    v = next;
  }
}

/// Frees one unlinked index node (count is 1); fits RetireList.
void FreeIndexNode(void* node, size_t /*count*/) { Node::Free(static_cast<Node*>(node)); }

/// Node::dirty values (writer-only bookkeeping).
constexpr uint8_t kClean = 0;
constexpr uint8_t kDirty = 1;     // on the compaction work list
constexpr uint8_t kUnlinked = 2;  // on the work list, unlinked: retire at its next visit

KeyValue MakeKeyValue(const Node* n, const Version* v) {
  return KeyValue{n->key(), v->value(), v->create_revision, v->mod_revision, v->version,
                  &n->access};
}

}  // namespace

struct Store::Impl {
  Impl() { bytes.store(hash.bytes(), kRelaxed); }
  ~Impl();

  void ApplyOne(const Mutation& m, int64_t revision);
  void MarkDirty(Node* n);
  void CompactNode(Node* n, int64_t revision, int64_t previous, std::vector<Retired>* garbage);
  void Reclaim();
  void Retire(std::vector<Retired>* garbage);
  void AccountFreed(internal::RetireList::Freed f);

  internal::SkipList list;
  HashIndex hash;
  internal::RetireList retired;
  internal::ApplyWaiters waiters;
  std::function<void(int64_t, std::span<const Mutation>)> observer;  // set before any Apply

  std::atomic<int64_t> applied{0};
  std::atomic<int64_t> compacted{0};

  // Stats: written by the writer only (relaxed), read by anyone.
  std::atomic<size_t> live_keys{0};
  std::atomic<size_t> index_keys{0};
  std::atomic<size_t> versions{0};
  std::atomic<size_t> bytes{0};

  // Writer-only state.
  /// Nodes whose chain may hold versions a Compact could drop (more than one version, or a
  /// tombstone head), so Compact visits those instead of the whole key space.
  std::vector<Node*> dirty;
  /// Fully deleted keys whose tombstone Compact left at the chain head: snapshots older than
  /// the compaction may still need the versions below it, so the tombstone can only be
  /// dropped (head set to null) once no reader pinned before the compaction remains.
  struct PendingDrop {
    uint64_t epoch;
    Node* node;
    Version* tombstone;
  };
  std::vector<PendingDrop> drops;
  /// Nodes unlinked by Reclaim and still on the work list (dirty == kUnlinked).
  size_t unlinked = 0;
  unsigned applies_since_reclaim = 0;
};

Store::Impl::~Impl() {
  // No snapshot may exist now. Each chain owns its versions down to its floor (the first with
  // mod_revision <= compacted); what lies beyond a floor belongs to the retire list.
  int64_t floor = compacted.load(kRelaxed);
  for (Node* n = list.First(); n != nullptr; n = internal::SkipList::Next(n)) {
    Version* v = n->head.load(kRelaxed);
    while (v != nullptr) {
      Version* next = v->next;
      bool is_floor = v->mod_revision <= floor;
      Version::Free(v);
      if (is_floor) break;
      v = next;
    }
  }
  retired.FreeAll();
  for (Node* n : dirty) {
    if (n->dirty == kUnlinked) Node::Free(n);  // unlinked, not retired yet: owned here
  }
}

void Store::Impl::MarkDirty(Node* n) {
  if (n->dirty != kClean) return;
  n->dirty = kDirty;
  dirty.push_back(n);
}

void Store::Impl::ApplyOne(const Mutation& m, int64_t revision) {
  uint64_t h = HashIndex::Hash(m.key);
  Node* n = hash.Find(m.key, h);
  Version* head = n != nullptr ? n->head.load(kRelaxed) : nullptr;
  bool live = head != nullptr && !head->tombstone;
  int64_t mod = m.mod_revision != 0 ? m.mod_revision : revision;

  if (m.kind == Mutation::Kind::kDelete) {
    if (!live) return;  // etcd emits no event for deleting a missing key
    Version* t = Version::Make({}, mod, 0, 0, /*tombstone=*/true);
    t->next = head;
    n->head.store(t, std::memory_order_release);
    live_keys.fetch_sub(1, kRelaxed);
    versions.fetch_add(1, kRelaxed);
    bytes.fetch_add(t->alloc_size(), kRelaxed);
    MarkDirty(n);
    return;
  }

  if (n == nullptr) {
    n = list.Insert(m.key);
    if (HashIndex::Table* old = hash.Insert(n, h)) {
      bytes.fetch_add(hash.bytes() - old->bytes(), kRelaxed);
      std::vector<Retired> garbage{Retired{0, old, 1, &HashIndex::FreeTable, 0, 0}};
      Retire(&garbage);
    }
    index_keys.fetch_add(1, kRelaxed);
    bytes.fetch_add(n->alloc_size(), kRelaxed);
  }
  int64_t create =
      m.create_revision != 0 ? m.create_revision : (live ? head->create_revision : mod);
  int64_t ver = m.version != 0 ? m.version : (live ? head->version + 1 : 1);
  Version* v = Version::Make(m.value, mod, create, ver, /*tombstone=*/false);
  v->next = head;
  n->head.store(v, std::memory_order_release);
  if (!live) {
    live_keys.fetch_add(1, kRelaxed);
    // A (re)created key starts a new access record, as Redis's createObject.
    n->access.store(AccessRecord::Fresh(NowMsForAccess()).Pack(), kRelaxed);
  }
  versions.fetch_add(1, kRelaxed);
  bytes.fetch_add(v->alloc_size(), kRelaxed);
  if (head != nullptr) MarkDirty(n);
}

void Store::Impl::CompactNode(Node* n, int64_t revision, int64_t previous,
                              std::vector<Retired>* garbage) {
  if (n->dirty == kUnlinked) {
    // Unlinked by Reclaim (its last tombstone dropped): no longer reachable for new readers;
    // retired with this Compact's tag, freed once readers pinned before now are gone.
    garbage->push_back(Retired{0, n, 1, &FreeIndexNode, 0, n->alloc_size()});
    --unlinked;
    return;
  }
  Version* keep = n->head.load(kRelaxed);  // becomes the newest version <= revision
  size_t kept = 0;
  while (keep != nullptr && keep->mod_revision > revision) {
    keep = keep->next;
    ++kept;
  }
  if (keep != nullptr) ++kept;
  // A floor from an earlier Compact (mod <= previous) already had its tail retired.
  if (keep != nullptr && keep->mod_revision > previous) {
    // The tail below `keep`, down to and including the old floor (whose `next` dangles).
    size_t count = 0;
    size_t freed_bytes = 0;
    for (Version* s = keep->next; s != nullptr; s = s->next) {
      ++count;
      freed_bytes += s->alloc_size();
      if (s->mod_revision <= previous) break;
    }
    if (count > 0) {
      garbage->push_back(Retired{0, keep->next, count, &FreeVersionSegment, count, freed_bytes});
    }
    // etcd drops a tombstone that is the newest version <= revision. Below newer versions it
    // is invisible to every snapshot >= revision anyway and stays as the floor until a later
    // Compact cuts it; at the head it is dropped once older snapshots are gone.
    if (keep->tombstone && keep == n->head.load(kRelaxed)) {
      drops.push_back(PendingDrop{0, n, keep});
    }
  }
  Version* head = n->head.load(kRelaxed);
  bool still_dirty = kept > 1 || (head != nullptr && head->tombstone);
  if (still_dirty) {
    dirty.push_back(n);
  } else {
    n->dirty = kClean;
  }
}

void Store::Impl::Retire(std::vector<Retired>* garbage) {
  if (garbage->empty()) return;
  uint64_t tag = EpochDomain::Instance().Advance();  // after all unlinking, before scanning
  for (Retired& r : *garbage) {
    r.epoch = tag;
    retired.Add(r);
  }
  garbage->clear();
}

void Store::Impl::AccountFreed(internal::RetireList::Freed f) {
  versions.fetch_sub(f.versions, kRelaxed);
  bytes.fetch_sub(f.bytes, kRelaxed);
}

void Store::Impl::Reclaim() {
  EpochDomain& domain = EpochDomain::Instance();
  uint64_t oldest = std::numeric_limits<uint64_t>::max();
  if (!drops.empty()) {
    oldest = domain.OldestPinned();
    std::vector<Retired> garbage;
    size_t done = 0;
    for (; done < drops.size() && drops[done].epoch < oldest; ++done) {
      const PendingDrop& d = drops[done];
      // Only if nothing was applied on top since; otherwise it stays as the chain's floor.
      if (d.node->head.load(kRelaxed) != d.tombstone) continue;
      d.node->head.store(nullptr, std::memory_order_release);
      garbage.push_back(
          Retired{0, d.tombstone, 1, &FreeVersionSegment, 1, d.tombstone->alloc_size()});
      // The key has no version left: take its node out of both indexes, so that memory
      // follows live keys, not every key ever written. A tombstone head keeps a node on the
      // work list, so it is there now; Compact retires it at its next visit (retiring it here
      // would free it while the work list still points to it).
      list.Remove(d.node);
      hash.Remove(d.node, HashIndex::Hash(d.node->key()));
      d.node->dirty = kUnlinked;
      ++unlinked;
      index_keys.fetch_sub(1, kRelaxed);
    }
    drops.erase(drops.begin(), drops.begin() + static_cast<ptrdiff_t>(done));
    Retire(&garbage);
  }
  // Scan again: the tombstones just unlinked must be checked against pins taken after the
  // first scan. Freeing stays below the first scan's bound too, so every drop of a tag is
  // handled before any later-tagged segment (which may contain that tombstone, cut by a later
  // Compact) is freed: a drop never compares against reused memory.
  if (!retired.empty()) {
    AccountFreed(retired.Reclaim(std::min(oldest, domain.OldestPinned())));
  }
}

Store::Store() : impl_(std::make_unique<Impl>()) {}
Store::~Store() = default;

void Store::Apply(int64_t revision, std::span<const Mutation> batch) {
  Impl& s = *impl_;
  int64_t applied = s.applied.load(kRelaxed);
  if (revision <= applied) {
    throw std::logic_error("mvcc: Apply at revision " + std::to_string(revision) +
                           " <= applied revision " + std::to_string(applied));
  }
  // Validate before linking anything so a rejected batch leaves the store untouched. A given
  // mod_revision must also be > applied, or linking it would be visible before publication.
  for (const Mutation& m : batch) {
    if (m.mod_revision != 0 && (m.mod_revision <= applied || m.mod_revision > revision)) {
      throw std::logic_error("mvcc: mutation mod_revision " + std::to_string(m.mod_revision) +
                             " outside (applied, revision]");
    }
  }
  for (const Mutation& m : batch) s.ApplyOne(m, revision);
  s.applied.store(revision, std::memory_order_seq_cst);  // publish; seq_cst for waiters.h
  if (s.observer && !batch.empty()) s.observer(revision, batch);
  s.waiters.Notify(revision);
  if ((!s.retired.empty() || !s.drops.empty()) && (++s.applies_since_reclaim % 64) == 0) {
    s.Reclaim();
  }
}

void Store::Compact(int64_t revision) {
  Impl& s = *impl_;
  int64_t previous = s.compacted.load(kRelaxed);
  if (revision <= previous) {
    if (s.unlinked == 0) {
      s.Reclaim();  // nothing new to cut, but memory readers held back may be free by now
      return;
    }
    // Nothing new to cut, but the work list holds unlinked nodes to retire: one pass at the
    // same revision (it cuts nothing else).
    revision = previous;
  } else {
    int64_t applied = s.applied.load(kRelaxed);
    if (revision > applied) {
      throw std::logic_error("mvcc: Compact at revision " + std::to_string(revision) +
                             " > applied revision " + std::to_string(applied));
    }
    // Published before any unlinking, so a reader that pins after the Advance below also
    // sees it and refuses ReadAt below it (see ReadAt).
    s.compacted.store(revision, std::memory_order_seq_cst);
  }

  std::vector<Node*> work;
  work.swap(s.dirty);
  std::vector<Retired> garbage;
  size_t first_drop = s.drops.size();
  for (Node* n : work) s.CompactNode(n, revision, previous, &garbage);
  uint64_t tag = EpochDomain::Instance().Advance();
  for (Retired& r : garbage) {
    r.epoch = tag;
    s.retired.Add(r);
  }
  for (size_t i = first_drop; i < s.drops.size(); ++i) s.drops[i].epoch = tag;
  s.Reclaim();
}

int64_t Store::CompactReleased(int64_t limit) {
  Impl& s = *impl_;
  int64_t target = std::min(limit, s.applied.load(kRelaxed));
  target = std::min(target, oldest_snapshot_revision());
  Compact(std::max<int64_t>(target, 0));  // at or below compacted: only frees released memory
  return s.compacted.load(kRelaxed);
}

int64_t Store::oldest_snapshot_revision() const {
  int64_t applied = impl_->applied.load(std::memory_order_seq_cst);
  return std::min(applied, EpochDomain::Instance().OldestRevision());
}

Snapshot Store::Read() const {
  // The revision is chosen before pinning so the slot can record it (oldest_snapshot_revision);
  // then, pinned, check that no compaction passed it meanwhile. If one did, either we see its
  // compacted revision (retry: applied >= compacted now) or it saw our pin (fence pairing in
  // reclaim.h) and what it cut stays allocated and linked below its floor, readable at ours.
  EpochDomain& domain = EpochDomain::Instance();
  for (;;) {
    int64_t revision = impl_->applied.load(std::memory_order_acquire);
    int slot = domain.Pin(revision);
    if (revision >= impl_->compacted.load(std::memory_order_seq_cst)) {
      return Snapshot(this, revision, slot);
    }
    domain.Unpin(slot, revision);
  }
}

std::optional<Snapshot> Store::ReadAt(int64_t revision) const {
  // Pin first, then check: if a Compact raced with us, either it sees our pin and keeps what
  // we may walk, or we see its compacted revision and refuse.
  EpochDomain& domain = EpochDomain::Instance();
  int slot = domain.Pin(revision);
  if (revision < impl_->compacted.load(std::memory_order_seq_cst) ||
      revision > impl_->applied.load(std::memory_order_acquire)) {
    domain.Unpin(slot, revision);
    return std::nullopt;
  }
  return Snapshot(this, revision, slot);
}

int64_t Store::applied_revision() const { return impl_->applied.load(std::memory_order_acquire); }

int64_t Store::compacted_revision() const {
  return impl_->compacted.load(std::memory_order_acquire);
}

bool Store::WaitApplied(int64_t revision, std::chrono::milliseconds timeout) const {
  return impl_->waiters.Wait(impl_->applied, revision, timeout);
}

uint64_t Store::OnApplied(int64_t revision, std::function<void()> fn) const {
  return impl_->waiters.OnApplied(impl_->applied, revision, std::move(fn));
}

bool Store::CancelOnApplied(uint64_t id) const { return impl_->waiters.Cancel(id); }

size_t Store::pending_on_applied() const { return impl_->waiters.pending(); }

Stats Store::stats() const {
  Stats st;
  st.live_keys = impl_->live_keys.load(kRelaxed);
  st.index_keys = impl_->index_keys.load(kRelaxed);
  st.versions = impl_->versions.load(kRelaxed);
  st.bytes = impl_->bytes.load(kRelaxed);
  return st;
}

// ---- Snapshot ----

namespace {

/// The first node with key >= `start`. When `start` is itself an indexed key — a range over a
/// Redis key's own records starts at its meta key (keyspace/encoding.h) — the hash index finds
/// that node in ~2 cache misses instead of a skip-list descent of one miss per level (a
/// standalone SET's range delete of its key's records spent 11 % of its CPU descending). A
/// node the hash index returns was linked when found; if the writer unlinks it meanwhile, its
/// tower still leads to its old successors, as for a reader already standing on it.
template <typename StoreImpl>  // Store::Impl, private to Store: named by deduction
const Node* SeekFrom(const StoreImpl& s, std::string_view start) {
  if (!start.empty()) {
    if (const Node* n = s.hash.Find(start, HashIndex::Hash(start))) return n;
  }
  return s.list.Seek(start);
}

}  // namespace

Snapshot::Snapshot(const Store* store, int64_t revision, int slot)
    : store_(store), revision_(revision), slot_(slot) {}

Snapshot::Snapshot(Snapshot&& o) noexcept
    : store_(o.store_), revision_(o.revision_), slot_(std::exchange(o.slot_, -1)) {}

Snapshot& Snapshot::operator=(Snapshot&& o) noexcept {
  if (this != &o) {
    if (slot_ >= 0) EpochDomain::Instance().Unpin(slot_, revision_);
    store_ = o.store_;
    revision_ = o.revision_;
    slot_ = std::exchange(o.slot_, -1);
  }
  return *this;
}

Snapshot::~Snapshot() {
  if (slot_ >= 0) EpochDomain::Instance().Unpin(slot_, revision_);
}

std::optional<KeyValue> Snapshot::Get(std::string_view key) const {
  const Node* n = store_->impl_->hash.Find(key, HashIndex::Hash(key));
  if (n == nullptr) return std::nullopt;
  const Version* v = internal::VisibleAt(n, revision_);
  if (v == nullptr) return std::nullopt;
  return MakeKeyValue(n, v);
}

size_t Snapshot::Range(std::string_view start, std::string_view end, size_t limit,
                       const std::function<bool(const KeyValue&)>& fn) const {
  size_t visited = 0;
  for (const Node* n = SeekFrom(*store_->impl_, start); n != nullptr;
       n = internal::SkipList::Next(n)) {
    if (!end.empty() && internal::CompareKeys(n->key(), end) >= 0) break;
    const Version* v = internal::VisibleAt(n, revision_);
    if (v == nullptr) continue;
    ++visited;
    if (!fn(MakeKeyValue(n, v))) break;
    if (limit != 0 && visited >= limit) break;
  }
  return visited;
}

size_t Snapshot::Count(std::string_view start, std::string_view end) const {
  size_t count = 0;
  for (const Node* n = SeekFrom(*store_->impl_, start); n != nullptr;
       n = internal::SkipList::Next(n)) {
    if (!end.empty() && internal::CompareKeys(n->key(), end) >= 0) break;
    if (internal::VisibleAt(n, revision_) != nullptr) ++count;
  }
  return count;
}

void Store::SetApplyObserver(std::function<void(int64_t, std::span<const Mutation>)> fn) {
  impl_->observer = std::move(fn);
}

}  // namespace petacore::mvcc
