// src/server/tracking.h — client-side caching's tracking table (CLIENT TRACKING, Redis 7.0's
// tracking.c behaviour; our code): which clients read which keys, and which clients watch
// which prefixes, so that a change of a key sends its invalidation.
//
// The table sees every batch this node's store applies (store_observers.cc), whether written
// on this node or received from etcd's watch, so a write on any node of the cluster
// invalidates what a client cached from this node (docs/consistency.md, "Client-side caching
// across nodes").
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "client/session.h"
#include "commands/table.h"
#include "config/config.h"
#include "mvcc/store.h"

namespace petacore::server {

/// Keys remembered for tracking clients and the BCAST prefixes, with the invalidation logic.
/// Owned by ServerState; thread-safe (one mutex; invalidations are delivered after it is
/// released, through the Deliver function). Keys are user keys whatever the database, as
/// Redis's tracking table.
class TrackingTable {
 public:
  /// Hands one invalidation to a client, from any thread: `source` is the tracking client,
  /// `redirect` its REDIRECT id (0 = none), `keys` the user keys or null ("everything").
  using Deliver = std::function<void(int64_t source, int64_t redirect,
                                     std::shared_ptr<const std::vector<std::string>> keys)>;

  /// `config` (tracking-table-max-keys) outlives the table.
  explicit TrackingTable(const config::Config* config) : config_(config) {}

  /// Sets the delivery function; once, at start-up, before any client tracks.
  void SetDeliver(Deliver deliver) { deliver_ = std::move(deliver); }

  /// Whether any client tracks: one relaxed load, for the read path of every command.
  bool active() const { return clients_count_.load(std::memory_order_relaxed) > 0; }

  /// A client's tracking mode as the table needs it.
  struct Mode {
    bool bcast = false;
    bool noloop = false;
    int64_t redirect = 0;
    std::vector<std::string> prefixes;  ///< BCAST only: all of the client's prefixes
  };
  /// CLIENT TRACKING on: registers (or updates) client `id`.
  void Enable(int64_t id, const Mode& mode);
  /// CLIENT TRACKING off, RESET, disconnection: forgets client `id` (its remembered keys are
  /// dropped lazily, as Redis: a later change of them finds it gone). Idempotent.
  void Disable(int64_t id);
  /// Default mode: client `id` read `keys` (user keys); over tracking-table-max-keys, random
  /// keys are evicted and invalidated (Redis's trackingLimitUsedSlots).
  void Remember(int64_t id, std::span<const std::string_view> keys);

  /// A batch applied to this node's store (store writer thread): every changed user key is
  /// invalidated for the clients that read it (then forgotten) and for BCAST clients whose
  /// prefix matches; `flush` (FLUSHALL/FLUSHDB, a reload) sends every tracking client a null
  /// invalidation and empties the key table, as Redis's trackingInvalidateKeysOnFlush.
  /// A key noted by NoteOwnWrites is its writer's own change (NOLOOP).
  void OnApplied(std::span<const mvcc::Mutation> batch, bool flush);

  /// NOLOOP: client `id` is about to commit writes of these store keys; the next change of
  /// each key that this node applies is taken as that client's own (not sent to it).
  void NoteOwnWrites(int64_t id, std::span<const std::string> store_keys);
  /// The commit of NoteOwnWrites' writes failed or was not made: forget them (client `id`).
  void ForgetOwnWrites(int64_t id);

  /// Keys remembered now (INFO tracking_total_keys).
  size_t keys() const;

  /// INFO's tracking figures as Redis 7.0's: `clients` with tracking on
  /// (tracking_clients), `keys` remembered (tracking_total_keys), `items`, the (key, client)
  /// pairs behind them (tracking_total_items), and `prefixes`, the distinct BCAST prefixes
  /// of the tracking clients, "" included (tracking_total_prefixes). O(BCAST prefixes).
  struct Counts {
    size_t clients = 0, keys = 0, items = 0, prefixes = 0;
  };
  Counts counts() const;

 private:
  struct Client {
    bool bcast = false;
    bool noloop = false;
    int64_t redirect = 0;
    std::vector<std::string> prefixes;
  };
  struct Message {
    int64_t source, redirect;
    std::shared_ptr<const std::vector<std::string>> keys;
  };
  /// Evicts random keys until the table fits tracking-table-max-keys; under mu_.
  void EvictOverLimit(std::vector<Message>* out);
  /// Invalidates one key for the clients that read it (skipping `writer` when NOLOOP); mu_.
  void InvalidateKey(const std::string& key, int64_t writer, std::vector<Message>* out);
  void Send(std::vector<Message>& messages);

  const config::Config* config_;
  Deliver deliver_;
  std::atomic<int64_t> clients_count_{0};
  mutable std::mutex mu_;
  std::unordered_map<int64_t, Client> clients_;
  std::unordered_map<std::string, std::unordered_set<int64_t>> keys_;
  size_t items_ = 0;  // the sum of keys_' set sizes (INFO tracking_total_items); under mu_
  std::unordered_map<std::string, int64_t> own_;  // NOLOOP: user key -> writing client
  std::mt19937_64 rng_{0x7261636b};
};

/// After a command of `session` ran, while `table.active()`: in CLIENT TRACKING's default
/// mode, remembers the keys of a readonly command (key specs), honouring OPTIN/OPTOUT and
/// CLIENT CACHING, whose flag lasts one command (CLIENT commands aside, and for the whole of
/// an EXEC: `in_exec` keeps it), as Redis. The session's connection thread.
void RememberReadKeys(TrackingTable& table, const commands::CommandSpec& spec,
                      client::Session& session, std::span<const std::string_view> args,
                      bool in_exec = false);

/// The user keys a batch changes (meta keys and collection subkeys map to their key), each
/// once, in first-seen order.
std::vector<std::string> ChangedUserKeys(std::span<const mvcc::Mutation> batch);

}  // namespace petacore::server
