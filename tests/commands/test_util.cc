#include "tests/commands/test_util.h"

#include <span>

namespace petacore::testing {

size_t QueueExecutor::RunUntilIdle() {
  size_t runs = 0;
  while (!ready_.empty() || !delayed_.empty()) {
    if (ready_.empty()) {
      // Everything ready has run: release the delayed work, as if its delay had elapsed.
      ready_.swap(delayed_);
      delayed_runs_ += ready_.size();
    }
    auto fn = std::move(ready_.front());
    ready_.pop_front();
    fn();
    ++runs;
  }
  return runs;
}

TestServer::TestServer() {
  // A default Config has no etcd endpoints: standalone.
  state_.committer = std::make_unique<replication::LocalCommitter>(state_.store);
  state_.start_ms = 1;
}

TestClient::TestClient(TestServer& server) : server_(server) {
  session_.id = server_.state().next_client_id.fetch_add(1);
  std::lock_guard lock(server_.state().clients_mu);
  server_.state().clients[session_.id] = &session_;
}

TestClient::~TestClient() {
  std::lock_guard lock(server_.state().clients_mu);
  server_.state().clients.erase(session_.id);
}

std::string TestClient::Run(std::vector<std::string> args) {
  // `args` and `views` stay alive until the reply is complete (the Driver keeps views).
  std::vector<std::string_view> views(args.begin(), args.end());
  std::string out;
  bool resumed = false;
  bool done = server_.driver().Execute(session_, std::span<const std::string_view>(views), &out,
                                       server_.shared_executor(),
                                       [&resumed] { resumed = true; });
  if (!done) {
    server_.executor().RunUntilIdle();
    if (!resumed) {
      ADD_FAILURE() << "command " << args[0] << " never completed its reply";
      return "<no reply>";
    }
  }
  // Nothing must be left running for this command.
  server_.executor().RunUntilIdle();
  return out;
}

std::string Bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}
std::string Int(int64_t n) { return ":" + std::to_string(n) + "\r\n"; }
std::string Err(std::string_view text) { return "-" + std::string(text) + "\r\n"; }
std::string Simple(std::string_view s) { return "+" + std::string(s) + "\r\n"; }
std::string Array(const std::vector<std::string>& elements) {
  std::string s = "*" + std::to_string(elements.size()) + "\r\n";
  for (const auto& e : elements) s += e;
  return s;
}

std::string DecodeBulk(const std::string& reply) {
  if (reply.size() < 4 || reply[0] != '$') {
    ADD_FAILURE() << "not a bulk reply: " << reply;
    return {};
  }
  size_t crlf = reply.find("\r\n");
  size_t len = std::stoul(reply.substr(1, crlf - 1));
  if (reply.size() != crlf + 2 + len + 2) {
    ADD_FAILURE() << "malformed bulk reply: " << reply;
    return {};
  }
  return reply.substr(crlf + 2, len);
}

}  // namespace petacore::testing
