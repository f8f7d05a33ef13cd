// src/expiry/flush_cleaner.h — removes from etcd the keys a FLUSHDB marker deleted
// (replication/flush_marker.h): FLUSHDB puts one marker key, every node drops the database
// from its replica at once, and this cleaner, on the expiry leader, deletes the stale keys
// from etcd afterwards in Txns of a few thousand, so that etcd's size follows the data
// without one Raft entry of a million deletes.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "etcdlink/client.h"
#include "expiry/periodic_task.h"
#include "mvcc/store.h"

namespace petacore::expiry {

/// A background thread that, every interval, on the expiry leader only, walks each
/// database that has a flush marker in this node's replica: pages of etcd's keys of that
/// database (Range, `page_keys` at a time, latest revision), and for the keys whose
/// mod_revision is below the marker's one Txn of per-key nested Txns "compare mod_revision <
/// marker revision → delete the key" (nested as replication/etcd_txn_fanout.h nests writes),
/// so that a key written after the flush is never removed, whatever happens meanwhile. A
/// database whose walk found nothing stale is not walked again until its marker moves (or
/// this node regains the leadership). Errors end the round; the next round starts over.
/// Thread-safe; `client` and `store` must outlive it.
class FlushCleaner {
 public:
  struct Options {
    std::string prefix;                     ///< --etcd-prefix
    std::function<int64_t()> interval_ms;   ///< time between rounds (read every round)
    std::function<bool()> leader;           ///< whether this node cleans now
    size_t max_txn_ops = 128;               ///< the etcd cluster's --max-txn-ops
    int64_t page_keys = 4000;               ///< keys read and deleted per Txn
  };
  FlushCleaner(etcdlink::Client& client, const mvcc::Store& store, Options options);
  ~FlushCleaner();

  void Start();
  void Stop();

  /// One round over every database with a marker; returns the stale keys deleted.
  int64_t RunOnce();

  /// INFO lines: flush_stale_keys_deleted, flush_cleaner_rounds, flush_cleaner_errors.
  std::string InfoLines() const;

 private:
  void Tick();
  /// Deletes db's keys below `below` from etcd; false on an etcd error.
  bool CleanDb(int db, int64_t below, int64_t* deleted);

  etcdlink::Client& client_;
  const mvcc::Store& store_;
  Options options_;
  std::array<int64_t, 16> clean_below_{};  // marker revision each db was last found clean at
  std::atomic<int64_t> deleted_{0}, rounds_{0}, errors_{0};
  PeriodicTask task_;  // last: its thread stops before the members it uses go
};

}  // namespace petacore::expiry
