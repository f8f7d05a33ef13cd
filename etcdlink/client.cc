// client.cc — Client: unary etcd v3 calls over one round_robin gRPC channel, plus TxnAsync
// on a completion queue drained by the client's own thread.
#include "etcdlink/client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <utility>

#include "etcdlink/client_impl.h"
#include "etcdlink/convert.h"

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

std::string BuildTarget(const std::vector<std::string>& endpoints) {
  std::string target = "ipv4:";
  bool first = true;
  for (std::string endpoint : endpoints) {
    // Accept etcdctl-style URLs too; "https://" only matters to MakeChannelCredentials.
    if (endpoint.rfind("http://", 0) == 0) endpoint.erase(0, 7);
    if (endpoint.rfind("https://", 0) == 0) endpoint.erase(0, 8);
    const auto colon = endpoint.rfind(':');
    std::string host = colon == std::string::npos ? endpoint : endpoint.substr(0, colon);
    std::string port = colon == std::string::npos ? "2379" : endpoint.substr(colon + 1);
    if (!first) target += ',';
    first = false;
    target += ResolveIpv4(host) + ":" + port;
  }
  if (first) target += "127.0.0.1:2379";  // etcd's default client URL
  return target;
}

struct AsyncTxnCall {
  grpc::ClientContext ctx;
  etcdserverpb::TxnRequest request;
  etcdserverpb::TxnResponse response;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::TxnResponse>> reader;
  std::function<void(absl::StatusOr<TxnResponse>)> done;
  std::string token;     // the auth token sent, to invalidate if etcd refuses it
  bool retried = false;  // already re-sent once after a token refusal
};

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
  // No client keepalive pings: etcd answers pings closer than 5 s, or pings without an active
  // call, with GOAWAY too_many_pings (facts §4.7). Dead peers are found by call deadlines and
  // by the watcher's reconnect loop.
  auto credentials = internal::MakeChannelCredentials(options, &args);
  channel = grpc::CreateCustomChannel(internal::BuildTarget(options.endpoints), credentials, args);
  if (!options.user.empty()) {
    auth = std::make_unique<internal::AuthToken>(options.user, options.password,
                                                 options.call_timeout, channel);
  }
  kv = etcdserverpb::KV::NewStub(channel);
  watch = etcdserverpb::Watch::NewStub(channel);
  lease = etcdserverpb::Lease::NewStub(channel);
  maintenance = etcdserverpb::Maintenance::NewStub(channel);

  cq_thread = std::thread([this] {
    void* tag = nullptr;
    bool ok = false;
    while (cq.Next(&tag, &ok)) {
      auto* call = static_cast<internal::AsyncTxnCall*>(tag);
      {
        std::lock_guard<std::mutex> lock(mu);
        inflight.erase(call);
      }
      if (auth && !call->retried && internal::IsTokenError(call->status)) {
        // Refused for its token before being applied: once more with a fresh token.
        auth->Invalidate(call->token);
        auto retry = std::make_unique<internal::AsyncTxnCall>();
        retry->request = std::move(call->request);
        retry->done = std::move(call->done);
        retry->retried = true;
        delete call;
        StartTxn(std::move(retry));
        continue;
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
    for (auto* call : inflight) call->ctx.TryCancel();
  }
  cq.Shutdown();  // Next() keeps returning the pending completions, then false
  cq_thread.join();
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

absl::StatusOr<RangeResponse> Client::Range(const std::string& key, const std::string& range_end,
                                            int64_t limit, int64_t revision, bool serializable) {
  etcdserverpb::RangeRequest request;
  request.set_key(key.data(), key.size());
  if (!range_end.empty()) request.set_range_end(range_end.data(), range_end.size());
  request.set_limit(limit);
  request.set_revision(revision);
  request.set_serializable(serializable);
  etcdserverpb::RangeResponse response;
  // A serializable read is meant to work on a member without quorum, so no hasleader.
  auto status = internal::ToAbsl(impl_->Unary(
      /*require_leader=*/!serializable,
      [&](grpc::ClientContext* ctx) { return impl_->kv->Range(ctx, request, &response); }));
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

absl::StatusOr<int64_t> Client::Put(const std::string& key, const std::string& value,
                                    int64_t lease) {
  etcdserverpb::PutRequest request;
  request.set_key(key.data(), key.size());
  request.set_value(value.data(), value.size());
  request.set_lease(lease);
  etcdserverpb::PutResponse response;
  auto status = internal::ToAbsl(impl_->Unary(
      true, [&](grpc::ClientContext* ctx) { return impl_->kv->Put(ctx, request, &response); }));
  if (!status.ok()) return status;
  return response.header().revision();
}

absl::StatusOr<int64_t> Client::Delete(const std::string& key, const std::string& range_end) {
  etcdserverpb::DeleteRangeRequest request;
  request.set_key(key.data(), key.size());
  if (!range_end.empty()) request.set_range_end(range_end.data(), range_end.size());
  etcdserverpb::DeleteRangeResponse response;
  auto status = internal::ToAbsl(impl_->Unary(true, [&](grpc::ClientContext* ctx) {
    return impl_->kv->DeleteRange(ctx, request, &response);
  }));
  if (!status.ok()) return status;
  return response.deleted();
}

absl::StatusOr<TxnResponse> Client::Txn(const TxnRequest& request) {
  etcdserverpb::TxnRequest proto;
  internal::ToProto(request, &proto);
  etcdserverpb::TxnResponse response;
  auto status = internal::ToAbsl(impl_->Unary(
      true, [&](grpc::ClientContext* ctx) { return impl_->kv->Txn(ctx, proto, &response); }));
  if (!status.ok()) return status;
  return internal::FromProto(response);
}

void Client::TxnAsync(const TxnRequest& request,
                      std::function<void(absl::StatusOr<TxnResponse>)> done) {
  auto call = std::make_unique<internal::AsyncTxnCall>();
  internal::ToProto(request, &call->request);
  call->done = std::move(done);
  impl_->StartTxn(std::move(call));
}

void Client::Impl::StartTxn(std::unique_ptr<internal::AsyncTxnCall> call) {
  PrepareUnary(&call->ctx, true);
  if (auth) {
    // May authenticate (a blocking call bounded by call_timeout), also on cq_thread for a retry.
    grpc::Status status = auth->AddTo(&call->ctx, &call->token);
    if (!status.ok()) {
      call->done(internal::ToAbsl(status));
      return;
    }
  }
  {
    // Starting under the lock keeps the destructor from shutting the queue down between the
    // check and the start; it also orders the insert before the completion thread's erase.
    std::lock_guard<std::mutex> lock(mu);
    if (!shutting_down) {
      call->reader = kv->PrepareAsyncTxn(&call->ctx, call->request, &cq);
      call->reader->StartCall();
      auto* raw = call.release();  // owned by the completion thread from here on
      raw->reader->Finish(&raw->response, &raw->status, raw);
      inflight.insert(raw);
      return;
    }
  }
  call->done(absl::CancelledError("etcdlink: client is shutting down"));
}

absl::StatusOr<int64_t> Client::Compact(int64_t revision, bool physical) {
  etcdserverpb::CompactionRequest request;
  request.set_revision(revision);
  request.set_physical(physical);
  etcdserverpb::CompactionResponse response;
  auto status = internal::ToAbsl(impl_->Unary(
      true, [&](grpc::ClientContext* ctx) { return impl_->kv->Compact(ctx, request, &response); }));
  if (!status.ok()) return status;
  return response.header().revision();
}

}  // namespace petacore::etcdlink
