// src/server/job.h — one write command, blocking command or EXEC in flight, as a small state
// machine: run the handler(s) on a TxnView, commit, retry on conflict, park, fence, reply.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "keyspace/txn_view.h"
#include "replication/committer.h"
#include "resp/reply.h"
#include "server/executor.h"
#include "server/key_locks.h"
#include "server/park.h"
#include "server/server_state.h"
#include "client/session.h"

namespace petacore::server {

class FoldQueues;

/// Store waiters (Store::OnApplied ids) a job registered, so that finishing cancels them and a
/// stalled watch does not pile them up. Add runs on the committer's or writer's thread,
/// Close on the connection's: thread-safe (a mutex).
class ApplyWaits {
 public:
  /// Registers `fn` to run once `store` applied `revision` (at once, inline, if it has).
  /// After Close, the waiter is cancelled as soon as it is registered.
  void Add(mvcc::Store& store, int64_t revision, std::function<void()> fn);
  /// Cancels every registered waiter and every later one. One already running on the writer
  /// thread is not stopped: it only posts to the job's executor and finds the job finished.
  void Close(mvcc::Store& store);

 private:
  std::mutex mu_;
  std::vector<uint64_t> ids_;
  bool closed_ = false;
};

/// A command that may write (or block, or is EXEC), from its start to its reply.
///
/// States and transitions (every transition runs on the connection's thread, the only one
/// that reads or writes `state`):
///
///     kNew ──Driver: a write on its one key is in flight──▶ kFoldWaiting
///     kFoldWaiting ──FoldQueues::Next picks it to lead──▶ kNew (then Start)
///     kFoldWaiting ──picked as a follower: its leader's Finish posts its reply──▶ kFinished
///     kNew ──Start: a key is held by another write──▶ kLockWaiting ──KeyLocks wake──▶ kNew
///     kNew ──Start──▶ kRunning (Attempt: the handler(s) on a fresh view)
///     kRunning ──no writes, or a WATCHed key changed──▶ kFinished
///     kRunning ──blocking command found nothing──▶ kParked (park.h)
///     kRunning ──linearizable, no writes, not fenced yet──▶ kFencing ──fence──▶ kRunning
///     kRunning ──writes──▶ kCommitCall (inside Committer::Commit) ──returns──▶ kCommitting
///     kCommitCall ──the committer completed inline (standalone)──▶ kFinished
///     kCommitting ──committed and applied here, or the ack bound──▶ kFinished
///     kCommitting ──conflict: the conflicting revision applied / a pause──▶ kRunning
///     kCommitting, kFencing ──error, retries exhausted, replica behind──▶ kFinished (error)
///     kParked ──a key changed──▶ kRunning;  ──timeout / client hung up──▶ kFinished
///
/// Lifetimes (docs/architecture.md "Lifetimes"): `session`, `out` and `resume` belong to the
/// connection and are touched only on its thread: synchronously inside Driver::Execute, inline
/// while the job's own Commit call is on the stack (kCommitCall), or inside functions posted
/// through `executor` (dropped once the connection closed). Every callback registered
/// elsewhere (committer, store waiter, timer, blocking registry, key locks) holds the Job by
/// shared_ptr and reaches the connection only through `executor`; Finish cancels the store
/// waiters and leaves the blocking registry.
struct Job : std::enable_shared_from_this<Job> {
  enum class Kind : uint8_t {
    kWrite,     ///< a command that may write
    kBlocking,  ///< a blocking command outside EXEC (may park)
    kExec,      ///< EXEC of a MULTI transaction: the queued commands as one commit
  };
  enum class State : uint8_t {
    kNew,          ///< built, or about to (re)take its keys
    kFoldWaiting,  ///< in FoldQueues behind the write in flight on its key
    kLockWaiting,  ///< in KeyLocks behind another write on one of its keys
    kRunning,      ///< the handler(s) run on a view (Attempt)
    kCommitCall,   ///< inside Committer::Commit on the connection's thread
    kCommitting,   ///< the reply waits for the committer, the store or a retry
    kFencing,      ///< waiting for a revision to be applied (linearizable reads, write-ack)
    kParked,       ///< a blocking command in the BlockingRegistry (park.h)
    kFinished,     ///< the reply is delivered
  };
  /// Linearizable reads: a job that ends without writes, having answered from the local
  /// snapshot, first waits for etcd's current revision and runs again, once.
  enum class ReadFence : uint8_t { kNone, kWanted, kDone };
  /// Runs the handler(s) on a view, writing the reply; re-run from scratch on each attempt.
  using Body = std::function<void(Job&, keyspace::TxnView&, resp::ReplyWriter&)>;

  // Set by the Driver before Start; not changed afterwards (`resume` excepted, see there).
  ServerState* server = nullptr;
  client::Session* session = nullptr;
  std::string* out = nullptr;
  std::shared_ptr<Executor> executor;
  /// Runs on the connection's thread after the reply was appended to *out. Empty while
  /// Driver::Execute is still on the stack: a reply delivered then is synchronous.
  std::function<void()> resume;
  Body body;
  Kind kind = Kind::kWrite;
  ReadFence fence = ReadFence::kNone;
  /// `write-ack committed`: ServerState::acked_revision when the command arrived. An attempt
  /// that read anything from a snapshot below it waits for the store to apply it and runs
  /// again (read-your-writes on this node); a blind write commits at once.
  int64_t ack_fence = 0;
  /// With ack_fence: wait before running the handler, not after (a command that is not a
  /// plain write, e.g. WATCH, may change the session as it reads, so it must not run twice).
  bool ack_fence_first = false;
  int start_db = 0;
  /// EXEC: the WATCHed keys as they were when EXEC arrived (a queued UNWATCH must not drop
  /// them: Redis decides the abort before running the queue); etcd compares them as guards.
  std::map<std::string, int64_t> guards;
  KeyLocks* locks = nullptr;      ///< set when the job must hold `keys` while it runs
  std::vector<std::string> keys;  ///< store keys the job writes, sorted, unique
  /// CLIENT TRACKING NOLOOP: the client id whose own writes this commit's keys were noted as
  /// (TrackingTable::NoteOwnWrites), to forget if the commit fails; 0 = none.
  int64_t noted_own_writes = 0;
  FoldQueues* folds = nullptr;    ///< set when the job leads a fold group on fold_key
  std::string fold_key;
  /// Folded jobs whose handlers run after this one's on the same view, in the same commit.
  std::vector<std::shared_ptr<Job>> followers;
  /// The connection's thread (a connection never changes thread).
  std::thread::id thread = std::this_thread::get_id();

  // Progress.
  State state = State::kNew;
  int attempts = 0;
  std::string reply;
  /// Set by the handler through CommandContext::after_commit (reset on each attempt): writes
  /// the reply instead once the commit is applied here (PUBLISH, SUBSCRIBE).
  std::function<void(resp::ReplyWriter&, int64_t revision)> after_commit;
  bool committed = false;  ///< the commit succeeded (after_commit then runs at Finish)
  int64_t commit_revision = 0;  ///< its revision (0: it changed nothing)
  ParkSlot park;  ///< the blocking request and its registration (kBlocking)
  /// Observability (observability.h): time spent parked (not execution, as Redis), when it
  /// last parked, and when its commit was sent / committed (LATENCY etcd-commit, etcd-apply-lag).
  int64_t parked_ns = 0;
  int64_t parked_since_ns = 0;
  int64_t commit_sent_ns = 0;
  ApplyWaits waits;

  bool finished() const { return state == State::kFinished; }
  /// Takes the job's keys (or waits for them: kLockWaiting), then runs it.
  void Start();
  /// One attempt: the handler(s) on a fresh snapshot, then finish, park, fence or commit.
  void Attempt();
  /// Delivers the reply (and the followers'), releases keys, waiters, the registry, the fold
  /// queue; resumes the connection unless still inside Driver::Execute. Idempotent.
  void Finish();
  /// Replaces the reply (and the followers') with the error `error`, then Finish.
  void Fail(std::string_view error);
  /// `write-ack committed`: waits for the store to apply `revision`, then Attempt again.
  void AwaitAcked(int64_t revision);
  /// Whether the reply is written only once the commit is applied here (after_commit of the
  /// job or a follower: PUBLISH, SUBSCRIBE), so it cannot go out on etcd's response.
  bool NeedsApplyToReply() const;

 private:
  // Whether the committer completed inside our own Commit call on this thread.
  bool Inline() const;
  bool WantsFence() const;
  void Fence();
  // Enters kFencing; the callback, given to a wait, runs the job again (or fails it with the
  // wait's error) unless the job left kFencing meanwhile.
  std::function<void(std::string)> AttemptAfterFence();
  void OnCommitted(replication::CommitResult result);
  // Runs `due` if `revision` is not applied here after --etcd-timeout-ms (job.cc).
  void BoundWait(int64_t revision, void (*due)(Job&));
  void BoundAckWait(int64_t revision);
  void BoundConflictWait(int64_t revision);
  // After a conflict whose own revision etcd did not name: runs Attempt again once this node
  // applied `revision` (etcd's revision at or after the refusal; 0: unknown) or after
  // kUnknownRevisionWait, whichever comes first — a revision made outside --etcd-prefix may
  // reach the replica only with the watch's next progress notification (consistency.md).
  void RetryWhenAppliedOrSoon(int64_t revision);
  // Finishes on the connection's thread: inline when allowed, else posted.
  void FinishFromAnyThread();
};

}  // namespace petacore::server
