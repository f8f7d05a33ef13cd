// mvcc/ — the local multi-version store: PetaCore's in-memory replica of the etcd key space.
//
// It owns an ordered index of byte-string keys, each with a version chain tagged with etcd
// revisions (create_revision, mod_revision, version; a delete is a tombstone version), so a
// snapshot at revision S answers exactly what etcd's Range(revision=S) would. It must never
// talk to etcd, never block readers on the writer, and never let a reader see half a batch.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace petacore::mvcc {

/// One live version of a key, as etcd's mvccpb.KeyValue (without lease).
/// The views point into the store and stay valid while the Snapshot that returned them lives.
struct KeyValue {
  std::string_view key;
  std::string_view value;
  int64_t create_revision = 0;  ///< revision that last created the key
  int64_t mod_revision = 0;     ///< revision of the last change
  int64_t version = 0;          ///< changes since creation; 1 on create
  /// The key's access record word (mvcc/access_record.h) on this node, for readers to update
  /// (relaxed atomics; keyspace/access.h). Valid while the Snapshot it came from lives: the
  /// node of a deleted key is freed once compaction dropped its tombstone and no snapshot
  /// pinned before that remains.
  std::atomic<uint64_t>* access = nullptr;
};

/// A change to apply. kind kDelete of a key that is not live is a no-op (etcd does not
/// emit an event for it either).
struct Mutation {
  enum class Kind : uint8_t { kPut, kDelete };
  Kind kind = Kind::kPut;
  std::string key;
  std::string value;
  /// 0 = derive as etcd does: mod_revision = the batch revision; create_revision kept from the
  /// live version, else = mod_revision; version = previous + 1, else 1. Non-zero values are
  /// taken as given (the initial load copies etcd's KeyValues verbatim).
  int64_t mod_revision = 0;
  int64_t create_revision = 0;
  int64_t version = 0;
};

/// Memory and size figures for INFO (bytes are payload bytes plus node overhead estimates).
struct Stats {
  size_t live_keys = 0;      ///< keys whose newest version is not a tombstone
  /// Keys in the index: live ones, and deleted ones whose tombstone compaction has not
  /// dropped yet (their node is unlinked and freed then).
  size_t index_keys = 0;
  size_t versions = 0;       ///< versions held, tombstones included
  size_t bytes = 0;          ///< estimated heap bytes held by keys, values and nodes
};

class Store;

/// A consistent read view at one revision. Readers never wait for the writer.
/// Cheap to create (no copy of data). Must be destroyed on the thread that created it and
/// must not outlive its Store; while it lives, versions it can see are not freed, and its
/// revision bounds Store::oldest_snapshot_revision() (its reader slot records it).
/// Not thread-safe (one user at a time), movable, not copyable.
class Snapshot {
 public:
  Snapshot(Snapshot&&) noexcept;
  Snapshot& operator=(Snapshot&&) noexcept;
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;
  ~Snapshot();

  /// The revision this snapshot reads at.
  int64_t revision() const { return revision_; }

  /// The newest version of `key` with mod_revision <= revision(), unless it is a tombstone.
  std::optional<KeyValue> Get(std::string_view key) const;

  /// Visits live keys in [start, end) in ascending byte order (end empty = no upper bound),
  /// at most `limit` of them (0 = no limit), until `fn` returns false. Returns keys visited.
  size_t Range(std::string_view start, std::string_view end, size_t limit,
               const std::function<bool(const KeyValue&)>& fn) const;

  /// Number of live keys in [start, end) at revision() (end empty = no upper bound).
  size_t Count(std::string_view start, std::string_view end) const;

  /// The store this snapshot reads (it outlives the snapshot).
  const Store& store() const { return *store_; }

 private:
  friend class Store;
  Snapshot(const Store* store, int64_t revision, int slot);
  const Store* store_ = nullptr;
  int64_t revision_ = 0;
  int slot_ = -1;  // reader slot pinned for safe memory reclamation; -1 = none
};

/// The store. One writer at a time calls Apply/Compact (the Applier, or the LocalCommitter
/// under its own mutex); any number of threads read through Snapshots concurrently and never
/// block on the writer. Values and keys are copied in on Apply.
class Store {
 public:
  Store();
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  /// Applies `batch` atomically at `revision`: readers see all of it or none of it.
  /// Precondition: revision > applied_revision() (checked; throws std::logic_error), and a
  /// given Mutation::mod_revision lies in (applied_revision(), revision] (else linking it would
  /// be visible before the batch is published; checked before anything is applied).
  /// An empty batch just advances the applied revision (etcd progress notification).
  /// Then runs the OnApplied callbacks whose revision is now reached, on this thread.
  void Apply(int64_t revision, std::span<const Mutation> batch);

  /// Drops versions no snapshot at >= `revision` can see, as etcd's Compact(revision): for
  /// each key, keeps every version with mod_revision > revision plus the newest one <=
  /// revision (dropped if it is a tombstone). Memory is reclaimed once no reader can reach it:
  /// versions a live Snapshot may still walk are retired, and freed by a later Compact (or,
  /// periodically, Apply) after that snapshot is gone. A revision <= compacted_revision()
  /// compacts nothing but still frees what became unreachable. A revision >
  /// applied_revision() throws std::logic_error (as etcd's ErrFutureRev). Writer side only.
  void Compact(int64_t revision);

  /// Compacts to min(`limit`, oldest_snapshot_revision()): drops every version neither a
  /// live Snapshot nor a reader at `limit` or later can see, so memory follows the live data
  /// plus what live snapshots hold. `limit` is clamped to applied_revision(). Cheap when
  /// called often: it visits only keys changed since the last compaction that cut something
  /// (a key with more than one version or a tombstone head), and when the bound did not move
  /// it only frees what readers released. Returns compacted_revision(). Writer side only.
  int64_t CompactReleased(int64_t limit);

  /// The lowest revision a live Snapshot (of any Store in the process: the reader slots are
  /// shared, which is conservative) reads at, capped at applied_revision(); applied_revision()
  /// when there is none. Lock-free, any thread; O(reader threads). A snapshot being created
  /// during the call may be missed: its revision is then >= applied_revision() as loaded
  /// before it was pinned, and if a compaction passes it anyway the snapshot retries (Read)
  /// or is refused (ReadAt), so no reader ever sees a compacted-away version.
  int64_t oldest_snapshot_revision() const;

  /// A snapshot at applied_revision().
  Snapshot Read() const;
  /// A snapshot at `revision`; nullopt when revision < compacted_revision() or
  /// revision > applied_revision() (as etcd's ErrCompacted / ErrFutureRev).
  std::optional<Snapshot> ReadAt(int64_t revision) const;

  int64_t applied_revision() const;
  int64_t compacted_revision() const;

  /// Blocks until applied_revision() >= revision or `timeout` passes. Returns whether reached.
  bool WaitApplied(int64_t revision, std::chrono::milliseconds timeout) const;

  /// Calls `fn` once applied_revision() >= revision: at once on the calling thread if already
  /// so, else on the writer thread right after the Apply that reaches it. `fn` must be quick
  /// and must not call Apply/Compact (post work elsewhere). Thread-safe. Returns 0 when `fn`
  /// already ran, else an id for CancelOnApplied.
  uint64_t OnApplied(int64_t revision, std::function<void()> fn) const;

  /// Forgets a callback of OnApplied that has not run yet (its waiter finished another way,
  /// e.g. a bounded wait answered): it is destroyed, never run, and no longer held while the
  /// watch is stalled. Returns false if it already ran or is running now on the writer
  /// thread (callers must tolerate that run), or for id 0. Thread-safe.
  bool CancelOnApplied(uint64_t id) const;

  /// OnApplied callbacks registered and not yet run or cancelled (INFO, tests).
  size_t pending_on_applied() const;

  /// Sets a function called on the writer thread after each non-empty Apply is published
  /// (before OnApplied callbacks), with the batch as applied: how blocked clients (BLPOP) learn
  /// that keys changed. Set once, before the first Apply; must be quick and must not call
  /// Apply/Compact.
  void SetApplyObserver(std::function<void(int64_t revision, std::span<const Mutation> batch)> fn);

  /// Figures for INFO. Thread-safe; approximate while a writer runs.
  Stats stats() const;

 private:
  friend class Snapshot;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace petacore::mvcc
