// The expiry election on a real etcd, two "nodes" each with its own replica (Store + Sync):
// exactly one leads, the other sees it in its replica, a clean Stop hands over at once, and a
// leader whose election key disappears steps down so that someone leads again.
#include "expiry/elector.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "etcdlink/client.h"
#include "replication/sync.h"
#include "tests/support/etcd_suite.h"
#include "tests/support/eventually.h"

namespace petacore::expiry {
namespace {

using test::Eventually;

struct TestNode {
  TestNode(etcdlink::Client& client, const std::string& prefix, const std::string& id)
      : sync(client, store, prefix),
        elector(client, store,
                ElectorOptions{prefix, id, 2, std::chrono::milliseconds(500),
                               std::chrono::milliseconds(50)}) {}
  mvcc::Store store;
  replication::Sync sync;
  Elector elector;
};

class ElectorTest : public test::EtcdSuite {
 protected:
  void SetUp() override {
    client_ = NewClient();
    prefix_ = TestPrefix("/e/");
    a_ = std::make_unique<TestNode>(*client_, prefix_, "a");
    b_ = std::make_unique<TestNode>(*client_, prefix_, "b");
    ASSERT_TRUE(a_->sync.Start().ok());
    ASSERT_TRUE(b_->sync.Start().ok());
    a_->elector.Start();
    b_->elector.Start();
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
  }
  std::string EtcdHolder() {
    auto r = client_->Range(prefix_ + std::string(kLeaderKey), "");
    return r.ok() && !r->kvs.empty() ? r->kvs[0].value : "";
  }
  bool OneLeader() { return a_->elector.is_leader() != b_->elector.is_leader(); }

  std::unique_ptr<etcdlink::Client> client_;
  std::string prefix_;
  std::unique_ptr<TestNode> a_, b_;
};

TEST_F(ElectorTest, ExactlyOneLeadsAndBothReplicasNameIt) {
  ASSERT_TRUE(Eventually([&] { return OneLeader(); }));
  std::string leader = a_->elector.is_leader() ? "a" : "b";
  EXPECT_EQ(EtcdHolder(), leader);
  EXPECT_TRUE(
      Eventually([&] { return a_->elector.holder() == leader && b_->elector.holder() == leader; }));
  // Keep-alives hold it well past the lease TTL (2 s).
  std::this_thread::sleep_for(std::chrono::milliseconds(3000));
  EXPECT_TRUE(OneLeader());
  EXPECT_EQ(EtcdHolder(), leader);
  EXPECT_EQ(a_->elector.elections_won() + b_->elector.elections_won(), 1);
}

TEST_F(ElectorTest, StopHandsOverAtOnce) {
  ASSERT_TRUE(Eventually([&] { return OneLeader(); }));
  TestNode& leader = a_->elector.is_leader() ? *a_ : *b_;
  TestNode& other = a_->elector.is_leader() ? *b_ : *a_;
  leader.elector.Stop();  // revokes the lease: etcd deletes the key now, not after the TTL
  EXPECT_FALSE(leader.elector.is_leader());
  ASSERT_TRUE(Eventually([&] { return other.elector.is_leader(); }));
  EXPECT_EQ(EtcdHolder(), other.elector.node_id());
}

TEST_F(ElectorTest, LeaderWhoseKeyVanishesStepsDownAndSomeoneLeads) {
  ASSERT_TRUE(Eventually([&] { return OneLeader(); }));
  int64_t won = a_->elector.elections_won() + b_->elector.elections_won();
  ASSERT_TRUE(client_->Delete(prefix_ + std::string(kLeaderKey)).ok());  // an operator's del
  ASSERT_TRUE(Eventually([&] {
    return a_->elector.elections_won() + b_->elector.elections_won() > won && OneLeader() &&
           !EtcdHolder().empty();
  }));
  EXPECT_EQ(EtcdHolder(), a_->elector.is_leader() ? "a" : "b");
}

}  // namespace
}  // namespace petacore::expiry
