#include "server/memory_limit.h"

#include <string>

namespace petacore::server {

size_t UsedMemory(const ServerState& state) { return state.store.stats().bytes; }

bool OverMaxmemory(const ServerState& state) {
  return state.config.maxmemory > 0 && UsedMemory(state) > state.config.maxmemory;
}

namespace {

// Under an eviction policy: used memory as eviction counts it (without
// mem_not_counted_for_evict) is over maxmemory and eviction cannot bring it back — a
// volatile-* policy with no key with a TTL (every node sees that alike in its replica), or the
// evictor's last cycle found no candidate. Redis's performEvictions returning EVICT_FAIL.
bool EvictionCannotFree(const ServerState& state, const std::string& policy) {
  const uint64_t maxmemory = state.config.maxmemory;
  const auto* evictor = state.evictor.load(std::memory_order_acquire);
  int64_t used = static_cast<int64_t>(UsedMemory(state));
  if (evictor != nullptr) used -= evictor->NotCountedBytes();
  if (maxmemory == 0 || used <= static_cast<int64_t>(maxmemory)) return false;
  if (policy.starts_with("volatile-") && state.expiry_index.size() == 0) return true;
  return evictor == nullptr || evictor->cannot_free();
}

}  // namespace

bool RejectIfOverMaxmemory(const commands::CommandSpec& spec, client::Session& session,
                           const ServerState& state, resp::ReplyWriter& out) {
  if (!(spec.flags & commands::kDenyOom) || !OverMaxmemory(state)) return false;
  std::string policy;
  {
    std::lock_guard lock(const_cast<ServerState&>(state).config_mu);
    policy = state.config.maxmemory_policy;
  }
  // An eviction policy: the write goes on while the evictor frees memory (Redis's
  // EVICT_RUNNING), unless eviction cannot free anything.
  if (policy != "noeviction" && !EvictionCannotFree(state, policy)) return false;
  session.FlagTransaction();
  out.Error(kOomError);
  return true;
}

}  // namespace petacore::server
