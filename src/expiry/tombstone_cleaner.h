// src/expiry/tombstone_cleaner.h — removes from etcd the keys a range tombstone deleted
// (replication/range_tombstone.h: FLUSHDB, FLUSHALL, DEL of a collection of thousands of
// elements), then the tombstone: every node dropped the range from its replica at once; this
// cleaner, on the expiry leader, deletes the stale keys from etcd afterwards a page at a
// time, so that etcd's size follows the data without one Raft entry of a million deletes.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "etcdlink/client.h"
#include "expiry/periodic_task.h"
#include "mvcc/store.h"

namespace petacore::expiry {

/// A background thread that, every interval, on the expiry leader only, takes each range
/// tombstone of this node's replica (start, end, revision R) and walks that range in etcd
/// (Range, `page_keys` at a time, latest revision). A page whose keys are all below R goes in
/// one DeleteRange of its stretch guarded by a compare "no key of the stretch at or above R";
/// otherwise (something was written there since) its keys below R go as per-key nested Txns
/// "compare mod_revision < R → delete" (nested as replication/etcd_txn_fanout.h nests
/// writes). Nothing written after the tombstone is ever removed. When the walk is done the
/// tombstone is deleted, compared on R (a newer tombstone of the same range stays). Errors
/// end the round; the next round starts over. Thread-safe; `client` and `store` must outlive
/// it.
class TombstoneCleaner {
 public:
  struct Options {
    std::string prefix;                    ///< --etcd-prefix
    std::function<int64_t()> interval_ms;  ///< time between rounds (read every round)
    std::function<bool()> leader;          ///< whether this node cleans now
    size_t max_txn_ops = 128;              ///< the etcd cluster's --max-txn-ops
    int64_t page_keys = 4000;              ///< keys read and deleted per Txn
  };
  TombstoneCleaner(etcdlink::Client& client, const mvcc::Store& store, Options options);
  ~TombstoneCleaner();

  void Start();
  void Stop();

  /// One round over every tombstone; returns the stale keys deleted.
  int64_t RunOnce();

  /// INFO lines: range_tombstones (in the replica at the last round),
  /// tombstone_stale_keys_deleted, tombstones_cleared, tombstone_cleaner_errors.
  std::string InfoLines() const;

 private:
  void Tick();
  /// Deletes the keys of [start, end) (store keys) below `below` from etcd; false on an etcd
  /// error.
  bool CleanRange(const std::string& start, const std::string& end, int64_t below,
                  int64_t* deleted);

  etcdlink::Client& client_;
  const mvcc::Store& store_;
  Options options_;
  std::atomic<int64_t> tombstones_{0}, deleted_{0}, cleared_{0}, errors_{0};
  PeriodicTask task_;  // last: its thread stops before the members it uses go
};

}  // namespace petacore::expiry
