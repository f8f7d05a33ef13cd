// members.cc — per-member channels and the prober that finds silent members.
#include "etcdlink/members.h"

#include <utility>

namespace petacore::etcdlink::internal {

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void Member::Begin(grpc::ClientContext* ctx) {
  std::lock_guard<std::mutex> lock(mu);
  calls.insert(ctx);
}

bool Member::Done(grpc::ClientContext* ctx) {
  std::lock_guard<std::mutex> lock(mu);
  calls.erase(ctx);
  return cancelled.erase(ctx) > 0;
}

Members::Members(const std::vector<std::string>& addresses, const grpc::ChannelArguments& args,
                 const std::shared_ptr<grpc::ChannelCredentials>& credentials,
                 std::chrono::milliseconds probe_interval,
                 std::chrono::milliseconds silence_timeout)
    : probe_interval_(probe_interval), silence_timeout_(silence_timeout) {
  const int64_t now = NowMs();
  for (const std::string& address : addresses) {
    auto m = std::make_unique<Member>();
    m->address = address;
    m->channel = grpc::CreateCustomChannel("ipv4:" + address, credentials, args);
    m->kv = etcdserverpb::KV::NewStub(m->channel);
    m->watch = etcdserverpb::Watch::NewStub(m->channel);
    m->lease = etcdserverpb::Lease::NewStub(m->channel);
    m->maintenance = etcdserverpb::Maintenance::NewStub(m->channel);
    m->last_answer_ms = now;
    members_.push_back(std::move(m));
  }
  last_any_answer_ms_.store(now);
  if (silence_timeout_.count() > 0) prober_ = std::thread([this] { ProbeLoop(); });
}

Members::~Members() {
  stopping_.store(true);
  if (prober_.joinable()) prober_.join();
}

Member& Members::Pick() {
  const size_t n = members_.size();
  const uint64_t start = next_.fetch_add(1, std::memory_order_relaxed);
  for (size_t i = 0; i < n; ++i) {
    Member& m = *members_[(start + i) % n];
    if (m.responsive.load(std::memory_order_acquire) && !m.busy.load(std::memory_order_acquire)) {
      return m;
    }
  }
  for (size_t i = 0; i < n; ++i) {
    Member& m = *members_[(start + i) % n];
    if (m.responsive.load(std::memory_order_acquire)) return m;
  }
  return *members_[start % n];
}

std::string Members::Describe() const {
  std::string out;
  for (const auto& m : members_) {
    if (!out.empty()) out += ',';
    out += m->address + (!m->responsive.load() ? "=silent" : m->busy.load() ? "=busy" : "=up");
  }
  return out;
}

grpc::Status Members::SilencedError(const Member& member) const {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      "etcd member " + member.address +
                          " stopped answering (no reply to health probes for " +
                          std::to_string(silence_timeout_.count()) +
                          " ms); the request was sent to it and may or may not have been applied");
}

void Members::Silence(Member& member) {
  member.responsive.store(false, std::memory_order_release);
  silences_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(member.mu);
  for (grpc::ClientContext* ctx : member.calls) {
    ctx->TryCancel();
    member.cancelled.insert(ctx);
  }
}

void Members::ProbeLoop() {
  while (!stopping_.load()) {
    for (auto& m : members_) {
      if (m->probing) continue;
      m->probing = true;
      m->probe_ctx = std::make_unique<grpc::ClientContext>();
      m->probe_ctx->set_deadline(std::chrono::system_clock::now() + silence_timeout_);
      m->probe_ctx->set_wait_for_ready(false);  // a refused connection fails at once
      m->probe_response.Clear();
      m->probe_reader =
          m->maintenance->PrepareAsyncStatus(m->probe_ctx.get(), m->probe_request, &cq_);
      m->probe_reader->StartCall();
      m->probe_reader->Finish(&m->probe_response, &m->probe_status, m.get());
    }
    const auto until = std::chrono::system_clock::now() + probe_interval_;
    void* tag = nullptr;
    bool ok = false;
    while (cq_.AsyncNext(&tag, &ok, until) == grpc::CompletionQueue::GOT_EVENT) {
      auto* m = static_cast<Member*>(tag);
      m->probing = false;
      if (m->probe_status.ok()) {
        m->last_answer_ms = NowMs();
        m->responsive.store(true, std::memory_order_release);
        last_any_answer_ms_.store(m->last_answer_ms, std::memory_order_release);
        const int64_t revision = m->probe_response.header().revision();
        if (revision > known_revision_.load(std::memory_order_relaxed)) {
          known_revision_.store(revision, std::memory_order_release);
        }
      }
    }
    const int64_t now = NowMs();
    for (auto& m : members_) {
      if (m->responsive.load() && now - m->last_answer_ms > silence_timeout_.count()) {
        Silence(*m);
      }
    }
  }
  // Cancel the probes still out, then drain the queue before it is destroyed.
  for (auto& m : members_) {
    if (m->probing) m->probe_ctx->TryCancel();
  }
  cq_.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq_.Next(&tag, &ok)) {
  }
}

}  // namespace petacore::etcdlink::internal
