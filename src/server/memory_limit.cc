#include "server/memory_limit.h"

#include <string>

namespace petacore::server {

size_t UsedMemory(const ServerState& state) { return state.store.stats().bytes; }

bool OverMaxmemory(const ServerState& state) {
  return state.config.maxmemory > 0 && UsedMemory(state) > state.config.maxmemory;
}

bool RejectIfOverMaxmemory(const commands::CommandSpec& spec, client::Session& session,
                           const ServerState& state, resp::ReplyWriter& out) {
  if (!(spec.flags & commands::kDenyOom) || !OverMaxmemory(state)) return false;
  session.FlagTransaction();
  out.Error(kOomError);
  return true;
}

}  // namespace petacore::server
