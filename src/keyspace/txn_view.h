// src/keyspace/txn_view.h — what a command handler reads and writes through.
//
// A TxnView layers a local write buffer over one mvcc::Snapshot, records every key read with
// the mod_revision it had, and at the end yields one CommitRequest for the isolation level in
// force. Handlers never talk to etcd, never lock and never know whether they run alone or
// inside EXEC: the Driver owns commit, retry and ack-after-visible.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keyspace/encoding.h"
#include "mvcc/access_record.h"
#include "mvcc/store.h"
#include "keyspace/messages.h"
#include "replication/committer.h"
#include "replication/range_tombstone.h"

namespace petacore::keyspace {

/// Which keys a multi-command transaction (EXEC) compares at commit. Single commands always
/// compare what they read, so each command is atomic as in Redis.
enum class Isolation {
  kSerializable,   ///< every key read (Redis's EXEC semantics; no write skew)
  kSnapshot,       ///< every key written: first committer wins; write skew possible
  kReadCommitted,  ///< keys both read and written (no lost update); reads not re-checked
};

/// Transaction view over a snapshot. Not thread-safe; lives for one handler run (or one EXEC).
class TxnView {
 public:
  /// `snapshot` must outlive the view.
  /// `track_reads` false: reads are not recorded (a command that cannot write needs no
  /// compares), which keeps the read path free of allocations.
  explicit TxnView(const mvcc::Snapshot& snapshot, bool track_reads = true)
      : snapshot_(snapshot), track_reads_(track_reads), now_ms_(NowMs()) {}

  /// The time this view was opened (Unix ms): lazy expiry compares expire-at values with it,
  /// so one command (or one EXEC) sees one consistent clock.
  int64_t now_ms() const { return now_ms_; }
  /// The snapshot this view reads (its own buffered writes are not in it).
  const mvcc::Snapshot& snapshot() const {
    consulted_ = true;  // whatever the caller reads of it
    return snapshot_;
  }

  /// The stored bytes of `key` as this transaction sees them (its own writes first), or
  /// nullopt. Records the read. The view is valid until the next write to the same key.
  /// Lazy expiry: a meta key whose value has expired (at now_ms()) reads as absent, and the
  /// first write into that key's range first deletes the whole range, so the old subkeys of
  /// an expired collection never resurface. A view that never writes there leaves it alone.
  std::optional<std::string_view> Get(std::string_view key);
  /// The mod_revision `key` has in the snapshot (0 = absent); recorded as a read.
  int64_t ModRevision(std::string_view key);

  /// Buffers a put (replacing an earlier buffered write of the key).
  void Put(std::string_view key, std::string value);
  /// Buffers a delete of `key` if the view holds it; returns whether it did.
  bool Delete(std::string_view key);
  /// Buffers a delete of every key in [start, end); returns how many live keys that removes.
  /// Above kTombstoneMinKeys keys it is committed as a range tombstone (DropRange) instead of
  /// an etcd DeleteRange, whose apply would keep etcd busy for seconds.
  size_t DeleteRange(std::string_view start, std::string_view end);
  /// Ranges of more keys than this are deleted by a range tombstone.
  static constexpr size_t kTombstoneMinKeys = replication::kTombstoneMinKeys;
  /// Deletes [start, end) by a range tombstone (replication/range_tombstone.h): from here on
  /// the view reads the range as empty (writes buffered in it are dropped; later ones stay),
  /// and the commit puts the tombstone instead of deleting the keys. FLUSHDB / FLUSHALL.
  void DropRange(std::string_view start, std::string_view end);
  /// Buffers a delete of every key in [start, end) without reading the range: the delete
  /// reaches the backend even when this snapshot shows nothing there, so it also removes
  /// keys another node wrote after the snapshot. Records no read (no compare). For blind
  /// writes (a SET that replaces whatever the key held; issue 18).
  void DeleteRangeBlind(std::string_view start, std::string_view end);
  /// Marks the incarnation `id` (keyspace/incarnation.h) as new in this view: BuildCommit
  /// moves the view's writes under its element base out of the compared Txn into
  /// CommitRequest::staged, led by the id's chunk-0 marker, and puts its "claimed" marker in
  /// the Txn itself — a big string's chunks' protocol (chunked_value.h), so that the chunk
  /// cleaner leaves a staged incarnation alone once the switch commits. Reads of the view
  /// see the staged writes as any other buffered write.
  void StageIncarnation(std::string id) { staged_ids_.push_back(std::move(id)); }
  /// Moves the collections this view writes most into new incarnations, largest first, until
  /// the bytes of its buffered puts outside staged incarnations are at most `budget_bytes`
  /// or no collection with at least `min_bytes` of buffered element puts is left: each such
  /// hash, set, sorted set or list (one whose meta key this view puts, as every change does:
  /// incarnation.h) gets a fresh incarnation holding its elements as the view leaves them
  /// (snapshot + buffered writes, read through the view), its old elements are deleted (its
  /// own range: a range delete or tombstone; an old incarnation: left to the chunk cleaner),
  /// and its meta key is put with the new id (StageIncarnation): the elements then travel
  /// ahead of the Txn, and the Txn is small. So a single command (HSET, SADD, ZADD, RPUSH,
  /// a script, an EXEC) writing more element bytes than one etcd request holds commits whole
  /// (issue 18). Costs O(elements of each moved collection). Returns how many moved
  /// (txn_view_stage.cc).
  size_t StageLargeCollections(size_t budget_bytes, size_t min_bytes);
  /// The stored bytes of `key` in the snapshot, without recording a read or consulting the
  /// snapshot (consulted_snapshot() stays as it was): a hint for choosing between two paths
  /// that are both correct whatever the key holds at commit (a blind SET over what this node
  /// sees as a collection takes the read path, whose delete may become a range tombstone).
  /// The view is valid as long as the snapshot.
  std::optional<std::string_view> Peek(std::string_view key) const;
  /// Whether this view already read or wrote `key` (a read makes the commit compare it).
  bool Touched(std::string_view key) const {
    return reads_.find(key) != reads_.end() || writes_.find(key) != writes_.end();
  }
  /// Counts an access of `key` as a read would (keyspace/access.h, Redis's lookupKeyWrite
  /// before an overwrite) without reading it: no read recorded, so no compare. For blind
  /// writes, whose key keeps its access record across the overwrite.
  void TouchWithoutRead(std::string_view key);

  /// Visits the keys live in this view in [start, end) in order (snapshot merged with the
  /// write buffer) until fn returns false. Not recorded as reads (KEYS/SCAN are not guarded).
  void Range(std::string_view start, std::string_view end,
             const std::function<bool(std::string_view key, std::string_view value)>& fn);

  /// Makes the commit fail (and the command re-run) if any key in [start, end) changes after
  /// the snapshot — for commands that read a whole range and rewrite it (RENAME of a
  /// collection, SWAPDB), so an element inserted meanwhile is never lost.
  void GuardRange(std::string_view start, std::string_view end);

  /// Whether reads of keys count as accesses of them (keyspace/access.h: OBJECT IDLETIME,
  /// FREQ); on by default, as Redis's lookupKey. A command that must not touch what it reads
  /// (OBJECT, as Redis's LOOKUP_NOTOUCH) turns it off for its run and back on after.
  void set_touch(bool on) { touch_ = on; }
  bool touch() const { return touch_; }
  /// A new command starts on this view (a script's redis.call; EndCommand does it for EXEC):
  /// its first read of a key counts as an access even if the previous command's last one
  /// was of the same key. Within one command, consecutive reads of one key count once (a
  /// handler reading its key twice is one lookupKey in Redis).
  void NextAccessCommand() { last_touched_ = nullptr; }

  /// The access record this node keeps for the live stored key `key` (keyspace/access.h),
  /// read without counting as an access; nullopt when the snapshot does not hold it (absent,
  /// or created by this view's own writes).
  std::optional<mvcc::AccessRecord> Access(std::string_view key) const;

  /// Keeps `bytes` alive as long as this view and returns a view of them: the assembled bytes
  /// of a chunked string (keyspace/chunked_value.h), which live in no store version.
  std::string_view Hold(std::string bytes) {
    held_.push_back(std::move(bytes));
    return held_.back();
  }

  bool has_writes() const { return !writes_.empty() || !range_deletes_.empty(); }
  /// Whether anything of the snapshot was read (a value, a range, a mod_revision, an access
  /// record), tracked as a read or not. False for a blind write (SET: TouchWithoutRead and
  /// DeleteRangeBlind only): its effect and reply do not depend on the snapshot, so it need
  /// not wait for this node to apply earlier acknowledged writes (`write-ack committed`).
  bool consulted_snapshot() const { return consulted_ || !range_guards_.empty(); }

  /// Buffers a pub/sub message (PUBLISH, SPUBLISH, a keyspace notification) to ride this
  /// view's commit: delivered on every node in the commit's revision, and only if it commits
  /// (keyspace/messages.h). A view whose command is run again (a conflict) starts empty.
  void Publish(MessageKind kind, std::string_view channel, std::string_view payload) {
    AppendMessage(&messages_, kind, channel, payload);
  }
  /// The framed messages buffered so far (keyspace/messages.h); appended to directly by
  /// keyspace notifications.
  std::string* messages() { return &messages_; }
  bool has_messages() const { return !messages_.empty(); }

  /// The notify-keyspace-events flags (keyspace::notify bits) for the event the view raises
  /// itself: "expired" (class x) when a write purges a key that had expired (lazy expiry on
  /// the write path, as Redis's expireIfNeeded in lookupKeyWrite). 0 (the default) raises
  /// nothing. Set by the write handlers before they run (commands/notify.h).
  void set_notify_flags(int flags) { notify_flags_ = flags; }
  int notify_flags() const { return notify_flags_; }
  int64_t revision() const { return snapshot_.revision(); }

  /// Ends the command that just ran: reads and writes so far are attributed to it (used by
  /// kReadCommitted, which compares only keys one command both read and wrote).
  void EndCommand();

  /// The commit for these writes under `isolation`: a neutral read/write set (compares and
  /// writes as committer.h defines them, shaped for no particular backend); guards are added
  /// by the caller. Leaves the view without writes.
  replication::CommitRequest BuildCommit(Isolation isolation);

 private:
  struct Write {
    std::optional<std::string> value;  // nullopt = delete
  };
  struct Read {
    int64_t mod_revision;
  };
  bool InDeletedRange(std::string_view key) const;
  bool MoveToNewIncarnation(const std::string& meta_key);
  std::optional<std::string_view> SnapshotGet(std::string_view key);

  void PurgeExpired(std::string_view key);

  const mvcc::Snapshot& snapshot_;
  bool track_reads_;
  bool touch_ = true;
  mutable bool consulted_ = false;  // see consulted_snapshot()
  const void* last_touched_ = nullptr;  // the access word touched last in this command
  int64_t now_ms_;
  // Meta keys seen expired and not yet purged (usually empty).
  std::vector<std::string> expired_;
  std::map<std::string, Write, std::less<>> writes_;
  std::map<std::string, Read, std::less<>> reads_;
  std::vector<std::pair<std::string, std::string>> range_deletes_;
  // Ranges DropRange emptied: read as deleted, committed as a tombstone put.
  std::vector<std::pair<std::string, std::string>> dropped_;
  std::deque<std::string> held_;  // see Hold (a deque: elements never move)
  std::string messages_;  // framed pub/sub messages (keyspace/messages.h)
  int notify_flags_ = 0;  // keyspace::notify bits for the "expired" of PurgeExpired
  std::vector<std::pair<std::string, std::string>> range_guards_;
  // kReadCommitted: keys a single command both read and wrote.
  std::map<std::string, int64_t, std::less<>> rmw_;
  std::vector<std::string> command_reads_, command_writes_;
  std::vector<std::string> staged_ids_;  // see StageIncarnation
};

/// Sets KeyRevision::absent_below on every "absent" (mod_revision 0) entry of `keys` that
/// names a key under a range tombstone in `snapshot`: etcd may still hold that key's version
/// from before the tombstone (replication/range_tombstone.h). For commit compares
/// (BuildCommit does it) and WATCH guards.
void MarkTombstonedAbsent(const mvcc::Snapshot& snapshot,
                          std::vector<replication::KeyRevision>* keys);

}  // namespace petacore::keyspace
