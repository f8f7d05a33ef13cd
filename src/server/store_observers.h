// src/server/store_observers.h — the one place where the store's observers subscribe: every
// component that must see each applied batch (whether written on this node or received from
// etcd's watch) is listed here, at start-up, in a fixed order.
#pragma once

#include "server/server_state.h"

namespace petacore::server {

/// Installs `state.store`'s apply observer (mvcc::Store::SetApplyObserver), which hands each
/// applied batch, on the store's writer thread and before the batch's OnApplied callbacks
/// (so before any client is acked for it), to these observers in this order:
///   1. cluster-wide configuration (ClusterConfig: CONFIG SET of cluster-wide options);
///   2. ACL users (auth::Registry), then the disconnection of the clients of deleted users,
///      as Redis does on ACL DELUSER;
///   3. the expiry index (expiry::Index: keys with a TTL, for active expiry), then the chunk
///      references (keyspace::ChunkReferences: write ids and the meta keys referencing them,
///      for the chunk cleaner);
///   4. client-side caching's tracking table (TrackingTable: CLIENT TRACKING invalidations,
///      posted to the tracking connections; a batch that empties a database, or replication's
///      reload after compaction, is a flush: a null invalidation);
///   5. the blocking registry (BlockingRegistry: wakes parked BLPOP/BZPOPMIN... clients).
/// State first, wake-ups last: a blocking command woken by a batch runs again under the
/// options and ACL users that batch set. Pub/sub and keyspace notifications belong here too
/// when they come: after the state observers and before the blocking registry. Each
/// observer must be short and must not call back into the store's writer side. Called once, by ServerState's constructor (all observed
/// members are built before `store`); not thread-safe.
void SubscribeStoreObservers(ServerState& state);

}  // namespace petacore::server
