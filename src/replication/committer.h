// src/replication/committer.h — where a command's writes go to become a revision.
//
// A CommitRequest is one atomic write: guards (WATCHed keys), compares (the isolation's read or
// write set) and the writes. A Committer turns it into exactly one revision or a refusal:
// EtcdCommitter sends one etcd Txn; LocalCommitter (standalone mode) applies it to the store
// under its own revision counter. Keys here are store keys (no --etcd-prefix).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace petacore::replication {

/// "mod_revision(key) == mod_revision", 0 meaning absent — an etcd Compare on MOD.
struct KeyRevision {
  std::string key;
  int64_t mod_revision = 0;
  /// With mod_revision 0: a key whose mod_revision is below this counts as absent too (a key
  /// a range tombstone at this revision deleted, which etcd may still hold until the
  /// tombstone cleaner removes it; range_tombstone.h). etcd: Compare MOD LESS absent_below.
  int64_t absent_below = 0;
};

/// One write. kDeleteRange deletes every key in [key, range_end) (FLUSHDB).
struct WriteOp {
  enum class Kind : uint8_t { kPut, kDelete, kDeleteRange };
  Kind kind = Kind::kPut;
  std::string key;
  std::string value;      ///< kPut
  std::string range_end;  ///< kDeleteRange
};

/// "no key in [key, range_end) changed after revision": an etcd Compare over a range
/// (target MOD, LESS than revision + 1). Guards a command that read a whole range (RENAME of a
/// collection, SWAPDB) against an insertion it did not see.
struct RangeRevision {
  std::string key;
  std::string range_end;
  int64_t revision = 0;
};

/// A neutral read/write set: what must be unchanged and what to write, in no backend's shape.
///
/// `writes` or `messages` is not empty. Its single-key ops (kPut, kDelete) name distinct keys; its
/// kDeleteRange ops may overlap each other and those keys, and take effect before every
/// single-key op (a key both range-deleted and put ends as the put says). Each Committer
/// turns this into what its backend accepts (EtcdCommitter: etcd_txn_shape.h).
struct CommitRequest {
  std::vector<KeyRevision> guards;    ///< WATCHed keys: a mismatch is kGuardFailed
  std::vector<KeyRevision> compares;  ///< read/write set: a mismatch is kConflict
  std::vector<RangeRevision> range_compares;  ///< ranges read whole: a change is kConflict
  std::vector<WriteOp> writes;        ///< see above
  /// Pub/sub messages riding this commit (framed as keyspace/messages.h says; opaque here):
  /// the committer writes them, in the same Txn and only when the request commits, as the
  /// value of a record key under its message record prefix (EtcdCommitter: one key per
  /// batch for unconditional requests, one per conditional request; docs/encoding.md).
  std::string messages;
  /// Housekeeping (an expiry or eviction delete), not a client's write: EtcdCommitter folds
  /// it into a batch only where room is left after every queued client request, and sends
  /// a batch of housekeeping alone only when no client request waits (issue 18's priority
  /// lane). LocalCommitter ignores it.
  bool background = false;
  /// The revision of the snapshot the compares were read at (0: unknown). Lets a committer
  /// whose backend bounds the number of compares merge those of absent keys into range
  /// compares (compare_merge.h).
  int64_t snapshot_revision = 0;
  /// Writes that may reach the backend before the request, each unconditionally, in as many
  /// Txns as their size needs: the elements of a new incarnation (keyspace/incarnation.h),
  /// under keys nothing references until `writes` commits. A staging committer
  /// (keyspace::ChunkingCommitter) sends them first; any other committer applies them at the
  /// head of `writes` (InlineStaged).
  std::vector<WriteOp> staged;
};

/// Moves `request->staged` to the head of `request->writes` (a committer that stages nothing
/// applies them in the request's own Txn; they touch keys no other write of it does).
inline void InlineStaged(CommitRequest* request) {
  if (request->staged.empty()) return;
  request->staged.reserve(request->staged.size() + request->writes.size());
  for (auto& w : request->writes) request->staged.push_back(std::move(w));
  request->writes = std::move(request->staged);
  request->staged.clear();
}

struct CommitResult {
  enum class Status : uint8_t { kCommitted, kGuardFailed, kConflict, kError };
  Status status = Status::kError;
  /// kCommitted: the revision the write produced. kConflict: a revision that, once applied
  /// locally, shows the conflicting change (so a retry reads fresh data); 0 when unknown.
  int64_t revision = 0;
  /// kConflict: false when `revision` is not the conflicting change's own revision but etcd's
  /// whole revision when it refused the Txn (a compared key was deleted, or a range compare
  /// failed, and neither shows the change's revision): newer than needed, still enough —
  /// waiting for it applies the change too. With `revision` 0 (a check tree's refusal, an
  /// error with no header) the caller has to ask etcd for its revision (job.cc).
  bool exact = true;
  std::string error;  ///< kError: a Redis error text, e.g. "ERR etcd: ..."
};

/// Turns CommitRequests into revisions. Thread-safe; `done` may run on any thread (the
/// caller's, or the etcd client's completion thread), exactly once.
class Committer {
 public:
  virtual ~Committer() = default;
  virtual void Commit(CommitRequest request, std::function<void(CommitResult)> done) = 0;
};

}  // namespace petacore::replication
