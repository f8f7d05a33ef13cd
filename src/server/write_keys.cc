#include "server/write_keys.h"

#include "commands/key_spec.h"
#include "keyspace/encoding.h"

namespace petacore::server {

void AppendWriteKeys(const commands::CommandSpec& spec, std::span<const std::string_view> args,
                     int db, std::vector<std::string>* keys) {
  if (!(spec.flags & commands::kWrite)) return;
  thread_local std::vector<commands::KeyRef> refs;
  commands::ExtractKeys(spec, args, &refs);
  for (const auto& k : refs) keys->push_back(keyspace::EncodeKey(db, args[k.index]));
}

}  // namespace petacore::server
