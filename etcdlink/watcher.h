// etcdlink/watcher.h — a resumable etcd v3 Watch over one key range.
//
// One gRPC stream per Watcher (independent consumers must not starve each other on a shared
// stream), with progress_notify and "hasleader" so a partitioned member ends the stream.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "etcdlink/client.h"

namespace petacore::etcdlink {

/// One watch event (mvccpb.Event): for kDelete, kv holds the key and mod_revision only.
struct WatchEvent {
  enum class Type { kPut = 0, kDelete = 1 };
  Type type = Type::kPut;
  KeyValue kv;
};

/// Callbacks, all run on the watcher's own thread, one at a time, in revision order.
struct WatchCallbacks {
  /// All the events of one revision (etcd never splits a Txn's events), in order.
  std::function<void(int64_t revision, std::vector<WatchEvent>&& events)> on_revision;
  /// A periodic progress notification: every event with revision <= `revision` was delivered.
  /// (On-demand progress replies are not used: etcd 3.4.23 can send them ahead of events.)
  std::function<void(int64_t revision)> on_progress;
  /// The watch's start revision was compacted away (compact_revision from etcd). The watcher
  /// stops; the owner re-lists and starts a new Watcher from the new revision + 1.
  std::function<void(int64_t compact_revision)> on_compacted;
  /// A transient stream error, or a cancel by etcd other than compaction; the watcher
  /// reconnects by itself (back-off 100 ms doubling to 1 s) and resumes. Informational.
  std::function<void(const absl::Status&)> on_error;
};

/// Watches [key, range_end) from start_revision (inclusive) with progress_notify, on a
/// dedicated thread. On stream failure it reconnects (any endpoint, back-off up to 1 s) and
/// resumes from last seen revision + 1, dropping duplicates, so every revision is delivered
/// exactly once and in order. start_revision 0 means "after the current revision"; the watcher
/// pins that revision on its first connection, so a later reconnect skips nothing.
/// Destroying it (or Stop) cancels the stream and joins the thread, promptly even with etcd
/// unreachable; never destroy it from inside a callback (Stop there only stops, no join).
/// The Client must outlive the Watcher.
class Watcher {
 public:
  Watcher(Client& client, std::string key, std::string range_end, int64_t start_revision,
          WatchCallbacks callbacks);
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  void Stop();
  /// Ends the current stream (if any) as a failure would: the watcher reconnects at once,
  /// through another member when the client's health probes know one, and resumes from the
  /// last revision delivered. For a stream that went silent while its member still answers.
  void Reconnect();
  /// The last revision delivered through on_revision or on_progress.
  int64_t last_revision() const;
  /// Whether a stream is currently established.
  bool connected() const;
  /// Number of reconnects so far.
  int64_t reconnects() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace petacore::etcdlink
