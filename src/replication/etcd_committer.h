// src/replication/etcd_committer.h — replicated mode: one etcd Txn per CommitRequest.
#pragma once

#include <atomic>
#include <string>

#include "etcdlink/client.h"
#include "replication/committer.h"

namespace petacore::replication {

/// Sends each CommitRequest as one etcd v3 Txn (asynchronously), with --etcd-prefix added to
/// every key:
///   no guards:  Txn{compare: compares, success: writes, failure: Range(each compared key)}
///   guards:     Txn{compare: guards, success: [that Txn nested], failure: []}
/// so a failed WATCH (outer compare) and a conflict (inner compare) are told apart, and a
/// conflict reply carries the conflicting keys' mod_revisions: waiting for the largest one to
/// be applied locally makes the retry read fresh data. etcd errors become "ERR etcd: <text>";
/// nothing is retried here (an indeterminate write must not be applied twice).
class EtcdCommitter : public Committer {
 public:
  EtcdCommitter(etcdlink::Client& client, std::string prefix)
      : client_(client), prefix_(std::move(prefix)) {}
  void Commit(CommitRequest request, std::function<void(CommitResult)> done) override;

  int64_t txns() const { return txns_.load(std::memory_order_relaxed); }
  int64_t conflicts() const { return conflicts_.load(std::memory_order_relaxed); }
  int64_t errors() const { return errors_.load(std::memory_order_relaxed); }

 private:
  etcdlink::Client& client_;
  std::string prefix_;
  std::atomic<int64_t> txns_{0}, conflicts_{0}, errors_{0};
};

}  // namespace petacore::replication
