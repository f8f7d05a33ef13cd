// petacore-server: a Redis-protocol server whose data is replicated through etcd.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "absl/synchronization/mutex.h"

#include "config/config.h"
#include "mvcc/process_memory.h"
#include "server/server.h"

int main(int argc, char** argv) {
  petacore::mvcc::StartAllocatorBackgroundPurge();  // RSS follows the data (issue 21)
  // Debian's abseil is built without NDEBUG, so every absl::Mutex that gRPC takes also fed
  // abseil's lock-order graph (GraphCycles): ~2-3 % of a replicated write's CPU in perf, and
  // an abort on a suspected cycle inside gRPC. Detection is a debugging aid; release builds
  // of abseil turn it off, and so do we (issue 18, docs/performance.md).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  int exit_code = 0;
  auto config = petacore::config::ParseCommandLine(argc, argv, &exit_code);
  if (!config) return exit_code;
  spdlog::set_default_logger(spdlog::stderr_color_mt("petacore"));
  spdlog::set_level(spdlog::level::from_str(config->log_level));
  return petacore::server::RunServer(*config);
}
