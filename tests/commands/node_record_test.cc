// Tests of the node registry's record format (keyspace/node_record.h).
#include "keyspace/node_record.h"

#include <gtest/gtest.h>

namespace petacore::keyspace {
namespace {

TEST(NodeRecordTest, RoundTrip) {
  NodeRecord r{.process = 0x84f34a1f10c60a84,
               .addr = "10.0.0.7:6379",
               .applied = 42,
               .oldest = 41,
               .started_ms = 1700000000000,
               .published_ms = 1700000001000};
  std::string key = NodeRecordKey(r.process);
  EXPECT_EQ(key, std::string("\xff"
                             "node/84f34a1f10c60a84"));
  auto back = DecodeNodeRecord(key, EncodeNodeRecord(r));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->process, r.process);
  EXPECT_EQ(back->addr, r.addr);
  EXPECT_EQ(back->applied, 42);
  EXPECT_EQ(back->oldest, 41);
  EXPECT_EQ(back->started_ms, r.started_ms);
  EXPECT_EQ(back->published_ms, r.published_ms);
}

TEST(NodeRecordTest, KeysStayOutsideEveryDatabaseAndInTheRecordRange) {
  std::string key = NodeRecordKey(1);
  EXPECT_EQ(static_cast<unsigned char>(key[0]), 0xff);
  EXPECT_GE(key, std::string(kNodeRecordPrefix));
  EXPECT_LT(key, std::string(kNodeRecordEnd));
  EXPECT_TRUE(IsNodeRegistryKey(key));
  EXPECT_TRUE(IsNodeRegistryKey(kNodeAskKey));
  EXPECT_FALSE(
      IsNodeRegistryKey(std::string("\xff"
                                    "pubsub/sub/x")));
  EXPECT_FALSE(IsNodeRegistryKey(std::string(kNodeAskKey) + "x"));
}

TEST(NodeRecordTest, ForeignBytesAndNewerFields) {
  EXPECT_FALSE(DecodeNodeRecord("\xff"
                                "node/zz",
                                "applied=1\n")
                   .has_value());
  EXPECT_FALSE(DecodeNodeRecord("\xff"
                                "other/1",
                                "applied=1\n")
                   .has_value());
  EXPECT_FALSE(DecodeNodeRecord(NodeRecordKey(1), "addr=a:1\n").has_value());  // no applied
  EXPECT_FALSE(DecodeNodeRecord(NodeRecordKey(1), "applied=x\n").has_value());
  auto r = DecodeNodeRecord(NodeRecordKey(1), "future=yes\napplied=7\nnoise");
  ASSERT_TRUE(r.has_value());  // unknown lines skipped
  EXPECT_EQ(r->applied, 7);
}

TEST(NodeRecordTest, SplitHostPort) {
  EXPECT_EQ(SplitHostPort("127.0.0.1:6379"),
            (std::pair<std::string_view, std::string_view>{"127.0.0.1", "6379"}));
  EXPECT_EQ(SplitHostPort("::1:7000"),
            (std::pair<std::string_view, std::string_view>{"::1", "7000"}));
  EXPECT_EQ(SplitHostPort("host"), (std::pair<std::string_view, std::string_view>{"host", ""}));
}

}  // namespace
}  // namespace petacore::keyspace
