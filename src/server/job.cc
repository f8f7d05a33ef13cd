#include "server/job.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <utility>

#include "server/fold.h"
#include "server/multi_exec.h"
#include "server/read_fence.h"

namespace petacore::server {
namespace {

using replication::CommitResult;

constexpr std::chrono::milliseconds kUnknownRevisionWait{100};
/// A collection whose element writes in one command are below this stays in the Txn even
/// when the command is too large (many small collections are not helped by staging).
constexpr size_t kStageMinBytes = 64 * 1024;

}  // namespace

void ApplyWaits::Add(mvcc::Store& store, int64_t revision, std::function<void()> fn) {
  uint64_t id = store.OnApplied(revision, std::move(fn));
  if (id == 0) return;  // ran already
  std::unique_lock lock(mu_);
  if (!closed_) {
    ids_.push_back(id);
    return;
  }
  lock.unlock();
  store.CancelOnApplied(id);  // the job finished meanwhile (a bound answered)
}

void ApplyWaits::Close(mvcc::Store& store) {
  std::vector<uint64_t> ids;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    ids.swap(ids_);
  }
  for (uint64_t id : ids) store.CancelOnApplied(id);
}

bool Job::Inline() const {
  // `state` is read only when on the connection's thread (the && short-circuits elsewhere).
  return std::this_thread::get_id() == thread && state == State::kCommitCall;
}

void Job::Start() {
  // write-ack committed: a job that waited for its turn on a key (fold queue, key locks) also
  // waits for what was acknowledged meanwhile — the write it queued behind — instead of
  // reading without it and conflicting at commit.
  ack_fence = std::max(ack_fence, server->acked_revision.load(std::memory_order_acquire));
  if (locks != nullptr && !keys.empty()) {
    auto self = shared_from_this();
    auto retake = [self] {  // on this connection's thread, after a holder unlocked
      self->state = State::kNew;
      self->Start();
    };
    state = State::kLockWaiting;
    if (!locks->TryLock(keys, [self, retake] { self->executor->Post(retake); })) return;
  }
  Attempt();
}

void Job::Finish() {
  if (state == State::kFinished) return;
  if (state == State::kParked) parked_ns += Observability::NowNs() - parked_since_ns;
  LeaveParking(*this);  // never left in the blocking registry once answered
  const bool held_keys = state != State::kLockWaiting && state != State::kFoldWaiting;
  state = State::kFinished;
  waits.Close(server->store);
  if (held_keys && locks != nullptr && !keys.empty()) locks->Unlock(keys);
  if (committed && commit_revision > session->last_write_revision) {
    session->last_write_revision = commit_revision;  // WAIT's target
  }
  if (committed && after_commit) {
    reply.clear();
    resp::ReplyWriter w(&reply, session->protocol);
    after_commit(w, commit_revision);
  }
  out->append(reply);
  if (kind == Kind::kExec) session->EndTransaction();
  for (auto& f : followers) {
    // Each follower's reply is complete; hand it back to its own connection's thread.
    f->committed = committed;
    f->commit_revision = commit_revision;
    f->executor->Post([f] {
      if (f->committed && f->commit_revision > f->session->last_write_revision) {
        f->session->last_write_revision = f->commit_revision;  // WAIT's target
      }
      if (f->committed && f->after_commit) {
        f->reply.clear();
        resp::ReplyWriter w(&f->reply, f->session->protocol);
        f->after_commit(w, f->commit_revision);
      }
      f->state = State::kFinished;
      f->out->append(f->reply);
      f->resume();
    });
  }
  followers.clear();
  if (folds != nullptr) folds->Next(fold_key);
  if (resume) resume();
}

void Job::Fail(std::string_view error) {
  reply.clear();
  resp::ReplyWriter(&reply, session->protocol).Error(error);
  for (auto& f : followers) {
    f->reply.clear();
    resp::ReplyWriter(&f->reply, f->session->protocol).Error(error);
  }
  Finish();
}

void Job::Attempt() {
  if (state == State::kParked) parked_ns += Observability::NowNs() - parked_since_ns;
  state = State::kRunning;
  reply.clear();
  after_commit = nullptr;
  {
    std::string resume_state = std::move(park.block.resume_state);  // kept across re-runs
    park.block = {};
    park.block.resume_state = std::move(resume_state);
  }
  session->db = start_db;
  if (ack_fence_first && ack_fence > server->store.applied_revision()) {
    return AwaitAcked(ack_fence);
  }
  replication::CommitRequest request;
  {
    mvcc::Snapshot snap = server->store.Read();
    keyspace::TxnView view(snap);
    resp::ReplyWriter writer(&reply, session->protocol);
    body(*this, view, writer);
    for (auto& f : followers) {  // folded commands see the writes of those before them
      view.EndCommand();
      f->reply.clear();
      f->after_commit = nullptr;
      resp::ReplyWriter fw(&f->reply, f->session->protocol);
      f->body(*f, view, fw);
    }
    // write-ack committed: a snapshot below what this node had acknowledged when the command
    // arrived may miss the client's own write. A job that read anything waits for it and
    // runs again; a blind write (nothing read) commits at once.
    int64_t need = ack_fence;
    for (const auto& f : followers) need = std::max(need, f->ack_fence);
    if (need > snap.revision() && (view.consulted_snapshot() || !guards.empty())) {
      return AwaitAcked(need);
    }
    if (!WatchedKeysUnchanged(snap, guards)) {  // changed since WATCH, already visible
      reply.clear();
      resp::ReplyWriter(&reply, session->protocol).NullArray();
      return Finish();
    }
    if (park.block.requested && !view.has_writes()) {
      parked_since_ns = Observability::NowNs();
      return Park(shared_from_this(), snap.revision());
    }
    const bool commits = view.has_writes() || view.has_messages();
    if (!commits && fence != ReadFence::kDone && WantsFence()) return Fence();
    if (!commits) return Finish();
    if (!server->config.standalone()) {
      // Element writes beyond one etcd request: the largest collections move into new
      // incarnations staged ahead of the Txn (txn_view.h), so the Txn fits. Half the request
      // leaves room for the rest of the command's writes and its compares.
      view.StageLargeCollections(server->config.etcd_max_request_bytes / 2, kStageMinBytes);
    }
    request = view.BuildCommit(kind == Kind::kExec ? server->config.txn_isolation
                                                   : keyspace::Isolation::kSerializable);
    for (const auto& [key, rev] : guards) request.guards.push_back({key, rev});
    keyspace::MarkTombstonedAbsent(snap, &request.guards);  // a WATCHed key a tombstone deleted
  }
  if (session->tracking.noloop && server->tracking.active()) {  // CLIENT TRACKING NOLOOP
    std::vector<std::string> written;
    for (const auto& w : request.writes) {
      if (w.kind != replication::WriteOp::Kind::kDeleteRange) written.push_back(w.key);
    }
    server->tracking.NoteOwnWrites(session->id, written);
    noted_own_writes = session->id;
  }
  auto self = shared_from_this();
  state = State::kCommitCall;
  commit_sent_ns = Observability::NowNs();
  server->committer->Commit(std::move(request),
                            [self](CommitResult result) { self->OnCommitted(std::move(result)); });
  if (state == State::kCommitCall) state = State::kCommitting;
}

bool Job::NeedsApplyToReply() const {
  if (after_commit) return true;
  for (const auto& f : followers) {
    if (f->after_commit) return true;
  }
  return false;
}

bool Job::WantsFence() const {
  if (fence != ReadFence::kNone) return true;
  for (const auto& f : followers) {
    if (f->fence != ReadFence::kNone) return true;
  }
  return false;
}

std::function<void(std::string)> Job::AttemptAfterFence() {
  state = State::kFencing;
  return [self = shared_from_this()](std::string error) {
    if (self->state != State::kFencing) return;
    if (!error.empty()) return self->Fail(error);
    self->Attempt();
  };
}

void Job::Fence() {
  fence = ReadFence::kDone;
  AwaitReadFence(*server, executor, AttemptAfterFence());
}

void Job::AwaitAcked(int64_t revision) {
  server->write_ack_fence_waits.fetch_add(1, std::memory_order_relaxed);
  AwaitApplied(*server, executor, revision, AttemptAfterFence());
}

void Job::FinishFromAnyThread() {
  if (Inline()) return Finish();
  auto self = shared_from_this();
  executor->Post([self] { self->Finish(); });
}

// The replicated path's waits for this node to apply a revision, bounded by
// --etcd-timeout-ms: one entry of the server's DeadlineQueue per wait, not a timer (issue 18).
// The entry holds the job weakly: when it comes due the job has almost always finished and
// been released, and the entry ends there without waking the connection's thread. Otherwise
// `due` runs on the connection's thread, if the job is still unfinished and `revision` still
// not applied.
void Job::BoundWait(int64_t revision, void (*due)(Job&)) {
  std::weak_ptr<Job> weak = shared_from_this();
  server->bounds.AddAfter(server->config.etcd_timeout, [weak, executor = executor, revision, due] {
    if (weak.expired()) return;
    executor->Post([weak, revision, due] {
      auto self = weak.lock();
      if (!self || self->finished() || self->server->store.applied_revision() >= revision) return;
      due(*self);
    });
  });
}

// Ack-after-visible, bounded: the write is committed in etcd at `revision`; if this node has
// not applied it after --etcd-timeout-ms (its watch is cut or far behind), the success reply
// goes out anyway, because the write IS durable, and only read-your-writes on this node is
// late (docs/consistency.md). Counted in INFO acks_before_visible.
void Job::BoundAckWait(int64_t revision) {
  BoundWait(revision, [](Job& job) {
    job.server->acks_before_visible.fetch_add(1, std::memory_order_relaxed);
    job.Finish();
  });
}

// A conflict's retry waits for the conflicting revision to be applied here; if the watch is
// cut that could be forever. Nothing was written, so an error reply after --etcd-timeout-ms
// is safe: the client may simply retry.
void Job::BoundConflictWait(int64_t revision) {
  BoundWait(revision, [](Job& job) {
    job.Fail("ERR etcd: this node's replica is behind etcd (watch not caught up), retry");
  });
}

void Job::RetryWhenAppliedOrSoon(int64_t revision) {
  auto self = shared_from_this();
  auto once = std::make_shared<std::atomic<bool>>(false);
  auto retry = [self, once] {
    if (once->exchange(true) || self->finished()) return;
    self->Attempt();
  };
  // A waiter left behind when the pause wins is cancelled by Finish (ApplyWaits::Close).
  if (revision > 0) {
    waits.Add(server->store, revision, [self, retry] { self->executor->Post(retry); });
  }
  executor->PostAfter(kUnknownRevisionWait, retry);
}

// Runs on whatever thread the committer completes on: reads only what does not change while
// kCommitting, and hops back to the connection's thread (or finishes inline: Inline()).
void Job::OnCommitted(CommitResult result) {
  auto self = shared_from_this();
  if (noted_own_writes != 0 && result.status != CommitResult::Status::kCommitted) {
    server->tracking.ForgetOwnWrites(noted_own_writes);
    noted_own_writes = 0;
  }
  switch (result.status) {
    case CommitResult::Status::kCommitted:
      committed = true;  // read on the connection's thread after the hop (Finish)
      commit_revision = result.revision;
      if (result.revision == 0) return FinishFromAnyThread();
      if (!server->config.standalone() && server->config.write_ack_committed &&
          !NeedsApplyToReply()) {
        // write-ack committed: reply on etcd's response; this node's later reads wait for
        // the revision (ServerState::acked_revision) before they read.
        server->NoteAckedRevision(result.revision);
        server->observability.AddLatency(
            "etcd-commit", (Observability::NowNs() - commit_sent_ns) / 1000000);
        return FinishFromAnyThread();
      }
      if (!server->config.standalone()) {
        BoundAckWait(result.revision);
        // LATENCY events of the replicated write path (docs/operations.md "Observability").
        const int64_t committed_ns = Observability::NowNs();
        server->observability.AddLatency("etcd-commit", (committed_ns - commit_sent_ns) / 1000000);
        // The waiter outlives the reply when the bound answers first (watch stalled): then
        // Finish cancels it, and one already running only posts to the shared executor.
        waits.Add(server->store, result.revision, [self, committed_ns] {
          self->server->observability.AddLatency(
              "etcd-apply-lag", (Observability::NowNs() - committed_ns) / 1000000);
          self->FinishFromAnyThread();
        });
        return;
      }
      waits.Add(server->store, result.revision, [self] { self->FinishFromAnyThread(); });
      return;
    case CommitResult::Status::kGuardFailed:
      executor->Post([self] {
        self->reply.clear();
        resp::ReplyWriter(&self->reply, self->session->protocol).NullArray();
        self->Finish();
      });
      return;
    case CommitResult::Status::kError:
      executor->Post([self, error = std::move(result.error)] { self->Fail(error); });
      return;
    case CommitResult::Status::kConflict:
      break;
  }
  server->commit_retries.fetch_add(1, std::memory_order_relaxed);
  if (++attempts > server->config.max_commit_retries) {
    executor->Post([self] {
      self->Fail("ERR commit conflict: too many concurrent changes to the same keys, retry");
    });
    return;
  }
  if (result.exact) {
    // The conflicting key's own mod_revision: inside the prefix, so the watch delivers it.
    auto retry = [self] {
      if (!self->finished()) self->Attempt();  // not after BoundConflictWait answered
    };
    BoundConflictWait(result.revision);
    waits.Add(server->store, result.revision, [self, retry] { self->executor->Post(retry); });
  } else if (result.revision > 0 || server->read_barrier == nullptr) {
    // etcd's revision when it refused (the change is in it), or nothing to ask.
    RetryWhenAppliedOrSoon(result.revision);
  } else {
    // A check tree's refusal names no revision (committer.h): ask etcd for its revision now —
    // the change that failed the check is in it, since the refusal came back before the
    // question left — and retry once this node applied it.
    server->conflict_revision_fetches.fetch_add(1, std::memory_order_relaxed);
    server->read_barrier->Await([self](replication::ReadBarrier::Result revision) {
      const int64_t r = revision.ok() ? *revision : 0;  // an error: only the pause
      self->executor->Post([self, r] {
        if (!self->finished()) self->RetryWhenAppliedOrSoon(r);
      });
    });
  }
}

}  // namespace petacore::server
