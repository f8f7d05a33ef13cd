// src/replication/local_committer.h — standalone mode: an in-process revision counter.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "mvcc/store.h"
#include "replication/committer.h"

namespace petacore::replication {

/// Applies each CommitRequest straight to the store at applied_revision() + 1, after checking
/// its guards and compares against the latest state; serialized by a mutex, so it is the
/// store's only writer. `done` runs on the calling thread before Commit returns.
/// Also releases old versions (issue 21): after a commit that writes, at most once per
/// kCompactIntervalUs, the store is compacted to min(oldest live snapshot, applied)
/// (mvcc::Store::CompactReleased), so standalone keeps no old revision that no snapshot needs
/// for longer than that interval. `compact_every` <= 0 disables it
/// (tests of history); any positive value (historically a period) enables it.
class LocalCommitter : public Committer {
 public:
  /// `message_record_prefix`: where a request's messages are written (its prefix + "0", in
  /// the request's revision; keyspace/messages.h).
  explicit LocalCommitter(mvcc::Store& store, int64_t compact_every = 10000,
                          std::string message_record_prefix = {})
      : store_(store), compact_every_(compact_every),
        message_record_key_(std::move(message_record_prefix) + "0") {}
  void Commit(CommitRequest request, std::function<void(CommitResult)> done) override;

 private:
  mvcc::Store& store_;
  int64_t compact_every_;
  std::string message_record_key_;
  std::mutex mu_;
  /// The least time between two compactions: one costs a few µs (fences and a scan of the
  /// reader slots), a commit about as much, so compacting after every commit would cost
  /// standalone writes throughput for no memory worth having.
  static constexpr std::chrono::microseconds kCompactIntervalUs{1000};
  std::chrono::steady_clock::time_point last_compact_{};  // guarded by mu_
};

}  // namespace petacore::replication
