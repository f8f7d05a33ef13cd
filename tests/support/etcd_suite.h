// tests/support/etcd_suite.h — a GoogleTest fixture base for suites that share one real etcd.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "etcdlink/client.h"
#include "tests/support/etcd_process.h"

namespace petacore::test {

/// Starts one etcd member (EtcdProcess) before the first test of the suite and stops it after
/// the last; tests isolate themselves by key prefix (TestPrefix). Not thread-safe: gtest runs
/// the suite hooks on its main thread.
class EtcdSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    etcd_ = new EtcdProcess();
    ASSERT_TRUE(etcd_->Start());
  }
  static void TearDownTestSuite() {
    delete etcd_;
    etcd_ = nullptr;
  }

  /// A client of the suite's etcd with a 5 s call timeout (owned by the caller).
  static std::unique_ptr<etcdlink::Client> NewClient() {
    return std::make_unique<etcdlink::Client>(
        etcdlink::ClientOptions{{etcd_->endpoint()}, std::chrono::milliseconds(5000)});
  }

  /// "<root><current test's name>/": a key prefix no other test of the suite uses.
  static std::string TestPrefix(const std::string& root) {
    return root + ::testing::UnitTest::GetInstance()->current_test_info()->name() + "/";
  }

  static inline EtcdProcess* etcd_ = nullptr;
};

}  // namespace petacore::test
