// src/commands/lua_busy.h — busy scripts: what a script that has run past busy-reply-threshold
// does to the rest of its node, as Redis 7.0.15 (script.c scriptInterrupt / scriptKill,
// server.c processCommand's BUSY check). docs/architecture.md "Busy scripts" has the design.
//
// A script past the threshold registers itself here (lua_engine.cc's hook) until it ends.
// While any script is registered the node is busy: every command without the allow-busy flag
// is refused with BusyError() (server/driver.cc, on every io thread), and SCRIPT KILL /
// FUNCTION KILL (KillBusy) may stop a registered script that has not written. The io thread
// running the busy script keeps serving its other connections: the hook calls the thread's
// event pump (SetThreadEventPump) between Lua instructions.
//
// Unlike Redis, several scripts may run at once (one per io thread); each becomes busy on its
// own, and a kill stops every registered script it may stop.
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <span>
#include <vector>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace petacore::commands::lua {

/// Redis's shared.slowevalerr: the reply while an EVAL/EVALSHA script is busy.
inline constexpr std::string_view kBusyEvalError =
    "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
/// Redis's shared.slowscripterr: the reply while a function (FCALL) is busy.
inline constexpr std::string_view kBusyFunctionError =
    "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
/// The error a killed script fails with (Redis's luaMaskCountHook; "ERR " is added by the
/// script error machinery, then " script: <sha>, on @user_script:<line>.").
inline constexpr std::string_view kKilledError = "Script killed by user with SCRIPT KILL...";

/// One running script past its threshold, as the rest of the node sees it. Owned by the
/// script's frame (lua_engine.cc); registered with BusyEnter, removed with BusyLeave.
/// Thread-safety: `wrote` is stored by the script's thread, `kill` by a killer's thread.
struct BusyScript {
  bool function = false;           ///< FCALL (FUNCTION KILL) rather than EVAL (SCRIPT KILL)
  /// For FUNCTION STATS: the function's name and the caller's command (views into the
  /// running command's arguments, valid while the script is registered), and its start.
  std::string_view name;
  std::span<const std::string_view> command;
  std::chrono::steady_clock::time_point started{};
  std::atomic<bool> wrote{false};  ///< has buffered writes: UNKILLABLE
  std::atomic<bool> kill{false};   ///< a kill was accepted: the hook raises kKilledError
};

/// Registers `script` as busy (the node refuses non-allow-busy commands from now on).
/// Thread-safe. `script` must stay alive until BusyLeave(script).
void BusyEnter(BusyScript* script);
/// Removes `script`; the node is no longer busy once no script is registered. Thread-safe.
void BusyLeave(BusyScript* script);

/// "" when no script is busy; else the BUSY error a command without allow-busy gets
/// (kBusyEvalError while an EVAL script is busy, else kBusyFunctionError). Thread-safe; two
/// relaxed atomic loads when nothing is busy.
std::string_view BusyError();

/// A busy function as FUNCTION STATS' running_script shows it (Redis 7.0: name, command,
/// duration_ms).
struct RunningFunction {
  std::string name;
  std::vector<std::string> command;
  int64_t duration_ms = 0;
};

/// The first busy function (FCALL) registered, copied under the registry's lock; nullopt when
/// no function is busy. Thread-safe.
std::optional<RunningFunction> BusyFunction();

/// SCRIPT KILL (`function` false) / FUNCTION KILL (`function` true), as Redis's scriptKill:
/// returns "" (reply +OK) after marking every busy script of that kind that has not written
/// for death; else the error to reply: "-NOTBUSY No scripts in execution right now." when none
/// is busy, Redis's "-UNKILLABLE Sorry the script already executed write commands ..." when
/// only scripts that wrote are busy, and the other kind's BUSY text when only scripts of the
/// other kind are (SCRIPT KILL of a function, FUNCTION KILL of an EVAL). Thread-safe.
std::string KillBusy(bool function);

/// Per thread: what a busy script running on this thread calls, every ~100000 Lua
/// instructions, to serve the thread's other work (the io thread's ready handlers). Returns
/// false once the thread's event loop is stopped (the server is shutting down): the script
/// is then stopped like a killed one, even if it wrote. Unset (the default, tests, fuzzing):
/// nothing is served. Set once per io thread by the server before it runs its io_context.
void SetThreadEventPump(std::function<bool()> pump);

/// Runs this thread's event pump (lua_engine.cc's hook); true if none is set.
bool PumpThreadEvents();

/// Whether this thread is inside its event pump, i.e. a script of this thread is busy and
/// suspended in its hook: a script may not start here now (lua_engine.cc refuses it with the
/// BUSY error; the Lua state is the busy script's).
bool InsideEventPump();

/// Test-only (fuzzing): every script is stopped with kKilledError after about
/// `instructions` Lua instructions, written or not, so an endless loop ends without another
/// client sending SCRIPT KILL. 0 (the default) = no limit. Thread-safe (process-wide).
void SetInstructionLimitForTesting(int64_t instructions);
/// The current test instruction limit (0 = none).
int64_t InstructionLimitForTesting();

}  // namespace petacore::commands::lua
