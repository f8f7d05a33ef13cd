// list_family.cc — (being written)
#include "commands/context.h"
#include "commands/table.h"

namespace petacore::commands {

void RegisterListFamily(CommandTable& t) {}

}  // namespace petacore::commands
