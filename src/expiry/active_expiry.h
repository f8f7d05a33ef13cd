// src/expiry/active_expiry.h — active expiry as the server runs it: the Expirer, gated by the
// Elector in replicated mode (always on in standalone mode), and its INFO lines.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "etcdlink/client.h"
#include "expiry/elector.h"
#include "expiry/expirer.h"
#include "expiry/index.h"
#include "mvcc/store.h"
#include "replication/committer.h"

namespace petacore::expiry {

struct ActiveExpiryOptions {
  bool enabled = true;  ///< false: nothing runs; INFO still reports the index
  std::string prefix;   ///< --etcd-prefix (replicated mode)
  std::string node_id;
  int64_t lease_ttl_s = 3;
  size_t max_in_flight = 256;  ///< ExpirerOptions::max_in_flight
};

/// Owns the election (when `client` is not null: replicated mode) and the expiry loop.
/// `index`, `committer`, `store` and `client` must outlive it. Start once after the initial
/// load; Stop (or destroy) before the committer goes away: it revokes a held leadership.
class ActiveExpiry {
 public:
  ActiveExpiry(Index& index, replication::Committer& committer, const mvcc::Store& store,
               etcdlink::Client* client, ActiveExpiryOptions options);
  ~ActiveExpiry();

  void Start();
  void Stop();

  /// Where the expiry loop reads the notify-keyspace-events bits (keyspace::notify) for the
  /// "expired" notification of each delete; thread-safe, called on the expiry thread. Call
  /// before Start. Unset: the cluster-wide value CONFIG SET stored in the replica
  /// ("\xff" "config/notify-keyspace-events"), so a setting given only on a node's command
  /// line is seen once the server passes its live Config value here.
  void SetNotifyFlags(std::function<int()> notify_flags);

  /// Whether this node deletes expired keys now.
  bool active() const;

  /// INFO lines ("name:value\r\n") for `section`: "stats" (expired_keys, expired_stale_perc,
  /// as Redis names them) or "petacore" (the election and the index). Thread-safe.
  std::string InfoLines(std::string_view section) const;

 private:
  Index& index_;
  ActiveExpiryOptions options_;
  std::unique_ptr<Elector> elector_;  // null in standalone mode
  std::unique_ptr<Expirer> expirer_;
  const mvcc::Store& store_;
  std::function<int()> notify_flags_;  // see SetNotifyFlags
};

}  // namespace petacore::expiry
