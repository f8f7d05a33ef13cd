// petacore_family.cc — PETACORE: PetaCore's own commands, in one container command whose
// name no Redis command will take. PETACORE READCONSISTENCY sets a connection's read mode.
#include <iterator>

#include "client/read_consistency.h"
#include "commands/context.h"
#include "commands/table.h"

namespace petacore::commands {
namespace {

// PETACORE READCONSISTENCY [LOCAL|LINEARIZABLE] — without an argument, the connection's
// mode as a bulk string ("local" / "linearizable"; the server's --read-consistency until set);
// with one, sets it for this connection and answers +OK. See docs/consistency.md.
void ReadConsistencyCmd(CommandContext& ctx) {
  if (ctx.args.size() == 2) {
    auto mode = ctx.session.read_consistency.value_or(ctx.server.Options().read_consistency);
    return ctx.out.Bulk(client::ReadConsistencyName(mode));
  }
  auto mode = client::ParseReadConsistency(ctx.args[2]);
  if (!mode) return ctx.out.Error(kErrSyntax);
  ctx.session.read_consistency = *mode;
  ctx.out.Ok();
}

// PETACORE <subcommand> ... | PETACORE HELP — subcommands with their own arity, and Redis 7's
// container-command errors.
void Petacore(CommandContext& ctx) {
  std::string_view sub = ctx.args[1];
  size_t argc = ctx.args.size();
  if (EqualsIgnoreCase(sub, "help")) {
    if (argc != 2)
      return ctx.out.Error(ErrWrongArgs("petacore|help"));
    static constexpr std::string_view kHelp[] = {
        "PETACORE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "READCONSISTENCY [LOCAL|LINEARIZABLE]",
        "    Without an argument, return this connection's read consistency. With one, set",
        "    it: LOCAL reads from this node's replica, LINEARIZABLE waits for etcd's",
        "    current revision first.",
        "HELP",
        "    Prints this help."};
    ctx.out.ArrayHeader(std::size(kHelp));
    for (auto line : kHelp) ctx.out.Simple(line);
    return;
  }
  if (EqualsIgnoreCase(sub, "readconsistency")) {
    if (argc > 3) {
      return ctx.out.Error(ErrWrongArgs("petacore|readconsistency"));
    }
    return ReadConsistencyCmd(ctx);
  }
  ctx.out.Error(ErrUnknownSubcommand(sub, "PETACORE"));
}

}  // namespace

void RegisterPetacoreFamily(CommandTable& t) {
  // PetaCore's own container (not in Redis). Neither read-only nor write: a connection
  // setting, never fenced, allowed while loading.
  t.Add({.name = "petacore",
         .arity = -2,
         .flags = kNoScript | kLoading | kStale | kFast,
         .acl = acl::kFast | acl::kConnection,
         .subcommands = {{.name = "help",
                          .arity = 2,
                          .flags = kNoScript | kLoading | kStale | kFast,
                          .acl = acl::kFast | acl::kConnection,
                          .handler = Petacore,
                          .petacore_only = true},
                         {.name = "readconsistency",
                          .arity = -2,
                          .flags = kNoScript | kLoading | kStale | kFast,
                          .acl = acl::kFast | acl::kConnection,
                          .handler = Petacore,
                          .petacore_only = true}},
         .petacore_only = true});
}

}  // namespace petacore::commands
