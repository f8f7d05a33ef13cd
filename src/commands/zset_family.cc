// zset_family.cc — (being written)
#include "commands/context.h"
#include "commands/table.h"

namespace petacore::commands {

void RegisterZSetFamily(CommandTable& t) {}

}  // namespace petacore::commands
