// src/client/session.h — the per-connection state commands may read or change.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string_view>
#include <string>
#include <vector>

#include "client/read_consistency.h"

namespace petacore::auth {
class User;
}

namespace petacore::client {

/// Pub/sub messages for one client, from one applied revision, in order.
struct PubSubDelivery {
  /// Own the bytes the views point into (the message records of the revision).
  std::vector<std::shared_ptr<const std::string>> records;
  struct Item {
    char type;                 ///< 'm' message, 'p' pmessage, 's' smessage (as Redis)
    std::string pattern;       ///< pmessage only
    std::string_view channel;  ///< into `record`
    std::string_view payload;  ///< into `record`
  };
  std::vector<Item> items;
};

/// State of one client connection: selected db, name, MULTI queue, WATCHed keys.
/// Owned by its Connection; touched only on that connection's io thread.
struct Session {
  int64_t id = 0;                  ///< CLIENT ID: unique, increasing per server
  int db = 0;                      ///< SELECTed database, 0..15
  int protocol = 2;                ///< RESP version (HELLO)
  std::string name;                ///< CLIENT SETNAME
  std::string lib_name, lib_ver;   ///< CLIENT SETINFO
  std::string addr, laddr;         ///< peer and local "ip:port"
  int64_t created_ms = 0;          ///< connection time, ms since epoch
  /// For CLIENT LIST from other threads: atomics, so the owner never takes a lock per command.
  std::atomic<int64_t> last_command_ms{0};
  std::atomic<const char*> last_command{"NULL"};  ///< a command table name (static storage)
  bool close_after_reply = false;  ///< QUIT, or CLIENT KILL of itself (reply first, then close)

  // CLIENT REPLY (as Redis's CLIENT_REPLY_OFF / _SKIP_NEXT): the Connection drops the reply
  // of a command when, once the command ran, `reply_off` is set or the command was the one
  // after CLIENT REPLY SKIP (it takes `reply_skip_next` before running it).
  bool reply_off = false;
  bool reply_skip_next = false;
  /// CLIENT NO-EVICT (a flag only: client eviction arrives later). Read by CLIENT LIST.
  std::atomic<bool> no_evict{false};
  /// A blocking command of this client is parked (BLPOP ...): set and cleared by the Driver on
  /// the connection's thread, read by CLIENT UNBLOCK and CLIENT LIST from other threads.
  std::atomic<bool> blocked{false};

  // MULTI/EXEC (as Redis multi.c): commands queued after MULTI run at EXEC as one commit.
  bool in_multi = false;
  bool multi_dirty = false;  ///< a queued command was rejected: EXEC answers EXECABORT
  std::vector<std::vector<std::string>> queued;
  /// The etcd revision of this client's last acknowledged write (0 = none): WAIT's target.
  int64_t last_write_revision = 0;
  /// WATCHed store keys and the mod_revision each had when watched (0 = absent).
  std::map<std::string, int64_t> watched;

  /// PETACORE READCONSISTENCY; unset = the server's --read-consistency.
  std::optional<ReadConsistency> read_consistency;
  /// Linearizable reads: the fence shared by the commands of one input batch (connection.cc).
  ReadFenceBatch read_fence;
  // Authentication and ACL (src/auth/access.h): the user this client acts as. user_name is
  // listed by CLIENT LIST (changed under commands::ServerView::ClientsMutex).
  std::string user_name = "default";
  bool authenticated = false;  ///< as Redis's c->authenticated
  bool acl_ready = false;      ///< the fields below are set (auth::InitSession)
  uint64_t acl_epoch = 0;      ///< auth::Registry::epoch() when acl_user was read
  std::shared_ptr<const auth::User> acl_user;  ///< user_name's current definition
  /// Closes the connection from any thread (set by Connection under clients_mu; null in
  /// in-process tests): how the clients of a deleted ACL user are dropped at once, as Redis.
  std::function<void()> disconnect;
  /// From any thread: posts to the connection's thread a check that the user's current channel
  /// rules still allow every subscription (auth::SubscriptionsAllowed), and disconnects the
  /// client when not, as Redis 7.0's ACLKillPubsubClientsIfNeeded. The store observer calls it
  /// for the clients of a user whose channel rules an applied ACL SETUSER narrowed (on any
  /// node). Set by the Connection under clients_mu like `disconnect`; null in in-process tests.
  std::function<void()> recheck_channels;
  /// CLIENT TRACKING (Redis 7.0's client-side caching); connection thread only. The keys a
  /// client is sent invalidations for live in the server's tracking table (server/tracking.h).
  struct Tracking {
    bool on = false;
    bool bcast = false;   ///< BCAST: every change of a key under `prefixes`
    bool optin = false;   ///< OPTIN: only reads right after CLIENT CACHING yes are remembered
    bool optout = false;  ///< OPTOUT: reads right after CLIENT CACHING no are not remembered
    bool noloop = false;  ///< NOLOOP: no invalidations for this connection's own writes
    bool caching = false; ///< CLIENT CACHING yes|no given, for the next command (not CLIENT)
    int64_t redirect = 0; ///< REDIRECT client id; 0 = this connection
    bool broken_redirect = false;  ///< the REDIRECT target was gone when an invalidation came
    std::vector<std::string> prefixes;  ///< BCAST prefixes ("" = every key)
  } tracking;
  /// Delivers an invalidation message to this connection from any thread: the user keys, or
  /// null for "invalidate everything" (FLUSHALL, a reload); or, with `broken_redirect` != 0,
  /// Redis's `tracking-redir-broken` push (this client's REDIRECT target is gone).
  /// `redirected`: this client is the REDIRECT target of another tracking client. Set by the
  /// Connection under the server's clients mutex, for its lifetime (null in in-process
  /// tests); the bytes are built and written on the connection's own thread, between replies,
  /// in its protocol (RESP3: a push; RESP2: only to a redirect target in subscribed mode, as
  /// a message on `__redis__:invalidate`, as Redis's sendTrackingMessage).
  std::function<void(std::shared_ptr<const std::vector<std::string>> keys,
                     int64_t broken_redirect, bool redirected)>
      push_invalidation;
  /// Set by the Driver while a blocking command (BLPOP ...) of this client is parked, cleared
  /// when it is answered; connection thread only. The connection calls it when the client
  /// hangs up meanwhile: the command ends without a reply and leaves the blocking registry,
  /// so it cannot take an element pushed later (as Redis frees a disconnected blocked client).
  std::function<void()> abandon_blocked;
  /// Set with `abandon_blocked`, connection thread only: answers the parked command now, with
  /// its timeout reply (false) or "-UNBLOCKED client unblocked via CLIENT UNBLOCK" (true).
  std::function<void(bool error)> wake_blocked;
  /// CLIENT UNBLOCK from any thread (set by Connection under clients_mu like `disconnect`;
  /// null in in-process tests): posts `wake_blocked` to the connection's thread, where it does
  /// nothing if the command was answered meanwhile.
  std::function<void(bool error)> unblock;

  /// Pub/sub (as Redis's c->pubsub_channels, pubsub_patterns, pubsub_shard_channels): what
  /// this client is subscribed to, as its subscription keys are committed (connection thread
  /// only; CLIENT LIST reads the sizes under the clients mutex). A RESP2 client with any of
  /// them is in subscribed mode.
  std::set<std::string> channels, patterns, shard_channels;
  /// Subscriptions whose key is committed but not yet confirmed to the client (kind byte
  /// 'c'/'p'/'s' + name): a message that reaches them before the confirmation (the same
  /// revision) is held by the connection until after the confirmation. Connection thread.
  std::set<std::string> pending_subscriptions;
  /// A subscription key of this client may exist (a SUBSCRIBE was sent to the committer):
  /// the connection's end deletes its range.
  bool pubsub_keys = false;
  /// The sizes of the sets, for CLIENT LIST from other threads (CountSubscriptions).
  std::atomic<int> sub_count{0}, psub_count{0}, ssub_count{0};
  /// Publishes the sets' sizes to the counters above (after a change; connection thread).
  void CountSubscriptions() {
    sub_count.store(static_cast<int>(channels.size()), std::memory_order_relaxed);
    psub_count.store(static_cast<int>(patterns.size()), std::memory_order_relaxed);
    ssub_count.store(static_cast<int>(shard_channels.size()), std::memory_order_relaxed);
  }
  size_t subscriptions() const { return channels.size() + patterns.size() + shard_channels.size(); }
  /// Delivers pub/sub messages to this connection from any thread (set by the Connection
  /// under the clients mutex; null in in-process tests). The bytes are built on the
  /// connection's thread in its protocol (RESP2 array, RESP3 push).
  std::function<void(std::shared_ptr<const PubSubDelivery> delivery)> push_messages;
  /// MONITOR (server/monitor.h): appends already-framed bytes (a "+..." line) to this
  /// connection's output from any thread; set by the Connection, null in in-process tests.
  std::function<void(std::shared_ptr<const std::string> bytes)> push_raw;
  /// MONITOR ran on this connection: keyspace commands are refused, as Redis's replica flag.
  std::atomic<bool> monitor{false};

  /// Leaves MULTI and drops the queue; the WATCHed keys stay.
  void ResetMulti() {
    in_multi = false;
    multi_dirty = false;
    queued.clear();
  }
  /// The end of a transaction, answered or discarded: ResetMulti and forget the WATCHed keys
  /// (Redis's discardTransaction + unwatchAllKeys).
  void EndTransaction() {
    ResetMulti();
    watched.clear();
  }
  /// A command rejected while inside MULTI makes EXEC answer EXECABORT (Redis's
  /// flagTransaction); outside MULTI, nothing.
  void FlagTransaction() {
    if (in_multi) multi_dirty = true;
  }
};

}  // namespace petacore::client
