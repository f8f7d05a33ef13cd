// store_observers_test.cc — the store's observers (server/store_observers.h): every applied
// batch reaches each of them, state observers before the blocking registry's wake-ups.
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "auth/registry.h"
#include "config/config_registry.h"
#include "keyspace/encoding.h"
#include "server/server_state.h"

namespace petacore {
namespace {

using mvcc::Mutation;

Mutation Put(std::string key, std::string value) {
  Mutation m;
  m.key = std::move(key);
  m.value = std::move(value);
  return m;
}

// One batch sets a user, a cluster-wide option and a key with a TTL, and pushes to the key a
// blocked client waits on: the client is woken after the users and options were updated, and
// the TTL key is indexed for active expiry.
TEST(StoreObservers, OneBatchReachesEveryObserverWakeUpsLast) {
  server::ServerState state;
  const std::string waited = keyspace::EncodeKey(0, "queue");
  bool woken = false;
  bool user_known_at_wake = false;
  int64_t entries_at_wake = -1;
  state.blocking.Add({waited}, [&] {
    woken = true;
    user_known_at_wake = state.acl.Find("alice") != nullptr;
    entries_at_wake = state.config.hash_max_listpack_entries.get();
  });
  const int64_t expire_at = keyspace::NowMs() - 1000;  // already due
  std::vector<Mutation> batch = {
      Put(auth::UserKey("alice"), "on nopass ~* +@all"),
      Put(config::ClusterConfigKey("hash-max-listpack-entries"), "7"),
      Put(keyspace::EncodeKey(0, "ttl-key"),
          keyspace::EncodeValue(keyspace::ValueType::kString, "v", expire_at)),
      Put(waited, keyspace::EncodeString("element")),
  };
  ASSERT_NE(state.config.hash_max_listpack_entries.get(), 7);
  state.store.Apply(1, batch);

  EXPECT_TRUE(woken);
  EXPECT_TRUE(user_known_at_wake);
  EXPECT_EQ(entries_at_wake, 7);
  EXPECT_EQ(state.expiry_index.CountDue(keyspace::NowMs()), 1u);
}

// Deleting a user closes its clients' connections (as Redis on ACL DELUSER), and only theirs.
TEST(StoreObservers, DeletedUserDisconnectsItsClients) {
  server::ServerState state;
  state.store.Apply(1, std::vector<Mutation>{Put(auth::UserKey("bob"), "on nopass ~* +@all")});
  client::Session bob, other;
  bob.id = 1;
  bob.user_name = "bob";
  other.id = 2;
  int bob_closed = 0, other_closed = 0;
  bob.disconnect = [&] { ++bob_closed; };
  other.disconnect = [&] { ++other_closed; };
  {
    std::lock_guard lock(state.clients_mu);
    state.clients[bob.id] = &bob;
    state.clients[other.id] = &other;
  }
  Mutation del;
  del.kind = Mutation::Kind::kDelete;
  del.key = auth::UserKey("bob");
  state.store.Apply(2, std::vector<Mutation>{del});
  EXPECT_EQ(bob_closed, 1);
  EXPECT_EQ(other_closed, 0);
  std::lock_guard lock(state.clients_mu);
  state.clients.clear();
}

// An applied ACL SETUSER that takes channel patterns away has the user's clients re-check their
// subscriptions (Session::recheck_channels); one that only adds rules does not, nor are other
// users' clients asked (issue 13, Redis 7.0's ACLKillPubsubClientsIfNeeded).
TEST(StoreObservers, NarrowedChannelsRecheckTheUsersClients) {
  server::ServerState state;
  state.store.Apply(1, std::vector<Mutation>{
                           Put(auth::UserKey("u"), "on nopass resetchannels &a &b +@all"),
                           Put(auth::UserKey("v"), "on nopass resetchannels &a +@all")});
  client::Session u, v;
  u.id = 1;
  u.user_name = "u";
  v.id = 2;
  v.user_name = "v";
  int u_checks = 0, v_checks = 0;
  u.recheck_channels = [&] { ++u_checks; };
  v.recheck_channels = [&] { ++v_checks; };
  {
    std::lock_guard lock(state.clients_mu);
    state.clients[u.id] = &u;
    state.clients[v.id] = &v;
  }
  state.store.Apply(2, std::vector<Mutation>{
                           Put(auth::UserKey("u"), "on nopass resetchannels &a &b &c -@all")});
  EXPECT_EQ(u_checks, 0);
  state.store.Apply(3, std::vector<Mutation>{
                           Put(auth::UserKey("u"), "on nopass resetchannels &c -@all")});
  EXPECT_EQ(u_checks, 1);
  EXPECT_EQ(v_checks, 0);
  std::lock_guard lock(state.clients_mu);
  state.clients.clear();
}

}  // namespace
}  // namespace petacore
