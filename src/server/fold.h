// src/server/fold.h — folding: in replicated mode, single-key writes that arrive while
// another write on the same key is in flight wait here, and then run together — every handler
// in turn on one TxnView, one commit, each its own reply (50 INCRs of a hot key cost one put
// and one etcd round trip instead of 50).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace petacore::server {

struct Job;

/// Per-key queues of jobs waiting for the write in flight on their key. Thread-safe (a mutex);
/// jobs of any connection may queue on one key.
class FoldQueues {
 public:
  /// Largest group of folded commands (their handlers run one after another on one thread).
  static constexpr size_t kMaxGroup = 512;

  /// `job` writes only `key`. If no write on `key` is in flight, `job` leads: it is marked
  /// (job->folds, job->fold_key) so that its Finish calls Next, and true is returned (the
  /// caller starts it; `resume` is left alone). Otherwise the job waits (state kFoldWaiting),
  /// `resume` is moved into job->resume before any other thread can see the job, and false is
  /// returned: the reply comes later.
  bool LeadOrWait(const std::string& key, const std::shared_ptr<Job>& job,
                  std::function<void()>& resume);

  /// The write on `key` finished: the oldest waiting job (if any) leads the next group, with
  /// up to kMaxGroup - 1 followers (still kFoldWaiting); it is started on its own connection's
  /// thread. With nobody waiting the key is free again.
  void Next(const std::string& key);

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::vector<std::shared_ptr<Job>>> waiting_;
};

}  // namespace petacore::server
