// src/commands/table.h — the command table, in Redis's own convention: name, arity (n exact,
// -n at least n, the name counting), flags, and key positions (first, last, step; last < 0
// counts from the end), from which COMMAND INFO is answered.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace petacore::commands {

struct CommandContext;
using Handler = void (*)(CommandContext&);

/// Command flags (Redis's command flags, as COMMAND INFO reports them).
enum CommandFlag : uint32_t {
  kWrite = 1 << 0,     ///< may modify the key space
  kReadOnly = 1 << 1,  ///< reads the key space only
  kFast = 1 << 2,      ///< O(1) or O(log N)
  kAdmin = 1 << 3,
  kNoScript = 1 << 4,
  kLoading = 1 << 5,  ///< allowed while loading
  kStale = 1 << 6,
  kAllowBusy = 1 << 7,
  /// Runs at once even inside MULTI (EXEC, DISCARD, MULTI, WATCH, QUIT, ...), as Redis's
  /// processCommand does for those.
  kNoQueue = 1 << 8,
  kDenyOom = 1 << 9,
  kBlocking = 1 << 10,  ///< may park the client (BLPOP, BZPOPMIN, ...)
  kNoAuth = 1 << 11,    ///< runs before authentication and needs no ACL permission (AUTH)
  /// Not a Redis flag (COMMAND INFO does not show it): the command writes internal keys (ACL
  /// SETUSER), so the Driver runs it through the commit path like a write.
  kInternalWrite = 1 << 12,
};

/// One command's spec. `name` is lower case.
struct CommandSpec {
  std::string_view name;
  int arity;
  uint32_t flags;
  int first_key;
  int last_key;
  int step;
  Handler handler;

  bool ArityOk(size_t argc) const {
    return arity > 0 ? static_cast<int>(argc) == arity : static_cast<int>(argc) >= -arity;
  }
  /// Redis's flag words for COMMAND INFO ("write", "readonly", "fast", ...).
  std::vector<std::string_view> FlagNames() const;
};

/// Name → spec, case-insensitive. Filled once at start-up, then read-only (thread-safe reads).
class CommandTable {
 public:
  CommandTable& Add(CommandSpec spec);
  /// nullptr for an unknown command. No allocation for names up to 32 bytes.
  const CommandSpec* Find(std::string_view name) const;
  const std::vector<CommandSpec>& all() const { return specs_; }

 private:
  std::vector<CommandSpec> specs_;
  std::unordered_map<std::string, size_t> index_;
};

/// The table with every command family registered.
const CommandTable& Table();

// Family registration, one per *_family.cc.
void RegisterStringFamily(CommandTable& t);
void RegisterKeyspaceFamily(CommandTable& t);
void RegisterServerFamily(CommandTable& t);
void RegisterConfigFamily(CommandTable& t);
void RegisterTxnFamily(CommandTable& t);
void RegisterHashFamily(CommandTable& t);
void RegisterListFamily(CommandTable& t);
void RegisterSetFamily(CommandTable& t);
void RegisterZSetFamily(CommandTable& t);
void RegisterExpireFamily(CommandTable& t);  // EXPIRE, TTL, PERSIST, ... (expire_family.cc)
void RegisterGenericFamily(CommandTable& t);  // RENAME, COPY, SCAN, ... (generic_family.cc)
void RegisterPetacoreFamily(CommandTable& t);  // PETACORE READCONSISTENCY (petacore_family.cc)
void RegisterDebugFamily(CommandTable& t);  // DEBUG DIGEST, DIGEST-REVISION (debug_family.cc)
void RegisterAclFamily(CommandTable& t);      // AUTH, ACL (acl_family.cc)

}  // namespace petacore::commands
