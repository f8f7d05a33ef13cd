// etcd_env.cc — a gtest Environment owning the shared EtcdProcess.
#include "tests/etcdlink/etcd_env.h"

#include <gtest/gtest.h>

namespace petacore::etcdlink::testing {

namespace {

test::EtcdProcess* g_etcd = nullptr;

class EtcdEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    g_etcd = new test::EtcdProcess();
    ASSERT_TRUE(g_etcd->Start()) << "could not start " << g_etcd->CommandLine()[0];
  }
  void TearDown() override {
    delete g_etcd;
    g_etcd = nullptr;
  }
};

// Registered at static-initialization time so gtest_main needs no changes.
[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new EtcdEnvironment);

}  // namespace

test::EtcdProcess& Etcd() { return *g_etcd; }

std::unique_ptr<Client> MakeClient(std::chrono::milliseconds call_timeout) {
  ClientOptions options;
  options.endpoints = {Etcd().endpoint()};
  options.call_timeout = call_timeout;
  return std::make_unique<Client>(options);
}

std::string TestPrefix() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string prefix = std::string("/t/") + info->test_suite_name() + "." + info->name() + "/";
  // --gtest_repeat keeps the environment (and so etcd's data) between iterations: start
  // every test from an empty prefix.
  auto cleared = MakeClient()->Delete(prefix, PrefixEnd(prefix));
  EXPECT_TRUE(cleared.ok()) << cleared.status();
  return prefix;
}

}  // namespace petacore::etcdlink::testing
