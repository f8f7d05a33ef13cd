// set_family.cc — (being written)
#include "commands/context.h"
#include "commands/table.h"

namespace petacore::commands {

void RegisterSetFamily(CommandTable& t) {}

}  // namespace petacore::commands
