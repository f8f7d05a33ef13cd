#include "server/read_fence.h"

#include <atomic>
#include <memory>

#include "commands/context.h"
#include "replication/read_barrier.h"
#include "server/driver.h"

namespace petacore::server {

std::optional<ReadConsistency> ParseReadConsistency(std::string_view s) {
  if (commands::EqualsIgnoreCase(s, "local")) return ReadConsistency::kLocal;
  if (commands::EqualsIgnoreCase(s, "linearizable")) return ReadConsistency::kLinearizable;
  return std::nullopt;
}

ReadConsistency EffectiveReadConsistency(const ServerState& state, const Session& session) {
  if (state.read_barrier == nullptr) return ReadConsistency::kLocal;  // standalone
  return session.read_consistency.value_or(state.config.read_consistency);
}

void AwaitReadFence(ServerState& state, Executor& executor,
                    std::function<void(std::string error)> then) {
  // Exactly one of {etcd error, store reached R, local timeout} answers; the losers must not
  // touch `executor` (the connection may be gone once it has its reply).
  struct Pending {
    std::atomic<bool> answered{false};
    std::function<void(std::string)> then;
  };
  auto pending = std::make_shared<Pending>();
  pending->then = std::move(then);
  auto answer = [pending, &executor](std::string error) {
    if (pending->answered.exchange(true)) return;
    executor.Post([pending, error = std::move(error)] { pending->then(error); });
  };
  state.read_barrier->Await(
      [&state, &executor, pending, answer](replication::ReadBarrier::Result revision) {
        if (!revision.ok()) return answer("ERR etcd: " + std::string(revision.status().message()));
        if (state.store.applied_revision() >= *revision) return answer("");
        // The watch has not delivered R yet (usually a few ms). Bound the wait like an etcd call:
        // a replica that cannot catch up (watch cut off) must not hold the client forever.
        auto timeout = state.config.etcd_timeout;
        executor.PostAfter(timeout, [pending, rev = *revision, timeout] {
          if (pending->answered.exchange(true)) return;
          pending->then("ERR etcd: local replica did not reach revision " + std::to_string(rev) +
                        " within " + std::to_string(timeout.count()) + " ms");
        });
        state.store.OnApplied(*revision, [answer] { answer(""); });
      });
}

}  // namespace petacore::server
