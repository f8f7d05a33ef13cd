// node_registry.cc — publishing this node's record and WAIT's asks (node_registry.h).
#include "server/node_registry.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "keyspace/access_summary.h"
#include "keyspace/encoding.h"
#include "keyspace/node_record.h"

namespace petacore::server {

NodeRegistry::NodeRegistry(etcdlink::Client& client, const mvcc::Store& store, Options options)
    : client_(client),
      store_(store),
      options_(std::move(options)),
      record_key_(options_.etcd_prefix + keyspace::NodeRecordKey(options_.process)),
      own_ask_(keyspace::NodeRecordKey(options_.process)) {}

NodeRegistry::~NodeRegistry() { Stop(); }

void NodeRegistry::Start() {
  thread_ = std::thread([this] { Run(); });
}

void NodeRegistry::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void NodeRegistry::OnApplied(std::span<const mvcc::Mutation> batch) {
  bool data = false, asked = false;
  for (const auto& m : batch) {
    if (!keyspace::IsNodeRegistryKey(m.key) &&
        !m.key.starts_with(keyspace::kAccessSummaryPrefix)) {
      data = true;
    } else if (m.key == keyspace::kNodeAskKey && m.kind == mvcc::Mutation::Kind::kPut &&
               m.value != own_ask_) {  // a node does not answer its own ask
      asked = true;
    }
  }
  if (!data && !asked) return;
  {
    std::lock_guard lock(mu_);
    dirty_ = dirty_ || data;
    asked_ = asked_ || asked;
  }
  if (asked) cv_.notify_all();
}

void NodeRegistry::Ask(int64_t revision) {
  {
    std::lock_guard lock(mu_);
    if (revision < ask_covered_ || revision <= ask_wanted_) return;  // covered or queued
    ask_wanted_ = revision;
  }
  cv_.notify_all();
}

void NodeRegistry::MarkDirty() {
  std::lock_guard lock(mu_);
  dirty_ = true;
}

bool NodeRegistry::Publish() {
  int64_t lease = options_.lease ? options_.lease() : 0;
  if (lease == 0) return false;  // no lease yet: a record without one would outlive the node
  keyspace::NodeRecord record;
  record.process = options_.process;
  record.addr = options_.addr;
  record.applied = store_.applied_revision();
  record.oldest = OldestNeeded();
  record.started_ms = options_.started_ms;
  record.published_ms = keyspace::NowMs();
  auto put = client_.Put(record_key_, keyspace::EncodeNodeRecord(record), lease, kPutTimeout);
  if (!put.ok()) {
    spdlog::warn("node registry: publish failed: {}", put.status().ToString());
    return false;
  }
  publishes_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool NodeRegistry::PutAsk(int64_t* revision) {
  auto put = client_.Put(options_.etcd_prefix + std::string(keyspace::kNodeAskKey), own_ask_, 0,
                         kPutTimeout);
  if (!put.ok()) {
    spdlog::warn("node registry: ask failed: {}", put.status().ToString());
    return false;
  }
  asks_.fetch_add(1, std::memory_order_relaxed);
  *revision = *put;
  return true;
}

void NodeRegistry::Run() {
  using Clock = std::chrono::steady_clock;
  auto last_publish = Clock::now() - std::chrono::hours(1);
  for (;;) {
    bool publish = false, ask = false;
    {
      std::unique_lock lock(mu_);
      auto interval = std::chrono::milliseconds(
          std::max<int64_t>(options_.interval_ms ? options_.interval_ms() : 1000, 10));
      auto due = [&] {
        return stop_ || asked_ || (ask_wanted_ > 0 && ask_wanted_ >= ask_covered_) ||
               (dirty_ && Clock::now() - last_publish >= interval);
      };
      // Sleeps until an ask (ours or another node's) or stop; a pending data change wakes
      // it when its interval is over. Idle: no wake-up writes anything.
      auto deadline = dirty_ ? last_publish + interval : Clock::now() + interval;
      cv_.wait_until(lock, deadline, due);
      if (stop_) return;
      ask = ask_wanted_ > 0 && ask_wanted_ >= ask_covered_;
      publish = asked_ || (dirty_ && Clock::now() - last_publish >= interval);
      if (publish) asked_ = dirty_ = false;
    }
    if (ask) {
      int64_t revision = 0;
      if (PutAsk(&revision)) {
        std::lock_guard lock(mu_);
        ask_covered_ = std::max(ask_covered_, revision);
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // etcd down: retry soon
      }
    }
    if (publish) {
      if (Publish()) {
        last_publish = Clock::now();
      } else {
        MarkDirty();  // retried at the next interval
        last_publish = Clock::now();
      }
    }
  }
}

}  // namespace petacore::server
