#include "expiry/elector.h"

#include <spdlog/spdlog.h>

namespace petacore::expiry {

namespace {
using Clock = std::chrono::steady_clock;
}  // namespace

Elector::Elector(etcdlink::Client& client, const mvcc::Store& store, ElectorOptions options)
    : client_(client), store_(store), options_(std::move(options)) {}

Elector::~Elector() { Stop(); }

void Elector::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Elector::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (lease_ != 0) {
    leader_.store(false, std::memory_order_release);
    auto status = client_.LeaseRevoke(lease_);
    if (!status.ok()) spdlog::warn("expiry election: lease revoke failed: {}", status.ToString());
    lease_ = 0;
  }
}

std::string Elector::holder() const {
  auto snap = store_.Read();
  auto kv = snap.Get(kLeaderKey);
  return kv ? std::string(kv->value) : std::string();
}

void Elector::Run() {
  for (;;) {
    if (is_leader()) {
      Lead();
    } else if (holder().empty()) {
      Campaign();
    }
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, options_.poll, [&] { return stopping_; })) return;
  }
}

void Elector::Campaign() {
  auto sent = Clock::now();
  auto grant = client_.LeaseGrant(options_.lease_ttl_s);
  if (!grant.ok()) {
    spdlog::debug("expiry election: lease grant failed: {}", grant.status().ToString());
    return;
  }
  int64_t lease = grant->first;
  std::string key = options_.prefix + std::string(kLeaderKey);
  etcdlink::TxnRequest txn;
  etcdlink::Compare absent;
  absent.target = etcdlink::Compare::Target::kCreate;
  absent.key = key;
  absent.number = 0;  // create_revision 0: the key does not exist
  txn.compare.push_back(std::move(absent));
  txn.success.push_back(etcdlink::Op::Put(key, options_.node_id, lease));
  auto resp = client_.Txn(txn);
  if (resp.ok() && resp->succeeded) {
    lease_ = lease;
    won_revision_ = resp->revision;
    // The lease runs from etcd's grant; counting from before the request keeps us on the safe
    // side of it. Step down one keep-alive period before it could run out.
    valid_until_ = sent + std::chrono::seconds(grant->second) - options_.keepalive;
    next_keepalive_ = Clock::now() + options_.keepalive;
    won_.fetch_add(1, std::memory_order_relaxed);
    leader_.store(true, std::memory_order_release);
    spdlog::info("expiry election: {} leads (lease {:x}, revision {})", options_.node_id, lease,
                 won_revision_);
    return;
  }
  if (!resp.ok()) {
    spdlog::debug("expiry election: campaign failed: {}", resp.status().ToString());
  }
  // Lost (someone else holds the key) or unknown: give the lease back. If the Txn did apply
  // after all, revoking deletes our key and the next round campaigns again.
  auto status = client_.LeaseRevoke(lease);
  if (!status.ok()) spdlog::debug("expiry election: revoke failed: {}", status.ToString());
}

void Elector::Lead() {
  auto now = Clock::now();
  if (now >= next_keepalive_) {
    auto ttl = client_.LeaseKeepAliveOnce(lease_);
    if (ttl.ok() && *ttl > 0) {
      valid_until_ = now + std::chrono::seconds(*ttl) - options_.keepalive;
    } else if (ttl.ok()) {
      StepDown("lease expired");
      return;
    } else {
      spdlog::warn("expiry election: keep-alive failed: {}", ttl.status().ToString());
    }
    next_keepalive_ = now + options_.keepalive;
  }
  if (Clock::now() >= valid_until_) {
    StepDown("keep-alives failed for too long");
    return;
  }
  // Someone deleted or overwrote the key (etcdctl del ...): our lease no longer holds it.
  if (store_.applied_revision() >= won_revision_ && holder() != options_.node_id) {
    StepDown("election key no longer ours");
  }
}

void Elector::StepDown(const char* why) {
  leader_.store(false, std::memory_order_release);
  spdlog::warn("expiry election: {} steps down: {}", options_.node_id, why);
  if (lease_ != 0) {
    auto status = client_.LeaseRevoke(lease_);  // best effort: it may be gone already
    if (!status.ok()) spdlog::debug("expiry election: revoke failed: {}", status.ToString());
    lease_ = 0;
  }
}

}  // namespace petacore::expiry
