#include "server/write_keys.h"

#include "keyspace/encoding.h"

namespace petacore::server {

void AppendWriteKeys(const commands::CommandSpec& spec, std::span<const std::string_view> args,
                     int db, std::vector<std::string>* keys) {
  if (!(spec.flags & commands::kWrite) || spec.first_key <= 0) return;
  int argc = static_cast<int>(args.size());
  int last = spec.last_key < 0 ? argc + spec.last_key : spec.last_key;
  for (int i = spec.first_key; i <= last && i < argc; i += spec.step) {
    keys->push_back(keyspace::EncodeKey(db, args[i]));
  }
}

}  // namespace petacore::server
