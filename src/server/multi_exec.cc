#include "server/multi_exec.h"

#include <vector>

#include "auth/access.h"
#include "commands/context.h"
#include "server/job.h"
#include "server/memory_limit.h"
#include "server/read_fence.h"
#include "server/tracking.h"
#include "server/write_keys.h"

namespace petacore::server {
namespace {

using commands::CommandSpec;

// Store keys written by the queue, in the database each queued command will run in.
void AppendQueuedWriteKeys(const client::Session& session, std::vector<std::string>* keys) {
  int db = session.db;
  std::vector<std::string_view> argv;
  for (const auto& cmd : session.queued) {
    argv.assign(cmd.begin(), cmd.end());
    const CommandSpec* queued_spec = commands::Table().Resolve(argv);
    AppendWriteKeys(*queued_spec, argv, db, keys);
    int64_t selected;  // a queued SELECT moves the following commands' keys
    if ((queued_spec->flags & commands::kSelectsDb) && commands::ParseInt64(argv[1], &selected) &&
        selected >= 0 && selected < keyspace::kNumDatabases) {
      db = static_cast<int>(selected);
    }
  }
}

// Redis 7: EXEC is denyoom when a queued command is.
bool QueueDeniedOnOom(const client::Session& session) {
  std::vector<std::string_view> argv;
  for (const auto& cmd : session.queued) {
    argv.assign(cmd.begin(), cmd.end());
    const CommandSpec* queued = commands::Table().Resolve(argv);
    if (queued != nullptr && (queued->flags & commands::kDenyOom)) return true;
  }
  return false;
}

}  // namespace

bool EndsTransaction(const CommandSpec& spec, const client::Session& session) {
  return (spec.flags & commands::kRunsQueue) && session.in_multi;
}

bool QueueIfInMulti(const CommandSpec& spec, client::Session& session,
                    std::span<const std::string_view> args, resp::ReplyWriter& out) {
  if (!session.in_multi || (spec.flags & commands::kNoQueue)) return false;
  if (spec.flags & commands::kNoMulti) {  // SHUTDOWN, PSYNC, SYNC: as Redis's processCommand
    session.FlagTransaction();
    out.Error("ERR Command not allowed inside a transaction");
    return true;
  }
  session.queued.emplace_back(args.begin(), args.end());
  out.Simple("QUEUED");
  return true;
}

bool RejectExec(client::Session& session, const ServerState& state, resp::ReplyWriter& out) {
  if (OverMaxmemory(state) && QueueDeniedOnOom(session)) {
    session.EndTransaction();
    out.Error("EXECABORT Transaction discarded because of: " + std::string(kOomError));
    return true;
  }
  if (session.multi_dirty) {
    session.EndTransaction();
    out.Error("EXECABORT Transaction discarded because of previous errors.");
    return true;
  }
  return false;
}

void PrepareExec(Job& job, client::Session& session, bool with_keys) {
  session.in_multi = false;  // the queued commands run now, not re-queued
  job.kind = Job::Kind::kExec;
  job.guards = session.watched;
  // Fenced whatever EXEC's own flags: the queue may hold reads.
  if (EffectiveReadConsistency(*job.server, session) == client::ReadConsistency::kLinearizable) {
    job.fence = Job::ReadFence::kWanted;
  }
  if (with_keys) AppendQueuedWriteKeys(session, &job.keys);
  job.body = [](Job& j, keyspace::TxnView& view, resp::ReplyWriter& w) {
    client::Session& s = *j.session;
    w.ArrayHeader(s.queued.size());
    std::vector<std::string_view> argv;
    for (const auto& cmd : s.queued) {
      argv.assign(cmd.begin(), cmd.end());
      const CommandSpec* queued_spec = commands::Table().Resolve(argv);
      if (!auth::AdmitQueued(j.server->acl, s, *queued_spec, argv, w)) continue;
      commands::CommandContext ctx{argv, view, w, s, *j.server};
      queued_spec->handler(ctx);
      if (j.server->tracking.active()) {
        RememberReadKeys(j.server->tracking, *queued_spec, s, argv, /*in_exec=*/true);
      }
      view.EndCommand();
    }
    s.tracking.caching = false;  // CLIENT CACHING before MULTI covered the transaction
  };
}

bool WatchedKeysUnchanged(const mvcc::Snapshot& snap,
                          const std::map<std::string, int64_t>& guards) {
  for (const auto& [key, rev] : guards) {
    auto kv = snap.Get(key);
    if ((kv ? kv->mod_revision : 0) != rev) return false;
  }
  return true;
}

}  // namespace petacore::server
