// src/server/executor.h — where work for one connection runs, and the lifetime rule for
// everything that calls back into a connection later.
//
// The rule (docs/architecture.md, "Threads and lifetimes"): a callback that may run after
// the call that registered it has returned — a commit completion, an OnApplied waiter, an
// ack or conflict bound, a parked blocking command's wake or timeout, a read fence, a
// KeyLocks wake, a folded follower's reply — never holds a reference or raw pointer to a
// connection or its executor. It holds a std::shared_ptr<Executor> and reaches the
// connection's state (Session, output buffer, resume) only from inside a function it Posts.
// Once the connection closes, the executor drops such functions unrun, so a late callback
// costs a lookup and a no-op instead of a use after free.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

namespace petacore::server {

/// A single-threaded place to continue work for one connection (its io thread). Shared:
/// the connection and every pending callback own it, so it outlives the connection. After
/// Close(), functions posted earlier or later are destroyed without running.
///
/// Thread-safety: Post and PostAfter may be called from any thread. Close and closed() only
/// on the owner's thread (the thread the posted functions run on), which is also the only
/// thread that reads the closed flag, so no lock is needed.
class Executor : public std::enable_shared_from_this<Executor> {
 public:
  virtual ~Executor() = default;

  /// Runs fn on the owner's thread, later (never inline) — unless Close() has run by then.
  void Post(std::function<void()> fn);
  /// Runs fn on the owner's thread after `delay` (ms) — unless Close() has run by then.
  void PostAfter(std::chrono::milliseconds delay, std::function<void()> fn);

  /// Owner's thread: the connection is gone; every posted function from now on is dropped.
  /// Idempotent.
  void Close() { closed_ = true; }
  /// Owner's thread: whether Close() ran.
  bool closed() const { return closed_; }

 protected:
  /// Implementations queue fn on the owner's thread (never run it inline).
  virtual void Schedule(std::function<void()> fn) = 0;
  /// Implementations queue fn on the owner's thread after `delay`.
  virtual void ScheduleAfter(std::chrono::milliseconds delay, std::function<void()> fn) = 0;

 private:
  bool closed_ = false;  // owner's thread only
};

inline void Executor::Post(std::function<void()> fn) {
  Schedule([self = shared_from_this(), fn = std::move(fn)] {
    if (!self->closed_) fn();
  });
}

inline void Executor::PostAfter(std::chrono::milliseconds delay, std::function<void()> fn) {
  ScheduleAfter(delay, [self = shared_from_this(), fn = std::move(fn)] {
    if (!self->closed_) fn();
  });
}

}  // namespace petacore::server
