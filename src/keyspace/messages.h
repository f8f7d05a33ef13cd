// src/keyspace/messages.h — pub/sub messages and keyspace notifications as they travel through
// etcd, and the internal keys of pub/sub (docs/encoding.md "Internal keys").
//
// A message rides the commit of the command that sent it (PUBLISH, SPUBLISH, a write that
// raises a keyspace notification, EXEC): the TxnView collects it (TxnView::Publish), the
// CommitRequest carries the framed bytes (`messages`), and the committer writes them as the
// value of a record key `0xFF "pubsub/msg/" <node id> "/" <slot>` in the same etcd Txn, so a
// message costs no Raft entry of its own and is delivered on every node when that node applies
// the revision — after every write committed before it (docs/consistency.md "Pub/Sub").
//
// Record value: a sequence of frames, each
//   kind (1 byte: 'c' channel, 's' shard channel) + varint(len channel) + channel
//   + varint(len payload) + payload
// so the records of many commands concatenate into one valid record.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace petacore::keyspace {

/// Which namespace a message is published in (PUBLISH vs SPUBLISH).
enum class MessageKind : char { kChannel = 'c', kShard = 's' };

/// Appends one frame to `record`.
void AppendMessage(std::string* record, MessageKind kind, std::string_view channel,
                   std::string_view payload);
/// Visits the frames of `record` in order; false when the bytes are not a valid record (the
/// frames before the damage were visited).
bool ForEachMessage(std::string_view record,
                    const std::function<void(MessageKind kind, std::string_view channel,
                                             std::string_view payload)>& fn);

/// Store key prefix of the message records: "\xff" "pubsub/msg/".
inline constexpr std::string_view kMessageRecordPrefix{"\xff" "pubsub/msg/", 12};
/// The record key prefix of one node: kMessageRecordPrefix + node id + "/"; the committer
/// appends the slot number.
std::string MessageRecordPrefix(std::string_view node_id);

/// What a subscription is to: SUBSCRIBE, PSUBSCRIBE or SSUBSCRIBE.
enum class SubscriptionKind : char { kChannel = 'c', kPattern = 'p', kShard = 's' };

/// Store key prefix of the subscription keys: "\xff" "pubsub/sub/".
inline constexpr std::string_view kSubscriptionPrefix{"\xff" "pubsub/sub/", 12};
/// One subscription of one client, as an internal key (value ""), put under the node's pub/sub
/// lease so a dead node's subscriptions vanish with it:
///   kSubscriptionPrefix + process (hex, unique per server process) + "/" + client id
///   + "/" + kind + name
std::string SubscriptionKey(uint64_t process, int64_t client_id, SubscriptionKind kind,
                            std::string_view name);
/// [start, end) of every subscription key of one client of one process.
std::string ClientSubscriptionsStart(uint64_t process, int64_t client_id);
std::string ClientSubscriptionsEnd(uint64_t process, int64_t client_id);
/// A decoded subscription key; nullopt-like `ok` false for foreign bytes.
struct DecodedSubscription {
  bool ok = false;
  uint64_t process = 0;
  int64_t client_id = 0;
  SubscriptionKind kind = SubscriptionKind::kChannel;
  std::string_view name;  ///< views the key
};
DecodedSubscription DecodeSubscriptionKey(std::string_view key);

/// Keyspace notification classes, as Redis's notify.c NOTIFY_* bits.
namespace notify {
inline constexpr int kKeyspace = 1 << 0;  ///< K: __keyspace@<db>__:<key> channels
inline constexpr int kKeyevent = 1 << 1;  ///< E: __keyevent@<db>__:<event> channels
inline constexpr int kGeneric = 1 << 2;   ///< g: DEL, EXPIRE, RENAME, ...
inline constexpr int kString = 1 << 3;    ///< $
inline constexpr int kList = 1 << 4;      ///< l
inline constexpr int kSet = 1 << 5;       ///< s
inline constexpr int kHash = 1 << 6;      ///< h
inline constexpr int kZSet = 1 << 7;      ///< z
inline constexpr int kExpired = 1 << 8;   ///< x
inline constexpr int kEvicted = 1 << 9;   ///< e
inline constexpr int kStream = 1 << 10;   ///< t
inline constexpr int kKeyMiss = 1 << 11;  ///< m (not in A)
inline constexpr int kModule = 1 << 13;   ///< d
inline constexpr int kNew = 1 << 14;      ///< n (not in A)
/// A: every class but m and n.
inline constexpr int kAll = kGeneric | kString | kList | kSet | kHash | kZSet | kExpired |
                            kEvicted | kStream | kModule;
/// The bits of a notify-keyspace-events text (as CONFIG SET accepts it); -1 when invalid.
int ParseFlags(std::string_view text);
}  // namespace notify

/// Appends the keyspace notification of `event` on `user_key` in `db` to `record`, as Redis's
/// notifyKeyspaceEvent: nothing unless `flags` has the event's `type` class and K or E; with
/// K a message on "__keyspace@<db>__:<key>" carrying the event name, with E one on
/// "__keyevent@<db>__:<event>" carrying the key.
void AppendKeyspaceEvent(std::string* record, int flags, int type, std::string_view event,
                         int db, std::string_view user_key);

}  // namespace petacore::keyspace
