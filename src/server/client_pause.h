// src/server/client_pause.h — CLIENT PAUSE / CLIENT UNPAUSE state of this node (as Redis 7.0's
// pauseClients / unpauseClients): until a deadline, the commands of this node's clients that
// the pause covers are held, not refused. Node-local: other nodes keep serving (see
// docs/consistency.md).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

namespace petacore::server {

/// The node's client pause. Thread-safe (one mutex): CLIENT PAUSE/UNPAUSE run on any
/// connection's thread, every connection asks Holds before running a command.
class ClientPause {
 public:
  enum class Mode : uint8_t { kNone, kWrite, kAll };

  /// CLIENT PAUSE: holds commands until `end_ms` (ms since the epoch). As Redis, a pause
  /// already running keeps the later deadline and the wider mode (ALL over WRITE).
  void Pause(int64_t end_ms, Mode mode);
  /// CLIENT UNPAUSE: ends the pause and runs every waiter registered by Hold.
  void Unpause();
  /// Whether a pause may be running (one atomic load, no lock): when false, Hold is false.
  bool active() const { return active_.load(); }
  /// Whether a command is held now (`now_ms`): any command under ALL; under WRITE, one that
  /// may write (`may_write`: a write command, or EXEC of a transaction queuing one). When
  /// held, `*until_ms` is the deadline and `on_unpause` runs (on the UNPAUSE caller's thread;
  /// it should only post to its connection) if UNPAUSE comes first; otherwise it is dropped.
  bool Hold(bool may_write, int64_t now_ms, int64_t* until_ms, std::function<void()> on_unpause);

 private:
  std::atomic<bool> active_{false};  ///< fast path: no lock per command while not paused
  std::mutex mu_;
  Mode mode_ = Mode::kNone;
  int64_t end_ms_ = 0;
  std::vector<std::function<void()>> waiters_;
};

}  // namespace petacore::server
