#include "server/memory_limit.h"

#include <string>
#include <vector>

namespace petacore::server {

size_t UsedMemory(const ServerState& state) { return state.store.stats().bytes; }

bool RejectIfOverMaxmemory(const commands::CommandSpec& spec, Session& session,
                           const ServerState& state, resp::ReplyWriter& out) {
  if (state.config.maxmemory == 0) return false;
  const bool is_exec = (spec.flags & commands::kRunsQueue) && session.in_multi;
  bool denyoom = (spec.flags & commands::kDenyOom) != 0;
  if (is_exec) {  // as Redis 7: EXEC is denyoom when a queued command is
    for (const auto& cmd : session.queued) {
      std::vector<std::string_view> argv(cmd.begin(), cmd.end());
      const commands::CommandSpec* queued = commands::Table().Resolve(argv);
      if (queued != nullptr && (queued->flags & commands::kDenyOom)) denyoom = true;
    }
  }
  if (!denyoom || UsedMemory(state) <= state.config.maxmemory) return false;
  if (is_exec) {
    session.ResetMulti();
    session.watched.clear();
    out.Error("EXECABORT Transaction discarded because of: " + std::string(kOomError));
  } else {
    if (session.in_multi) session.multi_dirty = true;
    out.Error(kOomError);
  }
  return true;
}

}  // namespace petacore::server
