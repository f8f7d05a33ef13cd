#include "commands/table.h"
namespace petacore::commands {
void RegisterStreamGroupFamily(CommandTable&) {}
}  // namespace petacore::commands
