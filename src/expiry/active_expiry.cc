#include "expiry/active_expiry.h"

#include <cstdio>

#include "keyspace/encoding.h"
#include "keyspace/messages.h"

namespace petacore::expiry {

ActiveExpiry::ActiveExpiry(Index& index, replication::Committer& committer,
                           const mvcc::Store& store, etcdlink::Client* client,
                           ActiveExpiryOptions options)
    : index_(index), options_(std::move(options)), store_(store) {
  if (client != nullptr) {
    elector_ = std::make_unique<Elector>(
        *client, store, ElectorOptions{options_.prefix, options_.node_id, options_.lease_ttl_s});
  }
  ExpirerOptions expirer_options;
  expirer_options.max_in_flight = options_.max_in_flight;
  expirer_options.store = &store;
  // Until SetNotifyFlags: the stored cluster-wide option (config_registry.h's
  // ClusterConfigKey; config is a layer this one does not link), from this node's replica.
  notify_flags_ = [this] {
    static const std::string kKey(
        "\xff"
        "config/notify-keyspace-events");
    auto kv = store_.Read().Get(kKey);
    if (!kv) return 0;
    int flags = keyspace::notify::ParseFlags(kv->value);
    return flags < 0 ? 0 : flags;
  };
  expirer_ = std::make_unique<Expirer>(
      index_, committer, [this] { return active(); }, expirer_options);
  expirer_->SetNotifyFlags([this] { return notify_flags_(); });
}

ActiveExpiry::~ActiveExpiry() { Stop(); }

void ActiveExpiry::SetNotifyFlags(std::function<int()> notify_flags) {
  if (notify_flags) notify_flags_ = std::move(notify_flags);
}

void ActiveExpiry::Start() {
  if (!options_.enabled) return;
  if (elector_) elector_->Start();
  expirer_->Start();
}

void ActiveExpiry::Stop() {
  expirer_->Stop();
  if (elector_) elector_->Stop();
}

bool ActiveExpiry::active() const {
  return options_.enabled && (!elector_ || elector_->is_leader());
}

std::string ActiveExpiry::InfoLines(std::string_view section) const {
  std::string s;
  auto line = [&](std::string_view k, const std::string& v) {
    s.append(k).append(":").append(v).append("\r\n");
  };
  if (section == "stats") {
    // Redis's expired_stale_perc estimates the share of TTL keys already expired but not yet
    // deleted; here it is exact: due keys still in the store / keys with a TTL.
    size_t tracked = index_.size();
    size_t due = index_.CountDue(keyspace::NowMs());
    char perc[32];
    std::snprintf(perc, sizeof(perc), "%.2f", tracked ? 100.0 * due / tracked : 0.0);
    line("expired_keys", std::to_string(expirer_->expired_keys()));
    line("expired_stale_perc", perc);
    return s;
  }
  if (section != "petacore") return s;
  line("expiry_enabled", options_.enabled ? "1" : "0");
  line("expiry_node_id", options_.node_id);
  std::string holder = elector_ ? elector_->holder() : (options_.enabled ? options_.node_id : "");
  line("expiry_leader", holder.empty() ? "-" : holder);
  line("expiry_is_leader", active() ? "1" : "0");
  line("expiry_elections_won", std::to_string(elector_ ? elector_->elections_won() : 0));
  line("expiry_tracked_keys", std::to_string(index_.size()));
  line("expiry_due_keys", std::to_string(index_.CountDue(keyspace::NowMs())));
  line("expiry_stale_skips", std::to_string(expirer_->stale_skips()));
  line("expiry_errors", std::to_string(expirer_->errors()));
  return s;
}

}  // namespace petacore::expiry
