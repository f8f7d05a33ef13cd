// command_fuzz.cc — libFuzzer target for command execution on a standalone store.
//
// Input: a RESP stream (multibulk or inline commands, as a client would send). Each command
// runs through the real server::Driver (lookup, arity, MULTI/EXEC, TxnView, commit,
// ack-after-visible) against a fresh standalone ServerState with a LocalCommitter, the way
// tests/commands/test_util.h does, on a single-threaded queue executor. A command named "@"
// switches between two client sessions (WATCH races, CLIENT LIST of several clients).
//
// Bounded and deterministic: at most kMaxCommands commands of at most kMaxArgs arguments of
// at most kMaxArgBytes bytes each; blocking commands are skipped (nothing could wake them);
// commands whose count/offset arguments would make the server allocate in proportion to the
// number (SETRANGE offsets, SRANDMEMBER/HRANDFIELD negative counts) are skipped past a small
// bound. Every executed command must produce a reply: a missing one aborts (a crash for
// libFuzzer), as do sanitizer findings.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "client/session.h"
#include "commands/context.h"
#include "commands/table.h"
#include "replication/local_committer.h"
#include "resp/parser.h"
#include "server/driver.h"
#include "server/server_state.h"
#include "tests/fuzz/queue_executor.h"

namespace {

using namespace petacore;

constexpr size_t kMaxCommands = 64;
constexpr size_t kMaxArgs = 16;
constexpr size_t kMaxArgBytes = 256;
constexpr int64_t kMaxSizeArgument = 4096;

bool IsIntegerOver(std::string_view arg, int64_t bound) {
  int64_t n;
  if (!commands::ParseInt64(arg, &n)) return false;
  return n > bound || n < -bound;
}

// Commands whose numeric arguments size an allocation (see the file comment).
bool AllocatesByArgument(const commands::CommandSpec& spec,
                         std::span<const std::string_view> args) {
  const std::string_view name = spec.name;
  if (name != "setrange" && name != "srandmember" && name != "hrandfield") return false;
  for (size_t i = 2; i < args.size(); ++i) {
    if (IsIntegerOver(args[i], kMaxSizeArgument)) return true;
  }
  return false;
}

struct Harness {
  server::ServerState state;
  server::Driver driver{state};
  std::shared_ptr<fuzz::QueueExecutor> executor = std::make_shared<fuzz::QueueExecutor>();
  std::array<client::Session, 2> sessions;

  Harness() {
    // Compact often, so compaction runs under live snapshots and WATCHed revisions.
    state.committer = std::make_unique<replication::LocalCommitter>(state.store, 16);
    state.start_ms = 1;
    std::lock_guard lock(state.clients_mu);
    for (size_t i = 0; i < sessions.size(); ++i) {
      sessions[i].id = state.next_client_id.fetch_add(1);
      state.clients[sessions[i].id] = &sessions[i];
    }
  }
  ~Harness() {
    std::lock_guard lock(state.clients_mu);
    state.clients.clear();
  }

  // Runs one command to its reply; aborts if it never comes.
  void Run(client::Session& session, std::span<const std::string_view> args) {
    std::string out;
    bool resumed = false;
    bool done = driver.Execute(session, args, &out, executor, [&resumed] { resumed = true; });
    executor->RunUntilIdle();
    if ((!done && !resumed) || out.empty()) std::abort();
  }
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  commands::Table();  // built once, as the server does before any thread uses it
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  resp::Parser parser(resp::Limits{.max_bulk_len = kMaxArgBytes,
                                   .max_multibulk_len = kMaxArgs,
                                   .max_inline_len = 1024});
  Harness h;
  size_t current = 0;
  size_t commands_run = 0;
  resp::Command command;
  while (!input.empty() && commands_run < kMaxCommands) {
    auto result = parser.Parse(input, &command);
    if (result.status != resp::Parser::Status::kCommand) break;
    // Own copies: the views may point into the parser's scratch storage.
    std::vector<std::string> owned(command.args.begin(), command.args.end());
    input.remove_prefix(result.consumed);
    if (owned.empty()) continue;
    if (owned[0] == "@") {
      current = (current + 1) % h.sessions.size();
      continue;
    }
    std::vector<std::string_view> args(owned.begin(), owned.end());
    const commands::CommandSpec* spec = commands::Table().Find(args[0]);
    // Inside MULTI a blocking command is only queued (and never blocks at EXEC, as Redis).
    const bool would_block =
        spec != nullptr && (spec->flags & commands::kBlocking) && !h.sessions[current].in_multi;
    if (would_block || (spec != nullptr && AllocatesByArgument(*spec, args))) {
      continue;
    }
    h.Run(h.sessions[current], args);
    ++commands_run;
  }
  return 0;
}
