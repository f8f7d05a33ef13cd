// hash_family.cc — (being written)
#include "commands/context.h"
#include "commands/table.h"

namespace petacore::commands {

void RegisterHashFamily(CommandTable& t) {}

}  // namespace petacore::commands
