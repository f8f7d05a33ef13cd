#include "server/write_keys.h"

#include "commands/key_spec.h"
#include "keyspace/encoding.h"

namespace petacore::server {

void AppendWriteKeys(const commands::CommandSpec& spec, std::span<const std::string_view> args,
                     int db, std::vector<std::string>* keys) {
  // kInternalWrite: EVAL / EVALSHA lock their declared KEYS, so scripts on the same keys of
  // one node take turns instead of conflicting (commands without key specs add nothing).
  if (!(spec.flags & (commands::kWrite | commands::kInternalWrite))) return;
  thread_local std::vector<commands::KeyRef> refs;
  commands::ExtractKeys(spec, args, &refs);
  for (const auto& k : refs) keys->push_back(keyspace::EncodeKey(db, args[k.index]));
}

}  // namespace petacore::server
