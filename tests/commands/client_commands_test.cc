// CLIENT LIST / INFO under RESP3, RESET and CLIENT REPLY's session flags, through the real
// Driver (commands/client_commands.h). Sockets, KILL, PAUSE and UNBLOCK are covered by
// tests/integration/test_client_commands.py.
#include <gtest/gtest.h>

#include <algorithm>

#include "test_util.h"

namespace petacore::testing {
namespace {

class ClientCommandsTest : public CommandTest {};

TEST_F(ClientCommandsTest, InfoAndListAreVerbatimUnderResp3AndBulkUnderResp2) {
  std::string resp2 = Run({"client", "info"});
  ASSERT_EQ(resp2.substr(0, 1), "$");
  EXPECT_NE(resp2.find(" resp=2 "), std::string::npos) << resp2;
  client_.session().protocol = 3;
  for (auto sub : {"info", "list"}) {
    std::string reply = Run({"client", sub});
    ASSERT_EQ(reply.substr(0, 1), "=") << reply;
    size_t header_end = reply.find("\r\n");
    size_t length = std::stoul(reply.substr(1, header_end - 1));
    std::string body = reply.substr(header_end + 2, length);
    EXPECT_EQ(body.substr(0, 4), "txt:") << reply;
    EXPECT_NE(body.find(" resp=3 "), std::string::npos) << reply;
    EXPECT_EQ(reply.size(), header_end + 2 + length + 2);
  }
}

TEST_F(ClientCommandsTest, ListFiltersByTypeAndId) {
  auto other = NewClient();
  std::string id = std::to_string(other->session().id);
  std::string one = DecodeBulk(Run({"client", "list", "id", id}));
  EXPECT_EQ(one.substr(0, 3 + id.size() + 1), "id=" + id + " ");
  EXPECT_EQ(std::count(one.begin(), one.end(), '\n'), 1);
  std::string normal = DecodeBulk(Run({"client", "list", "type", "normal"}));
  EXPECT_EQ(std::count(normal.begin(), normal.end(), '\n'), 2);
  EXPECT_EQ(Run({"client", "list", "type", "pubsub"}), Bulk(""));
  EXPECT_EQ(Run({"client", "list", "id", "0"}), Err("ERR Invalid client ID"));
}

TEST_F(ClientCommandsTest, ResetGivesAFreshConnectionState) {
  EXPECT_EQ(Run({"client", "setname", "me"}), kOK);
  EXPECT_EQ(Run({"select", "3"}), kOK);
  EXPECT_EQ(Run({"client", "no-evict", "on"}), kOK);
  EXPECT_EQ(Run({"watch", "w"}), kOK);
  EXPECT_EQ(Run({"multi"}), kOK);
  client_.session().protocol = 3;
  client_.session().read_consistency = client::ReadConsistency::kLinearizable;
  EXPECT_EQ(Run({"reset"}), Simple("RESET"));  // not queued
  auto& s = client_.session();
  EXPECT_FALSE(s.in_multi);
  EXPECT_TRUE(s.watched.empty());
  EXPECT_EQ(s.db, 0);
  EXPECT_EQ(s.protocol, 2);
  EXPECT_EQ(s.name, "");
  EXPECT_TRUE(s.no_evict.load());  // kept, as Redis 7.0.15
  EXPECT_FALSE(s.read_consistency.has_value());
  EXPECT_EQ(s.user_name, "default");
  EXPECT_TRUE(s.authenticated);
}

TEST_F(ClientCommandsTest, ReplyModesSetTheSessionFlags) {
  // The Connection drops the replies; here only the flags the handler sets.
  EXPECT_EQ(Run({"client", "reply", "skip"}), "");  // no reply of its own
  EXPECT_TRUE(client_.session().reply_skip_next);
  EXPECT_EQ(Run({"client", "reply", "on"}), kOK);
  EXPECT_FALSE(client_.session().reply_skip_next);
  EXPECT_EQ(Run({"client", "reply", "off"}), kOK);  // the Connection drops this one
  EXPECT_TRUE(client_.session().reply_off);
  Run({"client", "reply", "skip"});
  EXPECT_FALSE(client_.session().reply_skip_next);  // SKIP under OFF: nothing more
  EXPECT_EQ(Run({"reset"}), Simple("RESET"));
  EXPECT_FALSE(client_.session().reply_off);
  EXPECT_EQ(Run({"client", "reply", "maybe"}), Err("ERR syntax error"));
}

}  // namespace
}  // namespace petacore::testing
