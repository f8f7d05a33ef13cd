// command_docs.cc — COMMAND DOCS from the generated documentation data.
#include "commands/command_docs.h"

namespace petacore::commands {

void CommandDocs(CommandContext& ctx) { ctx.out.MapHeader(0); }

}  // namespace petacore::commands
