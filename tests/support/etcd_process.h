// tests/support/etcd_process.h — a throw-away single-member etcd for tests.
//
// Starts /usr/bin/etcd on 127.0.0.1 with two free ports (client, peer) and a fresh temporary
// directory, and can kill, stop and restart it on the same ports and data, so tests can
// exercise reconnects and resumes. It never touches a system etcd and never compacts on its
// own (tests compact explicitly). Not thread-safe: drive it from the test's main thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace petacore::test {

struct EtcdProcessOptions {
  std::string binary = "/usr/bin/etcd";
  /// Interval of periodic watch progress notifications (etcd's default is 10 minutes).
  std::string progress_notify_interval = "200ms";
  int max_txn_ops = 10000;
  int64_t max_request_bytes = 10 * 1024 * 1024;
  /// Bound on waiting for the member to answer a Range after (re)start.
  std::chrono::milliseconds ready_timeout{20000};
  /// Appended verbatim to etcd's command line.
  std::vector<std::string> extra_args;
};

class EtcdProcess {
 public:
  explicit EtcdProcess(EtcdProcessOptions options = {});
  /// Stops etcd (SIGTERM, then SIGKILL) and removes the temporary directory.
  ~EtcdProcess();
  EtcdProcess(const EtcdProcess&) = delete;
  EtcdProcess& operator=(const EtcdProcess&) = delete;

  /// Launches etcd and waits until a Range succeeds. On failure prints the log tail to stderr
  /// and returns false (the process is killed).
  bool Start();
  /// SIGKILL and reap: a crash, no clean shutdown.
  void Kill();
  /// SIGTERM and reap (SIGKILL after 10 s).
  void Stop();
  /// Stop (if running) and Start again on the same ports and data directory.
  bool Restart();
  /// SIGSTOP, returning once the process has stopped: a hung member (requests sent to it
  /// stay unanswered until Resume). Resume before Stop, Kill or destruction.
  void Pause();
  /// SIGCONT after Pause.
  void Resume();

  bool running() const { return pid_ > 0; }
  /// "127.0.0.1:<client port>", for ClientOptions::endpoints.
  std::string endpoint() const;
  int client_port() const { return client_port_; }
  int peer_port() const { return peer_port_; }
  /// The temporary directory: etcd's data lives in data/, its output in etcd.log.
  const std::string& dir() const { return dir_; }
  std::string log_path() const { return dir_ + "/etcd.log"; }
  /// The last `lines` lines of etcd's output.
  std::string LogTail(int lines = 40) const;
  /// The command line used to start etcd (argv[0] first).
  std::vector<std::string> CommandLine() const;

 private:
  bool WaitReady();
  void Signal(int sig, std::chrono::milliseconds grace);

  EtcdProcessOptions options_;
  std::string dir_;
  int client_port_ = 0;
  int peer_port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace petacore::test
