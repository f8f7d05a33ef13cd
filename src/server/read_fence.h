// src/server/read_fence.h — the driver's side of a linearizable read: decide whether a
// command needs it, and wait (without blocking a thread) until the local replica is at least
// as new as etcd was when the command arrived; and the same wait for a revision this node
// acknowledged before applying it (`write-ack committed`).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "client/read_consistency.h"
#include "client/session.h"
#include "server/executor.h"
#include "server/server_state.h"

namespace petacore::server {

/// The mode in force on `session`: its own (PETACORE READCONSISTENCY) or the server's
/// default (--read-consistency). Always kLocal in standalone mode, where the one copy of the
/// data is the truth and every read is already linearizable.
client::ReadConsistency EffectiveReadConsistency(const ServerState& state, const client::Session& session);

/// Fetches etcd's current revision R through state.read_barrier, waits until the store applied
/// R, then runs `then("")` on `executor`. On an etcd error, or if the store does not reach R
/// within config.etcd_timeout, runs `then(error)` instead with a Redis error text
/// ("ERR etcd: ..." as writes report etcd errors). `then` runs at most once (exactly once
/// while the executor is open), never inline. The store waiter is cancelled when the timeout
/// answers first. Precondition: state.read_barrier is set (replicated mode).
void AwaitReadFence(ServerState& state, const std::shared_ptr<Executor>& executor,
                    std::function<void(std::string error)> then);

/// Runs `then("")` on `executor` once the store applied `revision` (at once, posted, if it
/// has), or `then(error)` if it has not within config.etcd_timeout ("ERR etcd: local replica
/// did not reach revision R within T ms"). `then` runs at most once (exactly once while the
/// executor is open), never inline; the store waiter is cancelled when the timeout answers
/// first. The second half of AwaitReadFence, and the wait of `write-ack committed`
/// (ServerState::acked_revision).
void AwaitApplied(ServerState& state, const std::shared_ptr<Executor>& executor,
                  int64_t revision, std::function<void(std::string error)> then);

}  // namespace petacore::server
