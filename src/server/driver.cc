#include "server/driver.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <map>
#include <memory>
#include <vector>

#include "auth/access.h"
#include "commands/context.h"
#include "commands/table.h"
#include "keyspace/encoding.h"
#include "keyspace/txn_view.h"
#include "resp/reply.h"
#include "server/read_fence.h"
#include "server/memory_limit.h"

namespace petacore::server {
namespace {

using commands::CommandContext;
using commands::CommandSpec;
using replication::CommitResult;

constexpr std::chrono::milliseconds kUnknownRevisionWait{100};

// As Redis's processCommand: the name cut to 128 bytes, then arguments while the list is
// shorter than 128 bytes, each cut to the room left; C-string semantics stop each at a NUL.
std::string UnknownCommandError(std::span<const std::string_view> args) {
  auto c_str = [](std::string_view s) { return s.substr(0, s.find('\0')); };
  std::string list;
  for (size_t i = 1; i < args.size() && list.size() < 128; ++i) {
    list += "'" + std::string(c_str(args[i]).substr(0, 128 - list.size())) + "' ";
  }
  return "ERR unknown command '" + std::string(c_str(args[0]).substr(0, 128)) +
         "', with args beginning with: " + list;
}

/// One command (or EXEC) in flight: what to run, and where its reply goes.
}  // namespace

/// Lifetimes (executor.h): `session`, `out` and `resume` belong to the connection and are
/// touched only synchronously inside Execute or inside functions posted through `executor`
/// (dropped once the connection closed). Every callback registered elsewhere (committer,
/// store waiter, timer, blocking registry, key locks) holds the Job by shared_ptr and reaches
/// the connection only through `executor`. Store waiters still registered when the job
/// finishes are cancelled (CancelWaits), so a stalled watch does not pile them up.
struct Job : std::enable_shared_from_this<Job> {
  Driver* driver = nullptr;
  ServerState* state;
  Session* session;
  std::string* out;
  std::shared_ptr<Executor> executor;
  std::function<void()> resume;
  /// Runs the handler(s) on a view, writing replies; re-run from scratch on each attempt.
  std::function<void(keyspace::TxnView&, resp::ReplyWriter&)> body;
  bool is_exec = false;
  /// EXEC: the WATCHed keys as they were when EXEC arrived (a queued UNWATCH must not drop
  /// them: Redis decides the abort before running the queue).
  std::map<std::string, int64_t> guards;
  int start_db = 0;
  int attempts = 0;
  bool sync = true;       // still inside Execute: complete without resume
  bool finished = false;  // reply delivered
  std::string reply;
  bool may_block = false;          // a blocking command outside EXEC
  commands::BlockRequest block;    // filled by the handler when it wants to wait
  bool parked = false;             // registered in the BlockingRegistry, waiting
  bool timer_set = false;
  uint64_t block_token = 0;
  KeyLocks* locks = nullptr;       // set when the job must hold `keys` while it runs
  std::vector<std::string> keys;  // store keys this job writes
  bool locked = false;
  /// Folding: the key this job leads a group on (empty for followers and unfolded jobs), and
  /// the jobs whose handlers run after its own on the same view, in the same commit.
  std::string fold_key;
  std::vector<std::shared_ptr<Job>> followers;
  /// The connection's thread (a connection never changes thread) and whether Attempt is
  /// running there now: a committer that completes synchronously (standalone) lets the reply
  /// be delivered inline, without a hop through the executor and a coroutine resume.
  std::thread::id thread = std::this_thread::get_id();
  std::atomic<bool> in_attempt{false};
  /// Linearizable reads: a write command or EXEC that ends without writes answered from the
  /// local snapshot, so it first waits for etcd's current revision and runs again (once).
  bool fence_reads = false;
  bool fenced = false;
  /// OnApplied waiters this job registered (ids for Store::CancelOnApplied). Registered on the
  /// committer's thread, cancelled on the connection's thread: hence the mutex.
  std::mutex waits_mu;
  std::vector<uint64_t> waits;
  bool waits_closed = false;  // under waits_mu: the job finished, cancel on registration

  bool Inline() const {
    return std::this_thread::get_id() == thread && in_attempt.load(std::memory_order_relaxed);
  }

  // Takes the job's keys (or waits for them), then runs it.
  void Start() {
    if (locks != nullptr && !keys.empty()) {
      auto self = shared_from_this();
      if (!locks->TryLock(keys, [self] { self->executor->Post([self] { self->Start(); }); })) {
        return;
      }
      locked = true;
    }
    Attempt();
  }

  // Delivers the reply; true when delivered synchronously.
  void Finish() {
    if (finished) return;
    finished = true;
    CancelWaits();
    if (parked) {  // never left in the blocking registry once answered
      state->blocking.Remove(block_token);
      parked = false;
    }
    if (may_block) session->abandon_blocked = nullptr;
    if (locked) locks->Unlock(keys);
    out->append(reply);
    if (is_exec) {
      session->ResetMulti();
      session->watched.clear();
    }
    for (auto& f : followers) {
      // Each follower's reply is complete; hand it back to its own connection's thread.
      f->executor->Post([f] {
        f->finished = true;
        f->out->append(f->reply);
        f->resume();
      });
    }
    followers.clear();
    if (!fold_key.empty()) driver->FoldNext(fold_key);
    if (!sync) resume();
  }

  // Registers `fn` to run once the store applied `revision`, remembered for CancelWaits.
  void WaitApplied(int64_t revision, std::function<void()> fn) {
    uint64_t id = state->store.OnApplied(revision, std::move(fn));
    if (id == 0) return;  // ran already
    std::unique_lock lock(waits_mu);
    if (!waits_closed) {
      waits.push_back(id);
      return;
    }
    lock.unlock();
    state->store.CancelOnApplied(id);  // the job finished meanwhile (a bound answered)
  }

  // Drops the store waiters of a finished job. One may be running on the writer thread right
  // now; it only posts to the executor and finds the job finished.
  void CancelWaits() {
    std::vector<uint64_t> ids;
    {
      std::lock_guard lock(waits_mu);
      waits_closed = true;
      ids.swap(waits);
    }
    for (uint64_t id : ids) state->store.CancelOnApplied(id);
  }

  void Fail(std::string_view error) {
    reply.clear();
    resp::ReplyWriter(&reply, session->protocol).Error(error);
    for (auto& f : followers) {
      f->reply.clear();
      resp::ReplyWriter(&f->reply, f->session->protocol).Error(error);
    }
    Finish();
  }

  void Attempt() {
    reply.clear();
    block = {};
    session->db = start_db;
    replication::CommitRequest request;
    {
      mvcc::Snapshot snap = state->store.Read();
      keyspace::TxnView view(snap);
      resp::ReplyWriter writer(&reply, session->protocol);
      body(view, writer);
      for (auto& f : followers) {  // folded commands see the writes of those before them
        view.EndCommand();
        f->reply.clear();
        resp::ReplyWriter fw(&f->reply, f->session->protocol);
        f->body(view, fw);
      }
      if (is_exec) {
        for (const auto& [key, rev] : guards) {
          auto kv = snap.Get(key);
          if ((kv ? kv->mod_revision : 0) != rev) {  // changed since WATCH, already visible
            reply = "*-1\r\n";
            return Finish();
          }
        }
      }
      if (block.requested && !view.has_writes()) return Park(snap.revision());
      if (!view.has_writes() && !fenced && WantsFence()) return Fence();
      if (!view.has_writes()) return Finish();
      request = view.BuildCommit(is_exec ? state->config.txn_isolation
                                         : keyspace::Isolation::kSerializable);
    }
    for (const auto& [key, rev] : guards) request.guards.push_back({key, rev});
    auto self = shared_from_this();
    in_attempt.store(true, std::memory_order_relaxed);
    state->committer->Commit(std::move(request), [self](CommitResult result) {
      self->OnCommitted(std::move(result));
    });
    in_attempt.store(false, std::memory_order_relaxed);
  }

  // Whether this job or a command folded into it is under linearizable reads.
  bool WantsFence() const {
    if (fence_reads) return true;
    for (const auto& f : followers) {
      if (f->fence_reads) return true;
    }
    return false;
  }

  // The job read without writing: re-run it once the replica is as new as etcd was now.
  void Fence() {
    fenced = true;
    auto self = shared_from_this();
    AwaitReadFence(*state, executor, [self](std::string error) {
      if (!error.empty()) return self->Fail(error);
      self->Attempt();
    });
  }

  // Ack-after-visible, bounded: the write is committed in etcd at `revision`; if this node has
  // not applied it after --etcd-timeout-ms (its watch is cut or far behind), the success reply
  // goes out anyway, because the write IS durable, and only read-your-writes on this node is
  // late (docs/consistency.md). Counted in INFO acks_before_visible.
  void BoundAckWait(int64_t revision) {
    auto self = shared_from_this();
    executor->PostAfter(state->config.etcd_timeout, [self, revision] {
      if (self->finished || self->state->store.applied_revision() >= revision) return;
      self->state->acks_before_visible.fetch_add(1, std::memory_order_relaxed);
      self->Finish();
    });
  }

  // A conflict's retry waits for the conflicting revision to be applied here; if the watch is
  // cut that could be forever. Nothing was written, so an error reply after --etcd-timeout-ms
  // is safe: the client may simply retry.
  void BoundConflictWait(int64_t revision) {
    auto self = shared_from_this();
    executor->PostAfter(state->config.etcd_timeout, [self, revision] {
      if (self->finished || self->state->store.applied_revision() >= revision) return;
      self->Fail("ERR etcd: this node's replica is behind etcd (watch not caught up), retry");
    });
  }

  // Waits (without a reply) until a key of the block request changes or the timeout passes.
  void Park(int64_t read_revision) {
    auto self = shared_from_this();
    if (!timer_set && block.timeout_ms > 0) {
      timer_set = true;
      executor->PostAfter(std::chrono::milliseconds(block.timeout_ms), [self] {
        if (self->finished || !self->parked) return;
        self->state->blocking.Remove(self->block_token);
        self->parked = false;
        self->reply.clear();
        resp::ReplyWriter(&self->reply, self->session->protocol).NullArray();
        self->Finish();
      });
    }
    parked = true;
    session->abandon_blocked = [weak = weak_from_this()] {
      auto job = weak.lock();
      if (!job || job->finished || !job->parked) return;
      job->reply.clear();  // the client is gone: nothing to say
      job->Finish();       // leaves the registry (parked) and resumes the connection
    };
    block_token = state->blocking.Add(block.keys, [self] {
      self->executor->Post([self] {
        if (self->finished || !self->parked) return;
        self->parked = false;
        self->Attempt();
      });
    });
    // A change applied after our snapshot but before registering would be missed: look again.
    if (state->store.applied_revision() > read_revision) {
      state->blocking.Remove(block_token);
      executor->Post([self] {
        if (self->finished || !self->parked) return;
        self->parked = false;
        self->Attempt();
      });
    }
  }

  // Runs on whatever thread the committer completes on: hop back to the connection's thread.
  void OnCommitted(CommitResult result) {
    auto self = shared_from_this();
    switch (result.status) {
      case CommitResult::Status::kCommitted:
        if (result.revision == 0) {
          if (Inline()) return Finish();
          executor->Post([self] { self->Finish(); });
        } else {
          // The waiter outlives the reply when the bound answers first (watch stalled): then
          // Finish cancels it, and one already running only posts to the shared executor.
          if (!state->config.standalone()) BoundAckWait(result.revision);
          WaitApplied(result.revision, [self] {
            if (self->Inline()) return self->Finish();
            self->executor->Post([self] { self->Finish(); });
          });
        }
        return;
      case CommitResult::Status::kGuardFailed:
        executor->Post([self] {
          self->reply = "*-1\r\n";
          self->Finish();
        });
        return;
      case CommitResult::Status::kError:
        executor->Post([self, error = std::move(result.error)] { self->Fail(error); });
        return;
      case CommitResult::Status::kConflict:
        break;
    }
    state->commit_retries.fetch_add(1, std::memory_order_relaxed);
    if (++attempts > state->config.max_commit_retries) {
      executor->Post([self] {
        self->Fail("ERR commit conflict: too many concurrent changes to the same keys, retry");
      });
      return;
    }
    auto retry = [self] {
      self->executor->Post([self] {
        if (!self->finished) self->Attempt();  // not after BoundConflictWait answered
      });
    };
    if (result.exact) {
      BoundConflictWait(result.revision);
      WaitApplied(result.revision, retry);
    } else {
      // The conflicting change's revision is unknown (a delete): retry after a short pause.
      executor->PostAfter(kUnknownRevisionWait, [self] {
        if (!self->finished) self->Attempt();
      });
    }
  }
};

namespace {

bool config_standalone(const ServerState& state) { return state.config.standalone(); }

/// The store keys a write command names, from its key specs (commands::ExtractKeys).
void AppendWriteKeys(const CommandSpec& spec, std::span<const std::string_view> args, int db,
                     std::vector<std::string>* keys) {
  if (!(spec.flags & commands::kWrite)) return;
  thread_local std::vector<commands::KeyRef> refs;
  commands::ExtractKeys(spec, args, &refs);
  for (const auto& k : refs) keys->push_back(keyspace::EncodeKey(db, args[k.index]));
}

}  // namespace

struct Driver::FoldQueue {
  std::vector<std::shared_ptr<Job>> waiting;
};

/// Largest group of folded commands (their handlers run one after another on one thread).
constexpr size_t kMaxFoldGroup = 512;

Driver::Driver(ServerState& state) : state_(state) {}
Driver::~Driver() = default;

void Driver::FoldNext(const std::string& key) {
  std::shared_ptr<Job> leader;
  {
    std::lock_guard lock(fold_mu_);
    auto it = folds_.find(key);
    if (it == folds_.end()) return;
    auto& waiting = it->second->waiting;
    if (waiting.empty()) {
      folds_.erase(it);  // nobody queued: the key is free
      return;
    }
    size_t n = std::min(waiting.size(), kMaxFoldGroup);
    leader = waiting.front();
    leader->fold_key = key;
    leader->followers.assign(waiting.begin() + 1, waiting.begin() + n);
    waiting.erase(waiting.begin(), waiting.begin() + n);
  }
  leader->executor->Post([leader] { leader->Start(); });
}

bool Driver::Overlappable(const Session& session,
                          std::span<const std::string_view> args) const {
  if (state_.config.standalone() || session.in_multi) return false;
  const CommandSpec* spec = commands::Table().Resolve(args);
  if (spec == nullptr || !(spec->flags & commands::kWrite) ||
      (spec->flags & (commands::kBlocking | commands::kNoQueue)) || !spec->ArityOk(args.size())) {
    return false;
  }
  thread_local std::vector<commands::KeyRef> refs;
  return commands::ExtractKeys(*spec, args, &refs) && refs.size() == 1;  // exactly one key
}

bool Driver::Execute(Session& session, std::span<const std::string_view> args, std::string* out,
                     const std::shared_ptr<Executor>& executor,
                     std::function<void()> resume) {
  state_.total_commands.fetch_add(1, std::memory_order_relaxed);
  resp::ReplyWriter writer(out, session.protocol);
  const CommandSpec* spec = commands::Table().Resolve(args);  // a subcommand's own spec
  if (spec == nullptr) {
    if (session.in_multi) session.multi_dirty = true;
    writer.Error(commands::Table().Find(args[0]) ? commands::UnknownSubcommandError(args)
                                                 : UnknownCommandError(args));
    return true;
  }
  session.last_command.store(spec->fullname.c_str(), std::memory_order_relaxed);
  if (!spec->ArityOk(args.size())) {
    if (session.in_multi) session.multi_dirty = true;
    writer.Error("ERR wrong number of arguments for '" + spec->fullname + "' command");
    return true;
  }
  if (!auth::Admit(state_, session, *spec, args, writer)) {  // NOAUTH, NOPERM (src/auth)
    if (session.in_multi) session.multi_dirty = true;
    return true;
  }
  if (RejectIfOverMaxmemory(*spec, session, state_, writer)) return true;  // maxmemory
  if (session.in_multi && !(spec->flags & commands::kNoQueue)) {
    session.queued.emplace_back(args.begin(), args.end());
    writer.Simple("QUEUED");
    return true;
  }
  if (!(spec->flags & (commands::kWrite | commands::kNoQueue | commands::kBlocking |
                       commands::kInternalWrite))) {
    // The read path: a command that cannot write runs at once on a snapshot, with no Job,
    // no read tracking and no commit — GET is a hash lookup and a copy into `out`.
    if ((spec->flags & commands::kReadOnly) &&
        EffectiveReadConsistency(state_, session) == ReadConsistency::kLinearizable) {
      ExecuteLinearizableRead(*spec, session, args, out, executor, std::move(resume));
      return false;
    }
    mvcc::Snapshot snap = state_.store.Read();
    keyspace::TxnView view(snap, /*track_reads=*/false);
    CommandContext ctx{args, view, writer, session, state_};
    spec->handler(ctx);
    return true;
  }

  auto job = std::make_shared<Job>();
  job->driver = this;
  job->state = &state_;
  job->session = &session;
  job->out = out;
  job->executor = executor;
  job->resume = std::move(resume);
  job->start_db = session.db;
  job->may_block = (spec->flags & commands::kBlocking) != 0;
  job->fence_reads = (spec->flags & commands::kWrite) &&
                     EffectiveReadConsistency(state_, session) == ReadConsistency::kLinearizable;
  if ((spec->flags & commands::kRunsQueue) && session.in_multi) {
    if (session.multi_dirty) {
      session.ResetMulti();
      session.watched.clear();
      writer.Error("EXECABORT Transaction discarded because of previous errors.");
      return true;
    }
    session.in_multi = false;  // the queued commands run now, not re-queued
    job->is_exec = true;
    job->fence_reads =
        EffectiveReadConsistency(state_, session) == ReadConsistency::kLinearizable;
    job->guards = session.watched;
    job->body = [job_ptr = job.get()](keyspace::TxnView& view, resp::ReplyWriter& w) {
      Session& s = *job_ptr->session;
      w.ArrayHeader(s.queued.size());
      std::vector<std::string_view> argv;
      for (const auto& cmd : s.queued) {
        argv.assign(cmd.begin(), cmd.end());
        const CommandSpec* queued_spec = commands::Table().Resolve(argv);
        if (!auth::AdmitQueued(*job_ptr->state, s, *queued_spec, argv, w)) continue;
        CommandContext ctx{argv, view, w, s, *job_ptr->state};
        queued_spec->handler(ctx);
        view.EndCommand();
      }
    };
  } else {
    job->body = [job_ptr = job.get(), spec, args](keyspace::TxnView& view,
                                                  resp::ReplyWriter& w) {
      CommandContext ctx{args, view, w, *job_ptr->session, *job_ptr->state};
      if (job_ptr->may_block) ctx.block = &job_ptr->block;
      spec->handler(ctx);
    };
  }
  if (!config_standalone(state_) && !job->may_block) {
    // Not for blocking commands: they would hold the lock while parked and keep out the
    // very push that should wake them; the list's meta-key compare orders them anyway.
    job->locks = &key_locks_;
    if (job->is_exec) {
      int db = session.db;
      for (const auto& cmd : session.queued) {
        std::vector<std::string_view> argv(cmd.begin(), cmd.end());
        const CommandSpec* queued_spec = commands::Table().Resolve(argv);
        AppendWriteKeys(*queued_spec, argv, db, &job->keys);
        int64_t selected;  // a queued SELECT moves the following commands' keys
        if ((queued_spec->flags & commands::kSelectsDb) &&
            commands::ParseInt64(argv[1], &selected) && selected >= 0 &&
            selected < keyspace::kNumDatabases) {
          db = static_cast<int>(selected);
        }
      }
    } else {
      AppendWriteKeys(*spec, args, session.db, &job->keys);
    }
    std::sort(job->keys.begin(), job->keys.end());
    job->keys.erase(std::unique(job->keys.begin(), job->keys.end()), job->keys.end());
    if (!job->is_exec && !job->may_block && job->keys.size() == 1) {
      std::lock_guard lock(fold_mu_);
      auto [it, fresh] = folds_.try_emplace(job->keys[0]);
      if (!fresh) {  // a write on this key is in flight: wait to run with the next group
        it->second->waiting.push_back(job);
        job->sync = false;
        return false;
      }
      it->second = std::make_unique<FoldQueue>();
      job->fold_key = job->keys[0];
    }
  }
  job->Start();
  job->sync = false;
  return job->finished;
}

void Driver::ExecuteLinearizableRead(const commands::CommandSpec& spec, Session& session,
                                     std::span<const std::string_view> args, std::string* out,
                                     const std::shared_ptr<Executor>& executor,
                                     std::function<void()> resume) {
  AwaitReadFence(state_, executor,
                 [this, &spec, &session, args, out, resume = std::move(resume)](std::string error) {
                   resp::ReplyWriter writer(out, session.protocol);
                   if (!error.empty()) {
                     writer.Error(error);
                   } else {
                     mvcc::Snapshot snap = state_.store.Read();  // at or past etcd's revision
                     keyspace::TxnView view(snap, /*track_reads=*/false);
                     CommandContext ctx{args, view, writer, session, state_};
                     spec.handler(ctx);
                   }
                   resume();
                 });
}

}  // namespace petacore::server
