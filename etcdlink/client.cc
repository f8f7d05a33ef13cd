// client.cc — Client: unary etcd v3 calls over one round_robin gRPC channel, plus TxnAsync
// on a completion queue drained by the client's own thread.
#include "etcdlink/client.h"

#include <arpa/inet.h>
#include <grpcpp/alarm.h>
#include <netdb.h>
#include <sys/socket.h>

#include <thread>
#include <utility>

#include "etcdlink/client_impl.h"
#include "etcdlink/convert.h"
#include "etcdlink/retry_policy.h"

namespace petacore::etcdlink {

namespace internal {

absl::Status ToAbsl(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

namespace {

// Resolves a host to one IPv4 literal; returns the host unchanged if it cannot, so that the
// channel reports the bad address instead of this constructor failing.
std::string ResolveIpv4(const std::string& host) {
  if (host == "localhost") return "127.0.0.1";
  in_addr addr{};
  if (inet_pton(AF_INET, host.c_str(), &addr) == 1) return host;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &result) != 0 || result == nullptr) return host;
  char buf[INET_ADDRSTRLEN] = {};
  const auto* sin = reinterpret_cast<const sockaddr_in*>(result->ai_addr);
  std::string ip = inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf)) ? buf : host;
  freeaddrinfo(result);
  return ip;
}

}  // namespace

std::vector<std::string> ResolveEndpoints(const std::vector<std::string>& endpoints) {
  std::vector<std::string> out;
  for (std::string endpoint : endpoints) {
    // Accept etcdctl-style URLs too; "https://" only matters to MakeChannelCredentials.
    if (endpoint.rfind("http://", 0) == 0) endpoint.erase(0, 7);
    if (endpoint.rfind("https://", 0) == 0) endpoint.erase(0, 8);
    const auto colon = endpoint.rfind(':');
    std::string host = colon == std::string::npos ? endpoint : endpoint.substr(0, colon);
    std::string port = colon == std::string::npos ? "2379" : endpoint.substr(colon + 1);
    out.push_back(ResolveIpv4(host) + ":" + port);
  }
  if (out.empty()) out.push_back("127.0.0.1:2379");  // etcd's default client URL
  return out;
}

std::string BuildTarget(const std::vector<std::string>& endpoints) {
  std::string target = "ipv4:";
  for (const std::string& address : ResolveEndpoints(endpoints)) {
    if (target.size() > 5) target += ',';
    target += address;
  }
  return target;
}

struct AsyncTxnCall {
  std::unique_ptr<grpc::ClientContext> ctx;  // one per attempt (a context is single-use)
  etcdserverpb::TxnRequest request;
  etcdserverpb::TxnResponse response;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::TxnResponse>> reader;
  Member* member = nullptr;  // the current attempt's member (its calls register ctx)
  std::function<void(absl::StatusOr<TxnResponse>)> done;
  // Retry of a Txn etcd refused before Raft (retry_policy.h): the alarm's tag is the call.
  std::chrono::steady_clock::time_point retry_until;
  std::chrono::system_clock::time_point deadline;  // of the first attempt: all attempts share it
  int attempts = 1;
  std::unique_ptr<grpc::Alarm> alarm;
  bool waiting_alarm = false;
  std::string token;           // the auth token sent, to invalidate if etcd refuses it
  bool token_retried = false;  // already re-sent once after a token refusal
};

/// How long a call may still be retried: kWriteRetryBudget capped by the call timeout.
std::chrono::steady_clock::time_point RetryDeadline(std::chrono::milliseconds call_timeout) {
  return std::chrono::steady_clock::now() +
         std::min<std::chrono::milliseconds>(kWriteRetryBudget, call_timeout);
}

/// Runs `call(ctx)` (one unary attempt) again while `retry(status)` holds and the retry
/// `budget` allows, pausing RetryBackoff between attempts; all attempts share one deadline
/// (call_timeout).
template <typename Call, typename Retry>
grpc::Status CallWithRetry(const Client::Impl& impl, bool require_leader,
                           std::chrono::milliseconds budget, Call call, Retry retry) {
  const auto until = std::chrono::steady_clock::now() + budget;
  std::chrono::system_clock::time_point deadline{};
  for (int attempt = 1;; ++attempt) {
    grpc::Status status = impl.Unary(require_leader, [&](grpc::ClientContext* ctx, Member& member) {
      // One deadline for all attempts: a caller waits at most call_timeout in all.
      if (attempt == 1 && deadline == std::chrono::system_clock::time_point{}) {
        deadline = ctx->deadline();
      }
      ctx->set_deadline(deadline);
      return call(ctx, member);
    });
    if (status.ok() || !retry(ToAbsl(status))) return status;
    auto pause = RetryBackoff(attempt);
    if (std::chrono::steady_clock::now() + pause >= until) return status;
    std::this_thread::sleep_for(pause);
  }
}

}  // namespace internal

Client::Impl::Impl(ClientOptions opts) : options(std::move(opts)) {
  grpc::ChannelArguments args;
  args.SetLoadBalancingPolicyName("round_robin");
  args.SetMaxReceiveMessageSize(-1);  // etcd Range replies can exceed gRPC's 4 MiB default
  // A restarted member should be picked up within about a second, not gRPC's default of
  // up to two minutes of reconnect back-off.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // Keepalive pings find a member that is alive for TCP but answers nothing (a frozen
  // process): without them a watch stream on it waits forever, and the node stops applying
  // writes. etcd's ping policy (facts §4.7): at least 5 s apart and only during a call, or
  // GOAWAY too_many_pings; so every ClientOptions::keepalive (10 s by default), only while a
  // call or stream is open, and not capped by data (an idle watch stream sends none). An unanswered
  // ping closes the connection after 5 s; the watch then reconnects to another member.
  if (options.keepalive.count() > 0) {
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, static_cast<int>(options.keepalive.count()));
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
    args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
    args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  }
  auto credentials = internal::MakeChannelCredentials(options, &args);
  channel = grpc::CreateCustomChannel(internal::BuildTarget(options.endpoints), credentials, args);
  members = std::make_unique<internal::Members>(internal::ResolveEndpoints(options.endpoints), args,
                                                credentials, options.probe_interval,
                                                options.member_timeout);
  if (!options.user.empty()) {
    auth = std::make_unique<internal::AuthToken>(options.user, options.password,
                                                 options.call_timeout, channel);
  }

  cq_thread = std::thread([this] {
    void* tag = nullptr;
    bool ok = false;
    while (cq.Next(&tag, &ok)) {
      auto* call = static_cast<internal::AsyncTxnCall*>(tag);
      if (call->member != nullptr) {  // an attempt finished (not a back-off alarm)
        if (call->member->Done(call->ctx.get())) {
          call->status = members->SilencedError(*call->member);
        }
        call->member = nullptr;
      }
      if (RetryAsyncTxn(call)) continue;
      {
        std::lock_guard<std::mutex> lock(mu);
        inflight.erase(call);
      }
      if (call->status.ok()) {
        call->done(internal::FromProto(call->response));
      } else {
        call->done(internal::ToAbsl(call->status));
      }
      delete call;
    }
  });
}

Client::Impl::~Impl() {
  {
    // In-flight async Txns are cancelled rather than awaited so destruction is prompt; their
    // callbacks still run (with CANCELLED, or the real result if it raced in first).
    std::lock_guard<std::mutex> lock(mu);
    shutting_down = true;
    for (auto* call : inflight) {
      if (call->waiting_alarm) {
        call->alarm->Cancel();  // fires at once; the call then completes with its last error
      } else {
        call->ctx->TryCancel();
      }
    }
  }
  cq.Shutdown();  // Next() keeps returning the pending completions, then false
  cq_thread.join();
}

bool Client::Impl::RetryAsyncTxn(internal::AsyncTxnCall* call) {
  {
    std::lock_guard<std::mutex> lock(mu);
    if (call->waiting_alarm) {  // the back-off is over (or cancelled by shutdown): send again
      call->waiting_alarm = false;
      if (shutting_down) return false;
      ++call->attempts;
    } else if (call->status.ok() || shutting_down) {
      return false;
    } else if (auth && !call->token_retried && internal::IsTokenError(call->status)) {
      // Refused for its token before being applied: once more, at once, with a fresh token.
      call->token_retried = true;
      auth->Invalidate(call->token);
    } else if (!NotApplied(internal::ToAbsl(call->status))) {
      return false;
    } else {
      const auto pause = RetryBackoff(call->attempts);
      if (std::chrono::steady_clock::now() + pause >= call->retry_until) return false;
      if (!call->alarm) call->alarm = std::make_unique<grpc::Alarm>();
      call->waiting_alarm = true;
      call->alarm->Set(&cq, std::chrono::system_clock::now() + pause, call);
      return true;
    }
  }
  return SendTxnAttempt(call);
}

bool Client::Impl::SendTxnAttempt(internal::AsyncTxnCall* call) {
  // The new context is prepared outside the lock (adding the token may authenticate, a
  // blocking call) and swapped in under it, so the destructor's TryCancel never sees a
  // context being built.
  auto ctx = std::make_unique<grpc::ClientContext>();
  PrepareUnary(ctx.get(), true);
  if (call->deadline == std::chrono::system_clock::time_point{}) {
    call->deadline = ctx->deadline();
  } else {
    ctx->set_deadline(call->deadline);  // the first attempt's: call_timeout in all
  }
  if (auth) {
    grpc::Status status = auth->AddTo(ctx.get(), &call->token);
    if (!status.ok()) {
      call->status = status;
      return false;
    }
  }
  std::lock_guard<std::mutex> lock(mu);
  if (shutting_down) {
    call->status = grpc::Status(grpc::StatusCode::CANCELLED, "etcdlink: client is shutting down");
    return false;
  }
  call->ctx = std::move(ctx);
  call->response.Clear();
  call->member = &members->Pick();
  call->member->Begin(call->ctx.get());
  call->reader = call->member->kv->PrepareAsyncTxn(call->ctx.get(), call->request, &cq);
  call->reader->StartCall();
  call->reader->Finish(&call->response, &call->status, call);
  inflight.insert(call);
  return true;
}

void Client::Impl::PrepareUnary(grpc::ClientContext* ctx, bool require_leader) const {
  ctx->set_deadline(std::chrono::system_clock::now() + options.call_timeout);
  ctx->set_wait_for_ready(true);
  if (require_leader) ctx->AddMetadata(internal::kHasLeaderKey, internal::kHasLeaderValue);
}

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Client::~Client() = default;

const ClientOptions& Client::options() const { return impl_->options; }

int64_t Client::auth_refreshes() const { return impl_->auth ? impl_->auth->refreshes() : 0; }

int64_t Client::member_silences() const { return impl_->members->silences(); }

std::string Client::DescribeMembers() const { return impl_->members->Describe(); }

bool Client::probing() const { return impl_->members->probing(); }

int64_t Client::known_revision() const { return impl_->members->known_revision(); }

int64_t Client::last_contact_ms() const { return impl_->members->last_answer_ms(); }

absl::StatusOr<RangeResponse> Client::Range(const std::string& key, const std::string& range_end,
                                            int64_t limit, int64_t revision, bool serializable) {
  etcdserverpb::RangeRequest request;
  request.set_key(key.data(), key.size());
  if (!range_end.empty()) request.set_range_end(range_end.data(), range_end.size());
  request.set_limit(limit);
  request.set_revision(revision);
  request.set_serializable(serializable);
  etcdserverpb::RangeResponse response;
  // A serializable read is meant to work on a member without quorum, so no hasleader. A read
  // changes nothing: sent again on UNAVAILABLE (another member answers the next attempt).
  auto status = internal::ToAbsl(internal::CallWithRetry(
      *impl_, /*require_leader=*/!serializable, impl_->options.call_timeout,
      [&](grpc::ClientContext* ctx, internal::Member& m) {
        return m.kv->Range(ctx, request, &response);
      },
      RetryableRead));
  if (!status.ok()) return status;
  return internal::FromProto(response);
}

absl::StatusOr<int64_t> Client::RangeAll(
    const std::string& key, const std::string& range_end, int64_t page_size,
    const std::function<void(std::vector<KeyValue>&&)>& on_page) {
  std::string next_key = key;
  int64_t revision = 0;
  while (true) {
    auto page = Range(next_key, range_end, page_size, revision);
    if (!page.ok()) return page.status();
    // Every later page reads at the first page's revision: one consistent snapshot.
    if (revision == 0) revision = page->revision;
    const bool more = page->more && !page->kvs.empty();
    if (more) {
      // The smallest key after the last one returned.
      next_key = page->kvs.back().key;
      next_key.push_back('\0');
    }
    if (!page->kvs.empty()) on_page(std::move(page->kvs));
    if (!more) return revision;
  }
}

absl::StatusOr<int64_t> Client::Put(const std::string& key, const std::string& value, int64_t lease,
                                    std::chrono::milliseconds timeout) {
  etcdserverpb::PutRequest request;
  request.set_key(key.data(), key.size());
  request.set_value(value.data(), value.size());
  request.set_lease(lease);
  etcdserverpb::PutResponse response;
  auto budget = std::min(kWriteRetryBudget, impl_->options.call_timeout);
  const auto cap = std::chrono::system_clock::now() + timeout;
  if (timeout.count() > 0) budget = std::min<std::chrono::milliseconds>(budget, timeout);
  auto status = internal::ToAbsl(internal::CallWithRetry(
      *impl_, true, budget,
      [&](grpc::ClientContext* ctx, internal::Member& m) {
        if (timeout.count() > 0 && ctx->deadline() > cap) ctx->set_deadline(cap);
        return m.kv->Put(ctx, request, &response);
      },
      NotApplied));
  if (!status.ok()) return status;
  return response.header().revision();
}

absl::StatusOr<int64_t> Client::Delete(const std::string& key, const std::string& range_end) {
  etcdserverpb::DeleteRangeRequest request;
  request.set_key(key.data(), key.size());
  if (!range_end.empty()) request.set_range_end(range_end.data(), range_end.size());
  etcdserverpb::DeleteRangeResponse response;
  auto status = internal::ToAbsl(internal::CallWithRetry(
      *impl_, true, std::min(kWriteRetryBudget, impl_->options.call_timeout),
      [&](grpc::ClientContext* ctx, internal::Member& m) {
        return m.kv->DeleteRange(ctx, request, &response);
      },
      NotApplied));
  if (!status.ok()) return status;
  return response.deleted();
}

absl::StatusOr<TxnResponse> Client::Txn(const TxnRequest& request) {
  etcdserverpb::TxnRequest proto;
  internal::ToProto(request, &proto);
  etcdserverpb::TxnResponse response;
  auto status = internal::ToAbsl(internal::CallWithRetry(
      *impl_, true, std::min(kWriteRetryBudget, impl_->options.call_timeout),
      [&](grpc::ClientContext* ctx, internal::Member& m) {
        return m.kv->Txn(ctx, proto, &response);
      },
      NotApplied));
  if (!status.ok()) return status;
  return internal::FromProto(response);
}

void Client::TxnAsync(const TxnRequest& request,
                      std::function<void(absl::StatusOr<TxnResponse>)> done) {
  auto call = std::make_unique<internal::AsyncTxnCall>();
  internal::ToProto(request, &call->request);
  call->done = std::move(done);
  call->retry_until = internal::RetryDeadline(impl_->options.call_timeout);
  auto* raw = call.release();  // owned by the completion thread once sent
  if (!impl_->SendTxnAttempt(raw)) {
    raw->done(internal::ToAbsl(raw->status));
    delete raw;
  }
}

absl::StatusOr<int64_t> Client::Compact(int64_t revision, bool physical) {
  etcdserverpb::CompactionRequest request;
  request.set_revision(revision);
  request.set_physical(physical);
  etcdserverpb::CompactionResponse response;
  auto status =
      internal::ToAbsl(impl_->Unary(true, [&](grpc::ClientContext* ctx, internal::Member& m) {
        return m.kv->Compact(ctx, request, &response);
      }));
  if (!status.ok()) return status;
  return response.header().revision();
}

}  // namespace petacore::etcdlink
