// etcd_process.cc — fork/exec of a test etcd, readiness polling via etcdlink::Client.
#include "tests/support/etcd_process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "etcdlink/client.h"

namespace petacore::test {

namespace {

// Binds port 0 to let the kernel pick a free port. Both sockets are held open until both
// ports are known, so the two ports differ. (A small race with other processes remains; it is
// the usual trade-off for tests and etcd sets SO_REUSEADDR.)
std::pair<int, int> PickTwoFreePorts() {
  int fds[2];
  int ports[2] = {0, 0};
  for (int i = 0; i < 2; ++i) {
    fds[i] = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (fds[i] < 0 || bind(fds[i], reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        getsockname(fds[i], reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      std::perror("EtcdProcess: picking a free port");
      std::abort();
    }
    ports[i] = ntohs(addr.sin_port);
  }
  close(fds[0]);
  close(fds[1]);
  return {ports[0], ports[1]};
}

std::string MakeTempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "petacore-etcd-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror("EtcdProcess: mkdtemp");
    std::abort();
  }
  return pattern;
}

}  // namespace

EtcdProcess::EtcdProcess(EtcdProcessOptions options)
    : options_(std::move(options)), dir_(MakeTempDir()) {
  std::tie(client_port_, peer_port_) = PickTwoFreePorts();
}

EtcdProcess::~EtcdProcess() {
  Stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string EtcdProcess::endpoint() const { return "127.0.0.1:" + std::to_string(client_port_); }

std::vector<std::string> EtcdProcess::CommandLine() const {
  const std::string client_url = "http://127.0.0.1:" + std::to_string(client_port_);
  const std::string peer_url = "http://127.0.0.1:" + std::to_string(peer_port_);
  // One flag and its value per line.
  // clang-format off
  std::vector<std::string> args = {
      options_.binary,
      "--name", "petacore-test",
      "--data-dir", dir_ + "/data",
      "--listen-client-urls", client_url,
      "--advertise-client-urls", client_url,
      "--listen-peer-urls", peer_url,
      "--initial-advertise-peer-urls", peer_url,
      "--initial-cluster", "petacore-test=" + peer_url,
      "--initial-cluster-state", "new",
      "--max-txn-ops", std::to_string(options_.max_txn_ops),
      "--max-request-bytes", std::to_string(options_.max_request_bytes),
  };
  // clang-format on
  if (!options_.progress_notify_interval.empty()) {
    args.push_back("--experimental-watch-progress-notify-interval");
    args.push_back(options_.progress_notify_interval);
  }
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  return args;
}

bool EtcdProcess::Start() {
  if (running()) return true;
  const auto args = CommandLine();
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const std::string log = log_path();

  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("EtcdProcess: fork");
    return false;
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls from here to exec.
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  pid_ = pid;
  if (WaitReady()) return true;
  std::cerr << "EtcdProcess: etcd on " << endpoint() << " did not become ready; log tail:\n"
            << LogTail() << std::endl;
  Kill();
  return false;
}

bool EtcdProcess::WaitReady() {
  etcdlink::ClientOptions client_options;
  client_options.endpoints = {endpoint()};
  client_options.call_timeout = std::chrono::milliseconds(1000);
  etcdlink::Client client(client_options);
  const auto deadline = std::chrono::steady_clock::now() + options_.ready_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {  // etcd exited: flag error or bad dir
      pid_ = -1;
      return false;
    }
    // A linearizable read needs an elected leader, so success means fully serving.
    if (client.Range("petacore-test-ready-probe", "").ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

void EtcdProcess::Signal(int sig, std::chrono::milliseconds grace) {
  if (!running()) return;
  kill(pid_, sig);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (true) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
}

void EtcdProcess::Kill() { Signal(SIGKILL, std::chrono::milliseconds(10000)); }

void EtcdProcess::Stop() { Signal(SIGTERM, std::chrono::milliseconds(10000)); }

void EtcdProcess::Pause() {
  if (!running()) return;
  kill(pid_, SIGSTOP);
  int status = 0;
  waitpid(pid_, &status, WUNTRACED);  // returns once it has stopped
}

void EtcdProcess::Resume() {
  if (running()) kill(pid_, SIGCONT);
}

bool EtcdProcess::Restart() {
  Stop();
  return Start();
}

std::string EtcdProcess::LogTail(int lines) const {
  std::ifstream in(log_path());
  std::deque<std::string> tail;
  std::string line;
  while (std::getline(in, line)) {
    tail.push_back(line);
    if (static_cast<int>(tail.size()) > lines) tail.pop_front();
  }
  std::string out;
  for (const auto& l : tail) out += l + "\n";
  return out;
}

}  // namespace petacore::test
