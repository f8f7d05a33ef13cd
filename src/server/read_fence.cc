#include "server/read_fence.h"

#include <atomic>
#include <memory>

#include "commands/context.h"
#include "replication/read_barrier.h"
#include "server/driver.h"

namespace petacore::server {

client::ReadConsistency EffectiveReadConsistency(const ServerState& state, const client::Session& session) {
  if (state.read_barrier == nullptr) return client::ReadConsistency::kLocal;  // standalone
  return session.read_consistency.value_or(state.config.read_consistency);
}

void AwaitApplied(ServerState& state, const std::shared_ptr<Executor>& executor,
                  int64_t revision, std::function<void(std::string error)> then) {
  // Exactly one of {store reached R, local timeout} answers. Every callback holds the
  // executor by shared_ptr (executor.h); the loser returns before posting anything.
  struct Pending {
    std::atomic<bool> answered{false};
    std::atomic<uint64_t> wait_id{0};  // the store waiter, cancelled by the timeout
    std::function<void(std::string)> then;
  };
  auto pending = std::make_shared<Pending>();
  pending->then = std::move(then);
  auto answer = [pending, executor] {
    if (pending->answered.exchange(true)) return;
    executor->Post([pending] { pending->then(""); });
  };
  if (state.store.applied_revision() >= revision) return answer();
  // The watch has not delivered R yet (usually a few ms). Bound the wait like an etcd call:
  // a replica that cannot catch up (watch cut off) must not hold the client forever.
  auto timeout = state.config.etcd_timeout;
  // An entry of the server's DeadlineQueue, not a timer per wait (issue 18): it almost
  // always finds the wait answered and ends there, off the connection's thread.
  state.bounds.AddAfter(timeout, [&state, executor, pending, revision, timeout] {
    if (pending->answered.load()) return;
    executor->Post([&state, pending, revision, timeout] {
      if (pending->answered.exchange(true)) return;
      state.store.CancelOnApplied(pending->wait_id.exchange(0));
      pending->then("ERR etcd: local replica did not reach revision " + std::to_string(revision) +
                    " within " + std::to_string(timeout.count()) + " ms");
    });
  });
  uint64_t id = state.store.OnApplied(revision, answer);
  pending->wait_id.store(id);
  // The timeout may have answered between OnApplied and the store above.
  if (pending->answered.load() && id != 0) {
    state.store.CancelOnApplied(pending->wait_id.exchange(0));
  }
}

void AwaitReadFence(ServerState& state, const std::shared_ptr<Executor>& executor,
                    std::function<void(std::string error)> then) {
  state.read_barrier->Await([&state, executor, then = std::move(then)](
                                replication::ReadBarrier::Result revision) mutable {
    if (!revision.ok()) {
      return executor->Post([then = std::move(then), error = "ERR etcd: " +
                                                         std::string(revision.status().message())] {
        then(error);
      });
    }
    AwaitApplied(state, executor, *revision, std::move(then));
  });
}

}  // namespace petacore::server
