// src/server/etcd_defragmenter.h — PetaCore defragments etcd members itself (issue 21):
// compaction frees pages inside each member's bbolt file but never shrinks the file; only
// Maintenance.Defragment gives the space back (to the file system and to etcd's quota). The
// expiry leader defragments one member at a time, when its file is mostly free pages.
// docs/operations.md "etcd compaction and defragmentation".
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "etcdlink/client.h"
#include "expiry/periodic_task.h"

namespace petacore::server {

/// One member's sizes from its last Maintenance.Status (bytes).
struct MemberSizes {
  std::string endpoint;
  bool answered = false;  ///< false: the last Status of this member failed
  int64_t db_size = 0;
  int64_t db_size_in_use = 0;
};

/// Whether a member with these sizes needs defragmenting: db_size > in_use * ratio_percent /
/// 100 and db_size - in_use > min_bytes (etcd-defrag-ratio-percent, etcd-defrag-min-bytes).
bool NeedsDefrag(const MemberSizes& m, int64_t ratio_percent, uint64_t min_bytes);

/// Polls every member's Status every `poll_interval` (on every node: INFO's etcd_db_size),
/// and on the expiry leader, when `enabled()`, defragments the member that needs it most
/// (NeedsDefrag; the most free bytes first). Rules:
///   - one member at a time (one thread makes every call, and Defragment blocks it);
///   - never while any member is silent (Client::member_responsive) or failed its Status in
///     this poll: the cluster is then one failure away from losing quorum's spare member;
///   - at most one defragmentation per `interval_ms()` (from the end of the previous one);
///   - while it runs the member is busy for this node's client: no new request goes to it
///     (etcdlink members.h). Other nodes' clients keep sending to it and wait (etcd blocks
///     the member's reads and writes for the defragmentation's duration).
/// Threads: one of its own; InfoLines from any thread.
class EtcdDefragmenter {
 public:
  struct Options {
    std::function<bool()> is_leader;         ///< ActiveExpiry::active()
    std::function<bool()> enabled;           ///< etcd-defrag
    std::function<int64_t()> ratio_percent;  ///< etcd-defrag-ratio-percent
    std::function<uint64_t()> min_bytes;     ///< etcd-defrag-min-bytes
    std::function<int64_t()> interval_ms;    ///< etcd-defrag-interval-ms
    std::chrono::milliseconds poll_interval{2000};
    std::chrono::milliseconds defrag_timeout{120000};  ///< deadline of one Defragment call
  };
  EtcdDefragmenter(etcdlink::Client& client, Options options);
  ~EtcdDefragmenter();
  EtcdDefragmenter(const EtcdDefragmenter&) = delete;
  EtcdDefragmenter& operator=(const EtcdDefragmenter&) = delete;

  void Start();
  void Stop();

  /// One round now (the thread's body): polls the sizes, defragments one member when the
  /// rules allow. Returns the index of the member defragmented, or -1.
  int RunOnce();

  /// INFO lines: etcd_db_size and etcd_db_size_in_use (the largest over the members that
  /// answered), etcd_db_sizes ("ip:port=size/in_use,..."), etcd_defrags, etcd_defrag_errors,
  /// etcd_last_defrag_member, etcd_last_defrag_time_ms (ms since the epoch),
  /// etcd_last_defrag_duration_ms, etcd_last_defrag_freed_bytes. Thread-safe.
  std::string InfoLines() const;

  int64_t defrags() const { return defrags_.load(std::memory_order_relaxed); }

 private:
  std::vector<MemberSizes> Poll();

  etcdlink::Client& client_;
  const Options options_;
  std::atomic<int64_t> defrags_{0}, errors_{0};
  std::atomic<int64_t> last_time_ms_{0}, last_duration_ms_{0}, last_freed_{0};
  int64_t last_end_steady_ms_ = 0;  // thread only; 0 = never

  mutable std::mutex info_mu_;  // guards sizes_, last_member_
  std::vector<MemberSizes> sizes_;
  std::string last_member_;

  expiry::PeriodicTask task_;  // last: its thread stops before the members it uses go
};

}  // namespace petacore::server
