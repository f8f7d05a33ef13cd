// src/auth/registry.h — the ACL users every connection checks against, and where they live.
//
// Users are stored as internal keys under the data prefix: "\xff" "acl/user/<name>" -> the
// user's rule line (User::Describe, passwords only as SHA-256 "#<hex>"), so they travel like
// data: ACL SETUSER/DELUSER commit them through the committer (an etcd Txn in replicated
// mode), every node's Sync applies them to its mvcc store, and the store's apply observer
// hands each applied batch to Registry::OnApplied, which republishes the changed users. Every
// node therefore enforces the same ACL, from the revision the watch delivered on.
//
// The "default" user comes from --requirepass (nopass when unset) until a stored "default"
// exists (ACL SETUSER default ...); from then on the stored one wins, on every node and after
// restarts, until ACL SETUSER default changes it again. (Redis likewise lets the ACL file
// override requirepass.)
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "auth/user.h"
#include "mvcc/store.h"

namespace petacore::auth {

/// The store key prefix of stored users ("\xff" "acl/user/").
inline constexpr std::string_view kUserKeyPrefix =
    "\xff"
    "acl/user/";
/// The store key of user `name`.
std::string UserKey(std::string_view name);

/// One ACL LOG entry, with Redis 7.0.15's fields (its ACLLogEntry).
struct AclLogEntry {
  int64_t count = 1;        ///< denials grouped into this entry
  std::string reason;       ///< "command", "key", "channel" or "auth"
  std::string context;      ///< "toplevel" or "multi"
  std::string object;       ///< the command's full name, the key, the channel, or AUTH's argv[0]
  std::string username;     ///< the user refused (for "auth": the name given)
  int64_t ctime_ms = 0;     ///< the last denial's time, ms since the epoch
  std::string client_info;  ///< the client's CLIENT INFO line at the last denial
};

/// The node's ACL LOG (Redis 7.0's ACLLog): the newest denials first, at most kMaxLen. Node
/// local, as Redis's is per server. Thread-safe (one mutex; entries are added only on
/// denials).
class AclLog {
 public:
  /// Redis's acllog-max-len default (the option is inert here).
  static constexpr size_t kMaxLen = 128;
  /// Grouping window of Redis's ACL_LOG_GROUPING_MAX_TIME (ms).
  static constexpr int64_t kGroupingMs = 60000;

  /// Adds `entry` (count 1, ctime_ms set) as Redis's addACLLogEntry: when one of the 10 newest
  /// entries has the same reason, context, object and username and was updated less than
  /// kGroupingMs before, that one counts it (count+1, new time and client info) and moves to
  /// the front; else `entry` goes in front and the oldest beyond kMaxLen are dropped.
  void Add(AclLogEntry entry);
  /// The newest `count` entries, newest first.
  std::vector<AclLogEntry> Newest(size_t count) const;
  /// ACL LOG RESET: forgets every entry.
  void Reset();

 private:
  mutable std::mutex mu_;
  std::deque<AclLogEntry> entries_;  ///< newest first
};

/// The current users. Thread-safe: readers take shared_ptrs to immutable Users; the store's
/// writer thread publishes changes.
class Registry {
 public:
  Registry();

  /// Sets the configured default user from --requirepass ("" = nopass). Call at start-up.
  void Configure(std::string_view requirepass);

  /// Store apply observer: republishes users whose keys `batch` puts or deletes. Quick; runs
  /// on the store's writer thread before the batch's OnApplied callbacks, so a client acked
  /// after its ACL SETUSER already sees the new user. Returns the names of users that no
  /// longer exist (never "default": deleting its stored key restores the configured one).
  /// When `narrowed` is given, the names of users whose channel rules lost something
  /// (User::ChannelsNarrowed) are appended to it: their subscribers must be re-checked.
  std::vector<std::string> OnApplied(std::span<const mvcc::Mutation> batch,
                                     std::vector<std::string>* narrowed = nullptr);

  /// The user called `name`, or null.
  std::shared_ptr<const User> Find(std::string_view name) const;
  /// The effective "default" user (never null).
  std::shared_ptr<const User> Default() const;
  /// Every user, sorted by name (ACL LIST / ACL USERS order, as Redis's rax).
  std::vector<std::shared_ptr<const User>> All() const;
  /// Changes on every publish: a connection re-reads its user when this moved.
  uint64_t epoch() const { return epoch_.load(std::memory_order_acquire); }
  /// The node's ACL LOG.
  AclLog& Log() { return log_; }

 private:
  AclLog log_;
  mutable std::shared_mutex mu_;
  std::shared_ptr<const User> config_default_;
  std::map<std::string, std::shared_ptr<const User>, std::less<>> stored_;
  std::atomic<uint64_t> epoch_{1};
};

/// The user described by a stored rule line, or null (logged) when the line does not parse.
std::shared_ptr<const User> ParseStoredUser(std::string_view name, std::string_view line);

}  // namespace petacore::auth
