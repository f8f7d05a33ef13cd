// src/server/driver.h — runs commands: lookup, arity, ACL, maxmemory, MULTI queuing
// (multi_exec.h), then either the read path (the handler on a snapshot, no commit) or a Job
// (job.h: commit, retries on conflict, ack-after-visible, parking, folding).
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "server/executor.h"
#include "server/fold.h"
#include "server/key_locks.h"
#include "server/server_state.h"
#include "client/session.h"

namespace petacore::commands {
struct CommandSpec;
}

namespace petacore::server {

struct Job;

/// Executes commands for connections. Thread-safe (stateless beyond the ServerState).
///
/// A command runs its handler on a TxnView over a fresh snapshot. Without writes, the reply is
/// ready at once. With writes, the view becomes one CommitRequest: once committed at revision
/// R, the reply is released only when the local store has applied R (read-your-writes on this
/// node from then on); on a conflict the handler re-runs after the conflicting revision is
/// applied locally, at most config.max_commit_retries times. EXEC does the same for all queued
/// commands at once, with the WATCHed keys as guards. In replicated mode, write commands first
/// take their keys in KeyLocks, so one node's writes to a key are sequenced locally, and
/// single-key writes queued behind each other are folded into one commit.
class Driver {
 public:
  explicit Driver(ServerState& state);

  ~Driver();

  /// Executes `args` (args[0] = command name) for `session`, appending the reply to *out.
  /// Returns true if the reply is already in *out; false if it will be, in which case
  /// `resume` runs on `executor` once it is. The args' bytes, `session` and *out must stay
  /// untouched and alive until then; the connection owning them must not Close() its
  /// executor while a command is unanswered (callbacks that fire after the reply only reach
  /// the connection through `executor`, which drops them once closed: executor.h).
  bool Execute(client::Session& session, std::span<const std::string_view> args, std::string* out,
               const std::shared_ptr<Executor>& executor, std::function<void()> resume);

  /// Whether `args` may run while earlier commands of the same connection are still in
  /// flight: a single-key write outside MULTI in replicated mode. Such writes on one key are
  /// queued in order behind each other (folding), so a pipeline of them gives the replies and
  /// the final state of running them one by one, while sharing etcd Txns.
  bool Overlappable(const client::Session& session, std::span<const std::string_view> args) const;

 private:
  /// Execute's body; fills `ob` (the resolved spec, whether the handler ran) and wraps the
  /// `resume` of a command that completes later with Observe.
  bool Dispatch(client::Session& session, std::span<const std::string_view> args,
                std::string* out, const std::shared_ptr<Executor>& executor,
                std::function<void()> resume, Observation& ob);
  /// `resume`, preceded by reporting the finished command to ServerState::observability.
  std::function<void()> Observe(const Observation& ob, client::Session& session,
                                std::span<const std::string_view> args, std::string* out,
                                std::function<void()> resume);
  /// The read path of a command that cannot write: on a snapshot at once, or (linearizable
  /// reads) after the read fence. True when the reply is complete; false when it went on
  /// asynchronously, having moved `resume` (wrapped by Observe) into the continuation.
  bool RunReadPath(const commands::CommandSpec& spec, client::Session& session,
                   std::span<const std::string_view> args, std::string* out,
                   const std::shared_ptr<Executor>& executor, std::function<void()>& resume,
                   const Observation& ob, bool read_only_call);
  /// A read-only command under linearizable reads: waits for etcd's current revision to be
  /// applied locally (read_fence.h), then runs the handler and calls `resume`.
  void ExecuteLinearizableRead(const commands::CommandSpec& spec, client::Session& session,
                               std::span<const std::string_view> args, std::string* out,
                               const std::shared_ptr<Executor>& executor,
                               std::function<void()> resume);
  /// Builds the Job of a command that may write or block, or of EXEC (job.h).
  std::shared_ptr<Job> MakeJob(const commands::CommandSpec& spec, client::Session& session,
                               std::span<const std::string_view> args, std::string* out,
                               const std::shared_ptr<Executor>& executor);

  ServerState& state_;
  KeyLocks key_locks_;  // replicated mode: one write at a time per key on this node
  FoldQueues folds_;    // replicated mode: single-key writes queued behind each other (fold.h)
};

}  // namespace petacore::server
