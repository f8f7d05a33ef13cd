// src/server/pubsub.h — pub/sub across the cluster: the subscription table every node builds
// from the replicated subscription keys, and the delivery of the messages each applied
// revision carries (keyspace/messages.h; docs/consistency.md "Pub/Sub").
//
// A subscription is an internal key (keyspace::SubscriptionKey) that SUBSCRIBE commits and
// UNSUBSCRIBE, RESET or the client's disconnection deletes. Every node applies every such key
// in revision order, so every node counts every node's subscribers (PUBLISH's reply, PUBSUB
// NUMSUB / NUMPAT / CHANNELS), and this node delivers a message of revision P exactly to its
// own clients whose subscription key was applied before P and not deleted before P: the same
// set every node counted at P.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "client/session.h"
#include "keyspace/messages.h"
#include "mvcc/store.h"

namespace petacore::server {

/// A random id for this server process (never 0): its subscription keys' middle part.
uint64_t NewProcessId();

/// The cluster-wide subscription table and this process's delivery table. Owned by
/// ServerState; thread-safe (one mutex; deliveries are handed out after it is released).
class PubSubHub {
 public:
  /// Hands each client its messages of one revision (client id, its messages), from the
  /// store's writer thread.
  using Deliveries =
      std::vector<std::pair<int64_t, std::shared_ptr<const client::PubSubDelivery>>>;
  using Deliver = std::function<void(Deliveries& deliveries)>;

  /// `process`: this server process's id in subscription keys (random, unique per start).
  explicit PubSubHub(uint64_t process) : process_(process) {}

  uint64_t process() const { return process_; }
  /// Sets the delivery function; once, at start-up, before any client subscribes.
  void SetDeliver(Deliver deliver) { deliver_ = std::move(deliver); }

  /// Store observer (store_observers.cc): applies the subscription keys of `batch` to the
  /// tables, then delivers the messages of its message records to this process's matching
  /// subscribers, in the batch's order. `reloading`: a reload after compaction, whose records
  /// are old messages (not delivered again: docs/consistency.md).
  void OnApplied(int64_t revision, std::span<const mvcc::Mutation> batch, bool reloading);

  /// PUBLISH's reply: the subscribers cluster-wide that receive a message on `channel` now —
  /// one per subscription of the channel plus one per (client, pattern) matching it (as
  /// Redis counts); SPUBLISH (`shard`): the shard channel's subscribers.
  /// `revision` > 0: as of that revision (applied here): the changes of the subscription
  /// table after it are taken back (the last kRecentChanges are kept; older = now).
  int64_t Receivers(bool shard, std::string_view channel, int64_t revision = 0) const;
  /// PUBSUB CHANNELS / SHARDCHANNELS: channels with a subscriber anywhere, matching
  /// `pattern` when given.
  std::vector<std::string> Channels(bool shard, std::optional<std::string_view> pattern) const;
  /// PUBSUB NUMSUB / SHARDNUMSUB: subscribers of `channel` cluster-wide.
  int64_t NumSub(bool shard, std::string_view channel) const;
  /// PUBSUB NUMPAT: distinct patterns subscribed anywhere (Redis 7.0 counts patterns).
  int64_t NumPat() const;
  /// This process's clients with at least one subscription (lease loss: they are dropped).
  std::vector<int64_t> LocalClients() const;

 private:
  using Table = std::unordered_map<std::string, int64_t>;
  using Local = std::unordered_map<std::string, std::unordered_set<int64_t>>;
  static int Index(keyspace::SubscriptionKind kind);
  void ApplySubscription(int64_t revision, const mvcc::Mutation& m);
  /// One change of totals_, for Receivers as of a past revision.
  struct Change {
    int64_t revision;
    int index;  // 0 channel, 1 pattern, 2 shard
    std::string name;
    int delta;
  };
  static constexpr size_t kRecentChanges = 65536;
  std::deque<Change> recent_;
  void Collect(std::string_view record,
               std::unordered_map<int64_t, std::shared_ptr<client::PubSubDelivery>>* out,
               std::vector<int64_t>* order);

  const uint64_t process_;
  Deliver deliver_;
  mutable std::mutex mu_;
  std::unordered_set<std::string> keys_;  // every subscription key applied and not deleted
  Table totals_[3];                       // name -> subscriptions, cluster-wide (c, p, s)
  Local local_[3];                        // name -> this process's subscribed clients
};

}  // namespace petacore::server
