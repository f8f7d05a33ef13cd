#include "server/driver.h"

#include <algorithm>
#include <vector>

#include "auth/access.h"
#include "commands/context.h"
#include "commands/table.h"
#include "commands/key_spec.h"
#include "commands/lua_busy.h"
#include "keyspace/encoding.h"
#include "keyspace/txn_view.h"
#include "resp/reply.h"
#include "server/job.h"
#include "server/memory_limit.h"
#include "server/multi_exec.h"
#include "server/read_fence.h"
#include "server/replica_lag.h"
#include "server/write_keys.h"

namespace petacore::server {
namespace {

using commands::CommandContext;
using commands::CommandSpec;

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

// INFO keyspace_hits / keyspace_misses, as Redis's lookupKeyRead: each key a read-only command
// names (its key specs) counts as a hit when it exists (not expired) in the snapshot the
// command read, else as a miss. MEMORY USAGE looks keys up without counting, as Redis's does.
void CountKeyspaceLookups(ServerState& state, const CommandSpec& spec, int db,
                          std::span<const std::string_view> args, keyspace::TxnView& view) {
  if (!(spec.flags & commands::kReadOnly)) return;
  if (spec.container != nullptr && spec.container->name == "memory") return;
  thread_local std::vector<commands::KeyRef> refs;
  thread_local std::string meta;
  refs.clear();
  if (!commands::ExtractKeys(spec, args, &refs) || refs.empty()) return;
  int64_t hits = 0;
  view.set_touch(false);  // the handler already counted its accesses (OBJECT FREQ, IDLETIME)
  for (const auto& r : refs) {
    meta.clear();
    keyspace::AppendKey(db, args[r.index], &meta);
    hits += view.Get(meta).has_value() ? 1 : 0;
  }
  if (hits > 0) state.keyspace_hits.fetch_add(hits, std::memory_order_relaxed);
  const int64_t misses = static_cast<int64_t>(refs.size()) - hits;
  if (misses > 0) state.keyspace_misses.fetch_add(misses, std::memory_order_relaxed);
}

}  // namespace

Driver::Driver(ServerState& state) : state_(state) {}
Driver::~Driver() = default;

bool Driver::Overlappable(const client::Session& session, std::span<const std::string_view> args) const {
  if (state_.config.standalone() || session.in_multi) return false;
  const CommandSpec* spec = commands::Table().Resolve(args);
  if (spec == nullptr || !(spec->flags & commands::kWrite) ||
      (spec->flags & (commands::kBlocking | commands::kNoQueue)) || !spec->ArityOk(args.size())) {
    return false;
  }
  thread_local std::vector<commands::KeyRef> refs;
  return commands::ExtractKeys(*spec, args, &refs) && refs.size() == 1;  // exactly one key
}

bool Driver::Execute(client::Session& session, std::span<const std::string_view> args, std::string* out,
                     const std::shared_ptr<Executor>& executor, std::function<void()> resume) {
  // Observability (observability.h): every command is reported once, when its reply is
  // complete — here when synchronous, else by the wrapped `resume` (Observe).
  Observation ob;
  ob.start_ns = Observability::NowNs();
  ob.at = out->size();
  const bool done = Dispatch(session, args, out, executor, std::move(resume), ob);
  if (done) state_.observability.Finish(ob, session, args, std::string_view(*out).substr(ob.at));
  return done;
}

std::function<void()> Driver::Observe(const Observation& ob, client::Session& session,
                                      std::span<const std::string_view> args, std::string* out,
                                      std::function<void()> resume) {
  return [this, ob, &session, args, out, resume = std::move(resume)] {
    state_.observability.Finish(ob, session, args, std::string_view(*out).substr(ob.at));
    resume();
  };
}

bool Driver::Dispatch(client::Session& session, std::span<const std::string_view> args,
                      std::string* out, const std::shared_ptr<Executor>& executor,
                      std::function<void()> resume, Observation& ob) {
  state_.total_commands.fetch_add(1, std::memory_order_relaxed);
  resp::ReplyWriter writer(out, session.protocol);
  const CommandSpec* spec = commands::Table().Resolve(args);  // a subcommand's own spec
  if (spec == nullptr) {
    session.FlagTransaction();
    writer.Error(commands::Table().Find(args[0]) ? commands::UnknownSubcommandError(args)
                                                 : UnknownCommandError(args));
    return true;
  }
  ob.spec = spec;
  session.last_command.store(spec->fullname.c_str(), std::memory_order_relaxed);
  if (!spec->ArityOk(args.size())) {
    session.FlagTransaction();
    writer.Error(commands::ErrWrongArgs(spec->fullname));
    return true;
  }
  if (!auth::Admit(state_.acl, session, *spec, args, writer)) {  // NOAUTH, NOPERM (src/auth)
    session.FlagTransaction();
    return true;
  }
  // A MONITOR client is a replica to Redis: it may not touch the key space.
  if (session.monitor.load(std::memory_order_relaxed) &&
      (spec->flags & (commands::kReadOnly | commands::kWrite | commands::kMayReplicate))) {
    session.FlagTransaction();
    writer.Error("ERR Replica can't interact with the keyspace");
    return true;
  }
  // A busy script on this node (commands/lua_busy.h): only allow-busy commands run, as
  // Redis's processCommand (which also flags an open MULTI, so its EXEC aborts).
  if (!(spec->flags & commands::kAllowBusy)) {
    if (std::string_view busy = commands::lua::BusyError(); !busy.empty()) {
      session.FlagTransaction();
      writer.Error(busy);
      return true;
    }
  }
  const bool ends_transaction = EndsTransaction(*spec, session);
  if (ends_transaction) {
    ob.called = true;  // EXECABORT is EXEC's own (failed) call in Redis
    if (RejectExec(session, state_, writer)) return true;  // EXECABORT
  } else {
    if (RejectIfOverMaxmemory(*spec, session, state_, writer)) return true;  // maxmemory
  }
  // A RESP2 client in subscribed mode runs only the pub/sub commands, PING, QUIT and RESET
  // (as Redis's processCommand; RESP3 mixes replies and pushes on one connection).
  if (session.protocol == 2 && session.subscriptions() > 0 &&
      !(spec->flags & commands::kSubscribedOk)) {
    session.FlagTransaction();
    writer.Error("ERR Can't execute '" + spec->fullname +
                 "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed "
                 "in this context");
    return true;
  }
  if (!ends_transaction && QueueIfInMulti(*spec, session, args, writer)) return true;  // +QUEUED
  ob.called = true;
  state_.observability.ScriptStarts(*spec, session, args);  // MONITOR: EVAL before its calls
  if (ends_transaction && (spec->flags & commands::kRunsQueue) && session.in_multi) {
    ob.queued = session.queued;  // commandstats counts EXEC's commands, MONITOR shows them
  }
  bool read_path = !(spec->flags & (commands::kWrite | commands::kNoQueue |
                                    commands::kBlocking | commands::kInternalWrite));
  bool read_only_call = false;  // a may-write command whose call cannot write (no-writes)
  if (!read_path && spec->read_only_call != nullptr) {
    mvcc::Snapshot snap = state_.store.Read();
    keyspace::TxnView view(snap, /*track_reads=*/false);
    read_only_call = read_path = spec->read_only_call(args, view);
  }
  if (read_path) {
    // write-ack committed: this node may have acknowledged writes it has not applied yet; a
    // read of the key space waits for them (read-your-writes on the node, as when acks wait
    // for the apply). INFO, PING, CONFIG GET, CLIENT ... do not.
    const int64_t acked = state_.acked_revision.load(std::memory_order_acquire);
    if (acked > state_.store.applied_revision() &&
        ((spec->flags & commands::kReadOnly) || read_only_call)) {
      state_.write_ack_fence_waits.fetch_add(1, std::memory_order_relaxed);
      AwaitApplied(state_, executor, acked,
                   [this, spec, &session, args, out, executor, resume = std::move(resume), ob,
                    read_only_call](std::string error) mutable {
                     if (!error.empty()) {
                       resp::ReplyWriter(out, session.protocol).Error(error);
                     } else if (!RunReadPath(*spec, session, args, out, executor, resume, ob,
                                             read_only_call)) {
                       return;  // went on asynchronously (a linearizable read) with `resume`
                     }
                     Observe(ob, session, args, out, std::move(resume))();
                   });
      return false;
    }
    return RunReadPath(*spec, session, args, out, executor, resume, ob, read_only_call);
  }
  // A read-only command that runs as a Job (PFCOUNT may write its cached count back; XREAD
  // may block) is tracked like any read once it has run, as Redis's call() does for
  // CMD_READONLY: its own write-back is applied before the keys are remembered, so it sends
  // this client no invalidation. CLIENT CACHING's one-command flag is kept for that moment.
  const bool track_after = (spec->flags & commands::kReadOnly) && state_.tracking.active();
  const bool caching_flag = session.tracking.caching;
  auto remember = [this, spec, &session, args, caching_flag] {
    session.tracking.caching = caching_flag;
    RememberReadKeys(state_.tracking, *spec, session, args);
  };
  // CLIENT CACHING's flag lasts one command; through MULTI it covers the whole transaction.
  if (session.tracking.caching && !session.in_multi && spec->fullname != "multi") {
    session.tracking.caching = false;
  }

  std::shared_ptr<Job> job = MakeJob(*spec, session, args, out, executor);
  ob.parked_ns = &job->parked_ns;  // the Job outlives its resume call
  resume = Observe(ob, session, args, out, std::move(resume));
  if (track_after) {
    resume = [remember, r = std::move(resume)] {
      remember();
      r();
    };
  }
  if (ends_transaction) PrepareExec(*job, session, /*with_keys=*/job->locks != nullptr);
  if (job->locks != nullptr) {
    std::sort(job->keys.begin(), job->keys.end());
    job->keys.erase(std::unique(job->keys.begin(), job->keys.end()), job->keys.end());
    if (job->kind == Job::Kind::kWrite && job->keys.size() == 1) {
      if (!folds_.LeadOrWait(job->keys[0], job, resume)) return false;  // waits its turn
    }
  }
  job->Start();
  if (job->finished()) {
    ob.parked_ns = nullptr;  // Execute reports it after the job is gone; it never parked
    if (track_after) remember();
    return true;
  }
  job->resume = std::move(resume);
  return false;
}

bool Driver::RunReadPath(const commands::CommandSpec& spec, client::Session& session,
                         std::span<const std::string_view> args, std::string* out,
                         const std::shared_ptr<Executor>& executor,
                         std::function<void()>& resume, const Observation& ob,
                         bool read_only_call) {
  resp::ReplyWriter writer(out, session.protocol);
  // The read path: a command that cannot write runs at once on a snapshot, with no Job,
  // no read tracking and no commit — GET is a hash lookup and a copy into `out`.
  bool fenced = false;  // an earlier command of this input batch took the fence
  if (((spec.flags & commands::kReadOnly) || read_only_call) &&
      EffectiveReadConsistency(state_, session) == client::ReadConsistency::kLinearizable) {
    if (!session.read_fence.Fenced()) {
      ExecuteLinearizableRead(spec, session, args, out, executor,
                              Observe(ob, session, args, out, std::move(resume)));
      return false;
    }
    // The batch's fence revision was fetched after this command arrived and the store has
    // applied it: the snapshot below is recent enough (client/read_consistency.h).
    state_.read_barrier->CountSharedRead();
    fenced = true;
  }
  if (((spec.flags & commands::kReadOnly) || read_only_call) && !fenced &&
      state_.replica_lag != nullptr &&
      state_.replica_lag->stale()) {
    // replica-max-lag-ms: a replica cut from etcd does not answer from old data silently.
    state_.replica_lag->CountRefusal();
    writer.Error(state_.replica_lag->StaleError());
    return true;
  }
  mvcc::Snapshot snap = state_.store.Read();
  keyspace::TxnView view(snap, /*track_reads=*/false);
  const int db = session.db;  // before the handler (SELECT is not read-only, but be exact)
  CommandContext ctx{args, view, writer, session, state_};
  spec.handler(ctx);
  CountKeyspaceLookups(state_, spec, db, args, view);
  if (state_.tracking.active()) RememberReadKeys(state_.tracking, spec, session, args);
  return true;
}

std::shared_ptr<Job> Driver::MakeJob(const CommandSpec& spec, client::Session& session,
                                     std::span<const std::string_view> args, std::string* out,
                                     const std::shared_ptr<Executor>& executor) {
  // Not make_shared: the ack bound (Job::BoundAckWait) keeps a weak_ptr for --etcd-timeout-ms,
  // which with make_shared would keep the whole Job's memory that long.
  std::shared_ptr<Job> job(new Job());
  job->server = &state_;
  job->session = &session;
  job->out = out;
  job->executor = executor;
  job->start_db = session.db;
  job->kind = (spec.flags & commands::kBlocking) ? Job::Kind::kBlocking : Job::Kind::kWrite;
  job->ack_fence = state_.acked_revision.load(std::memory_order_acquire);  // write-ack
  job->ack_fence_first = !(spec.flags & commands::kWrite);
  // Under linearizable reads, a write command that ends up writing nothing is fenced like a
  // read (job.cc), and so is a script (EVAL, EVALSHA, FCALL: kInternalWrite, scripting) whose
  // run wrote nothing: it answers from reads that no commit re-checks.
  const bool may_answer_from_reads =
      (spec.flags & commands::kWrite) ||
      ((spec.flags & commands::kInternalWrite) && (spec.acl & commands::acl::kScripting)) ||
      // a read that may store a cache (PFCOUNT of one key): fenced when it stores nothing
      ((spec.flags & commands::kInternalWrite) && (spec.flags & commands::kReadOnly));
  if (may_answer_from_reads &&
      EffectiveReadConsistency(state_, session) == client::ReadConsistency::kLinearizable) {
    job->fence = Job::ReadFence::kWanted;
  }

  // A read-only blocking command (XREAD) runs as a job too: fenced like the read path.
  if ((spec.flags & commands::kReadOnly) && job->kind == Job::Kind::kBlocking &&
      EffectiveReadConsistency(state_, session) == client::ReadConsistency::kLinearizable) {
    job->fence = Job::ReadFence::kWanted;
  }
  job->body = [&spec, args](Job& j, keyspace::TxnView& view, resp::ReplyWriter& w) {
    CommandContext ctx{args, view, w, *j.session, *j.server};
    if (j.kind == Job::Kind::kBlocking) ctx.block = &j.park.block;
    ctx.after_commit = &j.after_commit;
    spec.handler(ctx);
  };
  if (!state_.config.standalone() && job->kind != Job::Kind::kBlocking) {
    // Not for blocking commands: they would hold the lock while parked and keep out the
    // very push that should wake them; the list's meta-key compare orders them anyway.
    job->locks = &key_locks_;
    AppendWriteKeys(spec, args, session.db, &job->keys);
  }
  return job;
}

void Driver::ExecuteLinearizableRead(const commands::CommandSpec& spec, client::Session& session,
                                     std::span<const std::string_view> args, std::string* out,
                                     const std::shared_ptr<Executor>& executor,
                                     std::function<void()> resume) {
  AwaitReadFence(state_, executor,
                 [this, &spec, &session, args, out, batch = session.read_fence.batch,
                  resume = std::move(resume)](std::string error) {
                   resp::ReplyWriter writer(out, session.protocol);
                   if (!error.empty()) {
                     writer.Error(error);
                   } else {
                     session.read_fence.SetFenced(batch);  // the batch's later reads share it
                     mvcc::Snapshot snap = state_.store.Read();  // at or past etcd's revision
                     keyspace::TxnView view(snap, /*track_reads=*/false);
                     const int db = session.db;
                     CommandContext ctx{args, view, writer, session, state_};
                     spec.handler(ctx);
                     CountKeyspaceLookups(state_, spec, db, args, view);
                     if (state_.tracking.active()) {
                       RememberReadKeys(state_.tracking, spec, session, args);
                     }
                   }
                   resume();
                 });
}

}  // namespace petacore::server
