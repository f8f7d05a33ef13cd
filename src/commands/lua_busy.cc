// lua_busy.cc — the node's registry of busy scripts, SCRIPT KILL / FUNCTION KILL, and each
// io thread's event pump (lua_busy.h).
#include "commands/lua_busy.h"

#include <algorithm>
#include <mutex>
#include <vector>

namespace petacore::commands::lua {
namespace {

struct Registry {
  std::mutex mu;
  std::vector<BusyScript*> scripts;  // guarded by mu
  // Mirrors of `scripts` for BusyError's lock-free fast path (changed under mu).
  std::atomic<int> evals{0};
  std::atomic<int> functions{0};
};

Registry& Busy() {
  static Registry* registry = new Registry;  // never destroyed: io threads may outlive statics
  return *registry;
}

std::atomic<int64_t> instruction_limit{0};

thread_local std::function<bool()> thread_pump;
thread_local bool inside_pump = false;

}  // namespace

void BusyEnter(BusyScript* script) {
  Registry& r = Busy();
  std::lock_guard lock(r.mu);
  r.scripts.push_back(script);
  (script->function ? r.functions : r.evals).fetch_add(1, std::memory_order_relaxed);
}

void BusyLeave(BusyScript* script) {
  Registry& r = Busy();
  std::lock_guard lock(r.mu);
  auto it = std::find(r.scripts.begin(), r.scripts.end(), script);
  if (it == r.scripts.end()) return;
  r.scripts.erase(it);
  (script->function ? r.functions : r.evals).fetch_sub(1, std::memory_order_relaxed);
}

std::string_view BusyError() {
  Registry& r = Busy();
  if (r.evals.load(std::memory_order_relaxed) > 0) return kBusyEvalError;
  if (r.functions.load(std::memory_order_relaxed) > 0) return kBusyFunctionError;
  return {};
}

std::optional<RunningFunction> BusyFunction() {
  Registry& r = Busy();
  std::lock_guard lock(r.mu);
  for (const BusyScript* s : r.scripts) {
    if (!s->function) continue;
    RunningFunction out;
    out.name = std::string(s->name);
    out.command.assign(s->command.begin(), s->command.end());
    out.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - s->started)
                          .count();
    return out;
  }
  return std::nullopt;
}

std::string KillBusy(bool function) {
  Registry& r = Busy();
  std::lock_guard lock(r.mu);
  if (r.scripts.empty()) return "-NOTBUSY No scripts in execution right now.";
  bool killed = false;
  bool unkillable = false;
  for (BusyScript* s : r.scripts) {
    // As scriptKill: a script that wrote is unkillable whatever its kind.
    if (s->wrote.load(std::memory_order_acquire)) {
      unkillable = true;
    } else if (s->function == function) {
      s->kill.store(true, std::memory_order_release);
      killed = true;
    }
  }
  if (killed) return "";
  if (unkillable) {
    return "-UNKILLABLE Sorry the script already executed write commands against the dataset. "
           "You can either wait the script termination or kill the server in a hard way using "
           "the SHUTDOWN NOSAVE command.";
  }
  // Only scripts of the other kind are busy: Redis answers with their kind's BUSY text.
  return std::string(function ? kBusyEvalError : kBusyFunctionError);
}

void SetThreadEventPump(std::function<bool()> pump) { thread_pump = std::move(pump); }

bool PumpThreadEvents() {
  if (!thread_pump || inside_pump) return true;
  inside_pump = true;
  bool alive;
  try {
    alive = thread_pump();
  } catch (...) {
    inside_pump = false;
    throw;
  }
  inside_pump = false;
  return alive;
}

bool InsideEventPump() { return inside_pump; }

void SetInstructionLimitForTesting(int64_t instructions) {
  instruction_limit.store(std::max<int64_t>(instructions, 0), std::memory_order_relaxed);
}

int64_t InstructionLimitForTesting() { return instruction_limit.load(std::memory_order_relaxed); }

}  // namespace petacore::commands::lua
