// etcdlink/client.h — unary etcd v3 calls: KV (Range, Put, DeleteRange, Txn, Compact),
// Lease (Grant, Revoke, KeepAliveOnce, TimeToLive) and Maintenance (Status, Defragment).
//
// etcdlink owns every byte PetaCore sends to etcd; nothing outside it sees gRPC or protobuf
// (the generated code is private to the library). It sends a write again only when etcd
// proves it refused it before Raft (retry_policy.h); any other failed write is returned as is.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "etcdlink/security.h"
#include "etcdlink/types.h"

namespace petacore::etcdlink {

/// Client settings. Endpoints are "host:port" (loopback or any address; an "http://" or
/// "https://" prefix is accepted, "https://" turns TLS on). Host names are resolved to IPv4
/// once, at construction ("localhost" is 127.0.0.1); no endpoint at all means 127.0.0.1:2379.
struct ClientOptions {
  std::vector<std::string> endpoints;
  /// Deadline of every unary call (ms). A call that cannot reach a member fails within it.
  std::chrono::milliseconds call_timeout{5000};
  /// gRPC keepalive ping interval (0 = no pings). A ping unanswered for 5 s closes the
  /// connection, so streams on a member that stopped answering (a frozen process) fail and
  /// reconnect elsewhere. etcd answers pings closer than 5 s apart with GOAWAY too_many_pings
  /// (facts §4.7): use 0 or at least 10 s.
  std::chrono::milliseconds keepalive{10000};
  /// A member that answers no health probe (Maintenance.Status) for this long is silent: new
  /// requests go to the other members, and requests in flight on it end with an error saying
  /// they may or may not have been applied (members.h). 0 = no probes (gRPC keepalive is then
  /// the only detector of a frozen member).
  std::chrono::milliseconds member_timeout{1000};
  /// How often each member is probed (at most one probe in flight per member).
  std::chrono::milliseconds probe_interval{250};
  /// TLS towards etcd (see security.h); off = plaintext.
  ClientTls tls{};  // (`{}`s: positional ClientOptions{endpoints, timeout} stays warning-free)
  /// etcd v3 auth: when `user` is non-empty every call and watch stream carries a token from
  /// Auth.Authenticate(user, password); a call refused for a stale token (expired after
  /// etcd's --auth-token-ttl, or unknown to the member) re-authenticates and is retried once.
  std::string user{};
  std::string password{};
};

/// A thread-safe etcd v3 client. Each member has its own gRPC channel; every request goes to
/// the next member in round-robin order (as etcd 3.4 clientv3 balances requests) among those
/// that answer health probes, so a dead or frozen member is skipped within
/// ClientOptions::member_timeout. Calls are wait-for-ready with a deadline: they never hang
/// past call_timeout.
///
/// Errors are absl::Status carrying the gRPC code (same numbering) and etcd's message, e.g.
/// OUT_OF_RANGE "etcdserver: mvcc: required revision has been compacted".
/// Writes are retried only when etcd refused them before Raft ("no leader", "not capable",
/// learner, "too many requests": retry_policy.h), within one deadline; any other failure of a
/// write (a timeout, a lost connection) is indeterminate and returned untouched (facts §3.12).
/// The receive size limit is lifted (etcd Range replies can exceed gRPC's 4 MiB default).
/// KV and Lease calls carry the "hasleader" metadata, so a member that lost its leader answers
/// UNAVAILABLE "etcdserver: no leader" at once instead of timing out; Status and serializable
/// Ranges do not (they are meant to work on such a member). gRPC keepalive pings (every
/// ClientOptions::keepalive, only while a call or stream is open) close a connection to a
/// member that stopped answering (a frozen process) 5 s after a lost ping.
class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const ClientOptions& options() const;

  /// One Range call. range_end as etcd (empty = single key, "\0" = to the end);
  /// limit 0 = all; revision 0 = latest; serializable = member-local read.
  absl::StatusOr<RangeResponse> Range(const std::string& key, const std::string& range_end,
                                      int64_t limit = 0, int64_t revision = 0,
                                      bool serializable = false);

  /// Reads all of [key, range_end) at one revision, page by page (page_size keys per call),
  /// pinning every page to the first page's header revision; calls on_page for each non-empty
  /// page in key order (an empty range calls it never). Returns that revision. ErrCompacted
  /// mid-way is returned as is (caller restarts). page_size 0 reads everything in one call.
  absl::StatusOr<int64_t> RangeAll(const std::string& key, const std::string& range_end,
                                   int64_t page_size,
                                   const std::function<void(std::vector<KeyValue>&&)>& on_page);

  /// Put; returns header.revision. `timeout` > 0 shortens the deadline below call_timeout
  /// (for idempotent puts that had better be retried than wait out etcd's own ~7 s "request
  /// timed out" when a proposal went to a leader that froze).
  absl::StatusOr<int64_t> Put(const std::string& key, const std::string& value, int64_t lease = 0,
                              std::chrono::milliseconds timeout = std::chrono::milliseconds(0));
  /// DeleteRange; returns the number deleted.
  absl::StatusOr<int64_t> Delete(const std::string& key, const std::string& range_end = {});
  /// Txn, blocking.
  absl::StatusOr<TxnResponse> Txn(const TxnRequest& request);
  /// Txn, asynchronous: `done` runs on the client's completion thread (keep it short, post
  /// elsewhere; it may call TxnAsync again). The request is serialized before this returns.
  /// `done` runs exactly once: destroying the Client cancels calls still in flight (their
  /// `done` gets CANCELLED, or the real result if it arrived first) before it returns.
  void TxnAsync(const TxnRequest& request, std::function<void(absl::StatusOr<TxnResponse>)> done);
  /// Compact(revision, physical); returns header.revision.
  absl::StatusOr<int64_t> Compact(int64_t revision, bool physical = false);

  /// LeaseGrant; returns {id, granted ttl seconds}.
  absl::StatusOr<std::pair<int64_t, int64_t>> LeaseGrant(int64_t ttl_seconds, int64_t id = 0);
  absl::Status LeaseRevoke(int64_t id);
  /// One keep-alive round trip on a short-lived stream; returns the new TTL (s), 0 = lease
  /// gone (etcd answers an unknown lease with TTL 0 and no error).
  absl::StatusOr<int64_t> LeaseKeepAliveOnce(int64_t id);
  /// Remaining TTL (s); -1 = lease gone.
  absl::StatusOr<int64_t> LeaseTimeToLive(int64_t id);

  /// Maintenance.Status of whichever member answers.
  absl::StatusOr<MemberStatus> Status();

  /// The members as dialled (ClientOptions::endpoints resolved), in a fixed order: the
  /// `member` index of the calls below.
  size_t member_count() const;
  /// "ip:port" of member `member` (< member_count()).
  std::string member_endpoint(size_t member) const;
  /// Whether member `member` answers health probes (always true without probing).
  bool member_responsive(size_t member) const;
  /// Maintenance.Status of one member (not round-robin), within call_timeout. Thread-safe.
  absl::StatusOr<MemberStatus> StatusOf(size_t member);
  /// Maintenance.Defragment of one member (etcd 3.4: rewrites that member's bbolt file,
  /// giving free pages back to the file system; the member serves no reads or writes
  /// meanwhile, facts §3.6). While it runs the member counts as busy: new requests go to the
  /// other members (members.h). `timeout` bounds the wait (the defragmentation itself goes on
  /// in etcd if the deadline passes). Not cancelled by the member going silent: a member
  /// busy defragmenting may miss health probes. Thread-safe; one at a time is the caller's
  /// business.
  absl::Status Defragment(size_t member, std::chrono::milliseconds timeout);

  /// How many times a refused auth token was dropped and fetched anew (0 without a user).
  int64_t auth_refreshes() const;
  /// How many times a member went silent (ClientOptions::member_timeout) so far.
  int64_t member_silences() const;
  /// Each member and whether it answers: "127.0.0.1:2379=up,127.0.0.1:2381=silent".
  std::string DescribeMembers() const;
  /// From the health probes (0 / unknown when ClientOptions::member_timeout is 0): the highest
  /// revision a member reported (its Status header), and the steady-clock ms
  /// (std::chrono::steady_clock since its epoch) of the last answer from any member.
  bool probing() const;
  int64_t known_revision() const;
  int64_t last_contact_ms() const;

  /// Opaque access for etcdlink's own Watcher.
  struct Impl;
  Impl* impl() const { return impl_.get(); }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace petacore::etcdlink
