// src/commands/table.h — the command table: one CommandSpec per command and per subcommand,
// written as data with designated initializers at the bottom of each *_family.cc, in Redis
// 7.0's model (name, arity, flags, ACL categories, key specs, tips; subcommands first-class
// entries of their container). COMMAND INFO/LIST/COUNT/GETKEYS, the ACL units and categories,
// the key positions every consumer uses (key_spec.h) and the Driver's routing all read it.
// The documentation half of Redis's command JSON (summary, since, group, complexity,
// arguments, history) is in command_docs.h, looked up by full name.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "commands/key_spec.h"

namespace petacore::keyspace {
class TxnView;
}  // namespace petacore::keyspace

namespace petacore::commands {

struct CommandContext;
using Handler = void (*)(CommandContext&);
/// See CommandSpec::read_only_call.
using ReadOnlyCallFunction = bool (*)(std::span<const std::string_view> args,
                                      keyspace::TxnView& view);

/// Command flags: Redis's command flags (COMMAND INFO shows them, by FlagNames), then
/// PetaCore-internal flags that tell the Driver what it must know about a command without
/// naming it (COMMAND INFO does not show those).
enum CommandFlag : uint32_t {
  kWrite = 1 << 0,     ///< may modify the key space
  kReadOnly = 1 << 1,  ///< reads the key space only
  kFast = 1 << 2,      ///< O(1) or O(log N)
  kAdmin = 1 << 3,
  kNoScript = 1 << 4,
  kLoading = 1 << 5,  ///< allowed while loading
  kStale = 1 << 6,
  kAllowBusy = 1 << 7,
  kDenyOom = 1 << 9,
  kBlocking = 1 << 10,  ///< may park the client (BLPOP, BZPOPMIN, ...)
  kNoAuth = 1 << 11,    ///< runs before authentication and needs no ACL permission (AUTH)
  kPubSub = 1 << 13,
  kSkipMonitor = 1 << 14,
  kSkipSlowlog = 1 << 15,
  kNoMandatoryKeys = 1 << 16,
  kNoAsyncLoading = 1 << 17,
  kNoMulti = 1 << 18,
  /// Derived by CommandTable::Add from the key specs (DeriveLegacyRange); never written.
  kMovableKeys = 1 << 19,
  kAsking = 1 << 20,  ///< Redis's CMD_ASKING (RESTORE-ASKING); no effect without cluster mode

  // PetaCore-internal flags.
  /// Runs at once even inside MULTI (EXEC, DISCARD, MULTI, WATCH, QUIT), as Redis's
  /// processCommand does for those.
  kNoQueue = 1 << 8,
  /// The command writes internal keys (ACL SETUSER, CONFIG SET of a cluster-wide option), so
  /// the Driver runs it through the commit path like a write.
  kInternalWrite = 1 << 12,
  /// The command runs the MULTI queue (EXEC): the Driver runs the queued commands as one Job,
  /// and maxmemory treats it as denyoom when a queued command is.
  kRunsQueue = 1 << 24,
  /// The command changes the selected database to args[1] (SELECT): inside EXEC, the keys of
  /// the following queued commands are in that database.
  kSelectsDb = 1 << 25,
  /// Allowed to a RESP2 client in subscribed mode ((P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING,
  /// QUIT, RESET), as Redis's processCommand.
  kSubscribedOk = 1 << 26,
  /// Redis's CMD_MAY_REPLICATE (not shown by COMMAND INFO): not a write, yet held by CLIENT
  /// PAUSE WRITE as one (PUBLISH, SPUBLISH; scripts later).
  kMayReplicate = 1 << 27,
  /// With kBlocking: parks like a blocking command, yet COMMAND INFO does not say "blocking"
  /// (WAIT, which Redis blocks without the flag).
  kParksQuietly = 1 << 28,
};

/// Redis 7.0's ACL categories, one bit each, in the order ACL CAT lists them. In specs:
/// `.acl = acl::kRead | acl::kString | acl::kFast`.
namespace acl {
enum Category : uint32_t {
  kKeyspace = 1u << 0,
  kRead = 1u << 1,
  kWrite = 1u << 2,
  kSet = 1u << 3,
  kSortedSet = 1u << 4,
  kList = 1u << 5,
  kHash = 1u << 6,
  kString = 1u << 7,
  kBitmap = 1u << 8,
  kHyperLogLog = 1u << 9,
  kGeo = 1u << 10,
  kStream = 1u << 11,
  kPubSub = 1u << 12,
  kAdmin = 1u << 13,
  kFast = 1u << 14,
  kSlow = 1u << 15,
  kBlocking = 1u << 16,
  kDangerous = 1u << 17,
  kConnection = 1u << 18,
  kTransaction = 1u << 19,
  kScripting = 1u << 20,
};
}  // namespace acl

/// One command's or subcommand's spec. Written with designated initializers, e.g.
///   {.name = "get", .arity = 2, .flags = kReadOnly | kFast,
///    .acl = acl::kRead | acl::kString | acl::kFast,
///    .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
///    .handler = Get}
/// The fields up to `subcommands` are Redis 7.0's (COMMAND INFO); the ones after are filled
/// by CommandTable::Add. A container (CONFIG, CLIENT, ...) lists its subcommands and has no
/// handler: the Driver resolves "CONFIG GET" to the subcommand spec (CommandTable::Resolve),
/// whose handler runs with the whole argv (args[1] is the subcommand name).
struct CommandSpec {
  std::string_view name = {};  ///< lower case; a subcommand's own name ("get")
  int arity = 0;       ///< n: exactly n arguments, -n: at least n (the name, and subcommand, count)
  uint32_t flags = 0;  ///< CommandFlag bits
  uint32_t acl = 0;    ///< acl::Category bits, as COMMAND INFO and ACL CAT show them
  std::vector<KeySpec> key_specs = {};
  std::vector<std::string_view> tips = {};  ///< Redis's command tips ("nondeterministic_output")
  Handler handler = nullptr;
  /// For key specs with kKeyVariableFlags: the command's own key finder (ExtractKeys).
  KeysFunction keys_function = nullptr;
  std::vector<CommandSpec> subcommands = {};
  /// Not in Redis 7.0.15 (a PetaCore command, or a later Redis subcommand such as CLIENT
  /// SETINFO): left out of the differential COMMAND test.
  bool petacore_only = false;
  /// Which arguments are pub/sub channels, for ACL channel permissions (as Redis's
  /// getChannelsFromCommand): kNone; kFirst: args[1] (PUBLISH, SPUBLISH); kAll: args[1..]
  /// (SUBSCRIBE, SSUBSCRIBE); kAllPatterns: args[1..] as patterns (PSUBSCRIBE, which Redis
  /// admits only for a pattern the user's channel list holds literally).
  enum class ChannelArgs : uint8_t { kNone, kFirst, kAll, kAllPatterns };
  ChannelArgs channels = ChannelArgs::kNone;
  /// For a command that may write but whose call may be known not to (EVAL / EVALSHA / FCALL
  /// of a script declared `no-writes`, as Redis's evalGetCommandFlags / fcallGetCommandFlags):
  /// true when this call cannot write, so the Driver runs it on the read path (a snapshot, no
  /// Job, no commit; fenced under linearizable reads like a read-only command). Reads `view`
  /// (a snapshot of the node's replica); runs on the connection's thread. nullptr: the flags
  /// decide.
  ReadOnlyCallFunction read_only_call = nullptr;

  // Filled by CommandTable::Add.
  std::string fullname = {};               ///< "get", "config|get" (static storage: a table's)
  const CommandSpec* container = nullptr;  ///< a subcommand's container, else nullptr
  LegacyRange legacy = {};                 ///< COMMAND INFO's first/last/step

  bool ArityOk(size_t argc) const {
    return arity > 0 ? static_cast<int>(argc) == arity : static_cast<int>(argc) >= -arity;
  }
  /// Redis's flag words for COMMAND INFO ("write", "readonly", "fast", ...; internal flags
  /// are not shown).
  std::vector<std::string_view> FlagNames() const;
  /// The subcommand `name` (case-insensitive), nullptr if none.
  const CommandSpec* FindSubcommand(std::string_view name) const;
};

/// Top-level name → spec, case-insensitive. Filled once at start-up, then read-only (thread-
/// safe reads; specs never move, so pointers to them stay valid).
class CommandTable {
 public:
  /// Adds a top-level command with its subcommands; fills the derived fields.
  CommandTable& Add(CommandSpec spec);
  /// The top-level command `name`; nullptr for an unknown one. No allocation up to 32 bytes.
  const CommandSpec* Find(std::string_view name) const;
  /// The spec an invocation runs as, as Redis's lookupCommand: the subcommand spec when
  /// args[0] is a container and args has a subcommand name, the command's own spec
  /// otherwise; nullptr for an unknown command or subcommand (UnknownSubcommandError when
  /// Find(args[0]) is a container).
  const CommandSpec* Resolve(std::span<const std::string_view> args) const;
  /// Resolve by full name ("get", "config|get"); nullptr when unknown.
  const CommandSpec* FindFull(std::string_view fullname) const;
  const std::deque<CommandSpec>& all() const { return specs_; }

 private:
  std::deque<CommandSpec> specs_;
  std::unordered_map<std::string, size_t> index_;
};

/// Redis's reply for a container with an unknown subcommand (args.size() >= 2):
/// "ERR unknown subcommand 'x'. Try CONFIG HELP." (the name at most 128 bytes).
std::string UnknownSubcommandError(std::span<const std::string_view> args);

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
void RegisterStreamFamily(CommandTable& t);    // XADD, XRANGE, XREAD, ... (stream_family.cc)
void RegisterStreamGroupFamily(CommandTable& t);  // XGROUP, XREADGROUP, ... (stream_group*.cc)
void RegisterExpireFamily(CommandTable& t);    // EXPIRE, TTL, PERSIST, ... (expire_family.cc)
void RegisterGenericFamily(CommandTable& t);   // RENAME, COPY, SCAN, ... (generic_family.cc)
void RegisterPetacoreFamily(CommandTable& t);  // PETACORE READCONSISTENCY (petacore_family.cc)
void RegisterDebugFamily(CommandTable& t);     // DEBUG DIGEST, DIGEST-REVISION (debug_family.cc)
void RegisterAclFamily(CommandTable& t);       // AUTH, ACL (acl_family.cc)
void RegisterPubSubFamily(CommandTable& t);    // SUBSCRIBE, PUBLISH, PUBSUB, ... (pubsub_family.cc)
void RegisterScriptFamily(CommandTable& t);    // EVAL, EVALSHA, SCRIPT, ... (script_family.cc)
void RegisterFunctionFamily(CommandTable& t);  // FUNCTION, FCALL, FCALL_RO (function_family.cc)
void RegisterBitmapFamily(CommandTable& t);
void RegisterSortFamily(CommandTable& t);      // SORT, SORT_RO (sort_family.cc)    // SETBIT, BITFIELD, ... (bitmap_family.cc)
void RegisterLcsFamily(CommandTable& t);       // LCS (lcs_family.cc)
void RegisterZSetSampleFamily(CommandTable& t);  // ZRANDMEMBER, ZINTERCARD (zset_sample_family.cc)
void RegisterMpopFamily(CommandTable& t);      // LMPOP, BLMPOP, ZMPOP, BZMPOP (mpop_family.cc)
void RegisterHllFamily(CommandTable& t);       // PFADD, PFCOUNT, PFMERGE, ... (hll_family.cc)
void RegisterGeoFamily(CommandTable& t);       // GEOADD, GEOSEARCH, ... (geo*_family.cc)
void RegisterDumpFamily(CommandTable& t);      // DUMP, RESTORE, MIGRATE (dump_family.cc)
// SAVE family and LOLWUT
void RegisterPersistenceFamily(CommandTable& t);  // SAVE, BGSAVE, LASTSAVE, ... (persistence_family.cc)
void RegisterLolwutFamily(CommandTable& t);       // LOLWUT (lolwut_family.cc)
// WAIT, ROLE, REPLICAOF, PSYNC, ... (replication_family.cc)
void RegisterReplicationFamily(CommandTable& t);
// CLUSTER, READONLY, READWRITE, ASKING, MODULE (cluster_family.cc)
void RegisterClusterFamily(CommandTable& t);
void RegisterShutdownFamily(CommandTable& t);  // SHUTDOWN (shutdown_family.cc)
// observability (h15): SLOWLOG, LATENCY, MONITOR, MEMORY (slowlog/latency/monitor/memory_family.cc)
void RegisterSlowlogFamily(CommandTable& t);
void RegisterLatencyFamily(CommandTable& t);
void RegisterMonitorFamily(CommandTable& t);
void RegisterMemoryFamily(CommandTable& t);

}  // namespace petacore::commands
