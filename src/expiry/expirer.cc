#include "expiry/expirer.h"

#include <spdlog/spdlog.h>

#include "keyspace/encoding.h"
#include "keyspace/messages.h"
#include "replication/range_tombstone.h"

namespace petacore::expiry {

using replication::CommitRequest;
using replication::CommitResult;
using replication::WriteOp;

CommitRequest DeleteRequest(const DueKey& key, int notify_flags,
                            const mvcc::Snapshot* snapshot) {
  CommitRequest req;
  req.background = true;  // issue 18's priority lane: never ahead of a client write
  req.compares.push_back({key.meta_key, key.mod_revision});
  const std::string end = keyspace::KeyEnd(key.meta_key);
  req.writes.push_back(snapshot != nullptr
                           ? replication::RangeDelete(*snapshot, key.meta_key, end)
                           : WriteOp{WriteOp::Kind::kDeleteRange, key.meta_key, {}, end});
  if (notify_flags != 0) {
    if (auto decoded = keyspace::DecodeKey(key.meta_key)) {
      keyspace::AppendKeyspaceEvent(&req.messages, notify_flags, keyspace::notify::kExpired,
                                    "expired", decoded->db, decoded->user_key);
    }
  }
  return req;
}

Expirer::Expirer(Index& index, replication::Committer& committer, std::function<bool()> active,
                 ExpirerOptions options)
    : index_(index), committer_(committer), active_(std::move(active)), options_(options) {}

Expirer::~Expirer() { Stop(); }

void Expirer::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Expirer::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  // Callbacks of requests in flight still touch this object; etcd calls have deadlines.
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return in_flight_ == 0; });
}

void Expirer::Run() {
  for (;;) {
    size_t room;
    {
      std::unique_lock lock(mu_);
      if (stopping_) return;
      room = options_.max_in_flight - in_flight_;
    }
    size_t submitted = room > 0 && active_() ? SubmitDue(room) : 0;
    std::unique_lock lock(mu_);
    if (submitted > 0 && submitted == room) {
      // More may be due: go on as soon as some requests complete, as Redis repeats its cycle
      // while many sampled keys were expired.
      cv_.wait(lock, [&] { return stopping_ || in_flight_ < options_.max_in_flight; });
    } else {
      cv_.wait_for(lock, options_.interval, [&] { return stopping_; });
    }
  }
}

size_t Expirer::SubmitDue(size_t limit) {
  auto due = index_.TakeDue(keyspace::NowMs(), limit);
  if (due.empty()) return 0;
  {
    std::lock_guard lock(mu_);
    in_flight_ += due.size();
  }
  const int notify_flags = notify_flags_ ? notify_flags_() : 0;
  std::vector<CommitRequest> requests;  // built first: no snapshot held while committing
  {
    std::optional<mvcc::Snapshot> snap;
    if (options_.store != nullptr) snap.emplace(options_.store->Read());
    for (const auto& key : due) {
      requests.push_back(DeleteRequest(key, notify_flags, snap ? &*snap : nullptr));
    }
  }
  for (size_t i = 0; i < due.size(); ++i) {
    CommitRequest req = std::move(requests[i]);
    DueKey& key = due[i];
    // LocalCommitter runs `done` before Commit returns, so mu_ must not be held here.
    committer_.Commit(std::move(req), [this, key = std::move(key)](CommitResult r) {
      switch (r.status) {
        case CommitResult::Status::kCommitted:
          expired_.fetch_add(1, std::memory_order_relaxed);
          break;  // the store's observer drops the key from the index once applied
        case CommitResult::Status::kConflict:
        case CommitResult::Status::kGuardFailed:
          stale_.fetch_add(1, std::memory_order_relaxed);
          break;  // rewritten or deleted: the observer has, or will have, the new version
        case CommitResult::Status::kError:
          if (errors_.fetch_add(1, std::memory_order_relaxed) % 1000 == 0) {
            spdlog::warn("active expiry: delete failed: {} (retrying)", r.error);
          }
          index_.Release(key);
          break;
      }
      std::lock_guard lock(mu_);
      --in_flight_;
      cv_.notify_all();
    });
  }
  return due.size();
}

}  // namespace petacore::expiry
