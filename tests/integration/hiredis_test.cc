// hiredis (the C client) against a real petacore-server, standalone on a loopback port:
// pipelining, binary-safe arguments, and reply types. PETACORE_SERVER = the server binary.
#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;

// A port the kernel just handed out on 127.0.0.1 (released again for the server to take).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

class HiredisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* server = std::getenv("PETACORE_SERVER");
    if (server == nullptr || *server == '\0') {
      GTEST_SKIP() << "PETACORE_SERVER is not set (path of the built petacore-server)";
    }
    // The free port may be taken between FreePort and the server's bind: then try another.
    for (int attempt = 0; attempt < 5 && ctx_ == nullptr; ++attempt) {
      port_ = FreePort();
      ASSERT_GT(port_, 0);
      StartServer(server);
      ctx_ = WaitForServer();
      if (ctx_ == nullptr) StopServer();
    }
    ASSERT_NE(ctx_, nullptr) << "petacore-server never accepted connections";
  }

  void TearDown() override {
    ctx_.reset();
    StopServer();
  }

  void StartServer(const char* path) {
    std::string port = std::to_string(port_);
    std::vector<std::string> args = {path,     "--bind",      "127.0.0.1", "--port",
                                     port,     "--threads",   "2",         "--log-level",
                                     "warn"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ASSERT_EQ(posix_spawn(&pid_, path, nullptr, nullptr, argv.data(), environ), 0)
        << "cannot start " << path;
  }

  // Connects once the server accepts; nullptr if it exited or never did within ~20 s.
  Context WaitForServer() {
    for (int i = 0; i < 400; ++i) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {  // exited (e.g. port taken)
        pid_ = -1;
        return nullptr;
      }
      timeval timeout{5, 0};
      Context c(redisConnectWithTimeout("127.0.0.1", port_, timeout));
      if (c != nullptr && c->err == 0) {
        Reply r(static_cast<redisReply*>(redisCommand(c.get(), "PING")));
        if (r != nullptr && r->type == REDIS_REPLY_STATUS && std::string(r->str) == "PONG") {
          return c;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return nullptr;
  }

  void StopServer() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  Reply Command(const char* format, ...) {
    va_list ap;
    va_start(ap, format);
    void* r = redisvCommand(ctx_.get(), format, ap);
    va_end(ap);
    EXPECT_NE(r, nullptr) << "connection error: " << ctx_->errstr;
    return Reply(static_cast<redisReply*>(r));
  }

  static std::string Str(const Reply& r) {
    if (r == nullptr || r->str == nullptr) return "<none>";
    return std::string(r->str, r->len);
  }

  pid_t pid_ = -1;
  int port_ = 0;
  Context ctx_;
};

TEST_F(HiredisTest, PipelinedSetsAndGets) {
  constexpr int kN = 1000;
  for (int i = 0; i < kN; ++i) {
    std::string key = "key:" + std::to_string(i), value = "value:" + std::to_string(i * 7);
    ASSERT_EQ(redisAppendCommand(ctx_.get(), "SET %s %s", key.c_str(), value.c_str()),
              REDIS_OK);
    ASSERT_EQ(redisAppendCommand(ctx_.get(), "GET %s", key.c_str()), REDIS_OK);
  }
  for (int i = 0; i < kN; ++i) {
    void* raw = nullptr;
    ASSERT_EQ(redisGetReply(ctx_.get(), &raw), REDIS_OK) << ctx_->errstr;
    Reply set(static_cast<redisReply*>(raw));
    ASSERT_EQ(set->type, REDIS_REPLY_STATUS) << i;
    EXPECT_EQ(Str(set), "OK") << i;
    ASSERT_EQ(redisGetReply(ctx_.get(), &raw), REDIS_OK) << ctx_->errstr;
    Reply get(static_cast<redisReply*>(raw));
    ASSERT_EQ(get->type, REDIS_REPLY_STRING) << i;
    EXPECT_EQ(Str(get), "value:" + std::to_string(i * 7)) << i;  // replies come in order
  }
  Reply size = Command("DBSIZE");
  ASSERT_EQ(size->type, REDIS_REPLY_INTEGER);
  EXPECT_EQ(size->integer, kN);
}

TEST_F(HiredisTest, PipelinedIncrementsApplyInOrder) {
  constexpr int kN = 500;
  for (int i = 0; i < kN; ++i) {
    ASSERT_EQ(redisAppendCommand(ctx_.get(), "INCR counter"), REDIS_OK);
  }
  for (int i = 1; i <= kN; ++i) {
    void* raw = nullptr;
    ASSERT_EQ(redisGetReply(ctx_.get(), &raw), REDIS_OK) << ctx_->errstr;
    Reply r(static_cast<redisReply*>(raw));
    ASSERT_EQ(r->type, REDIS_REPLY_INTEGER);
    EXPECT_EQ(r->integer, i);
  }
}

TEST_F(HiredisTest, BinarySafeKeysAndValues) {
  const std::string key("bin\0key\r\n", 9);
  const std::string value("a\0b\r\nc\0\0\r\n$-1\r\n*3\r\n\xff", 21);
  Reply set = Command("SET %b %b", key.data(), key.size(), value.data(), value.size());
  ASSERT_EQ(set->type, REDIS_REPLY_STATUS);
  EXPECT_EQ(Str(set), "OK");
  Reply get = Command("GET %b", key.data(), key.size());
  ASSERT_EQ(get->type, REDIS_REPLY_STRING);
  EXPECT_EQ(get->len, value.size());
  EXPECT_EQ(Str(get), value);
  // The key is distinct from its prefix before the NUL.
  Reply prefix = Command("GET %b", "bin", size_t{3});
  EXPECT_EQ(prefix->type, REDIS_REPLY_NIL);
  Reply len = Command("STRLEN %b", key.data(), key.size());
  ASSERT_EQ(len->type, REDIS_REPLY_INTEGER);
  EXPECT_EQ(len->integer, static_cast<long long>(value.size()));
  // An empty value is a zero-length string, not nil.
  Reply set_empty = Command("SET %b %b", "e", size_t{1}, "", size_t{0});
  EXPECT_EQ(Str(set_empty), "OK");
  Reply get_empty = Command("GET e");
  ASSERT_EQ(get_empty->type, REDIS_REPLY_STRING);
  EXPECT_EQ(get_empty->len, 0u);
}

TEST_F(HiredisTest, ReplyTypes) {
  Reply unknown = Command("NOSUCHCOMMAND arg");
  ASSERT_EQ(unknown->type, REDIS_REPLY_ERROR);
  EXPECT_EQ(Str(unknown).rfind("ERR unknown command", 0), 0u) << Str(unknown);
  Reply nil = Command("GET missing");
  EXPECT_EQ(nil->type, REDIS_REPLY_NIL);
  Reply arity = Command("GET");
  ASSERT_EQ(arity->type, REDIS_REPLY_ERROR);
  EXPECT_EQ(Str(arity), "ERR wrong number of arguments for 'get' command");
  Reply mget = Command("MGET a b");
  ASSERT_EQ(mget->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(mget->elements, 2u);
  EXPECT_EQ(mget->element[0]->type, REDIS_REPLY_NIL);
  // The connection is still usable after errors.
  Reply pong = Command("PING");
  ASSERT_EQ(pong->type, REDIS_REPLY_STATUS);
  EXPECT_EQ(Str(pong), "PONG");
}

TEST_F(HiredisTest, WatchAbortsExecAcrossConnections) {
  timeval timeout{5, 0};
  Context other(redisConnectWithTimeout("127.0.0.1", port_, timeout));
  ASSERT_TRUE(other != nullptr && other->err == 0);
  EXPECT_EQ(Str(Command("SET w 1")), "OK");
  EXPECT_EQ(Str(Command("WATCH w")), "OK");
  Reply other_set(static_cast<redisReply*>(redisCommand(other.get(), "SET w 2")));
  ASSERT_NE(other_set, nullptr);
  EXPECT_EQ(Str(Command("MULTI")), "OK");
  EXPECT_EQ(Str(Command("SET w 3")), "QUEUED");
  Reply exec = Command("EXEC");
  EXPECT_EQ(exec->type, REDIS_REPLY_NIL);
  EXPECT_EQ(Str(Command("GET w")), "2");
}

}  // namespace
