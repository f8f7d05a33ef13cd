// tests/support/etcd_suite.h — a GoogleTest fixture base for suites that share one real etcd.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
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

  /// A client of the suite's etcd with a `timeout_ms` call timeout (owned by the caller).
  static std::unique_ptr<etcdlink::Client> NewClient(int64_t timeout_ms = 5000) {
    return std::make_unique<etcdlink::Client>(
        etcdlink::ClientOptions{{etcd_->endpoint()}, std::chrono::milliseconds(timeout_ms)});
  }

  /// "<root><current test's name>/": a key prefix no other test of the suite uses.
  static std::string TestPrefix(const std::string& root) {
    return root + ::testing::UnitTest::GetInstance()->current_test_info()->name() + "/";
  }

  static inline EtcdProcess* etcd_ = nullptr;
};

/// EtcdSuite on an etcd with its DEFAULT request limits (--max-txn-ops 128,
/// --max-request-bytes 1.5 MiB), what a managed or shared etcd has; the project's scripts
/// raise both.
class DefaultLimitsEtcdSuite : public EtcdSuite {
 protected:
  static void SetUpTestSuite() {
    EtcdProcessOptions options;
    options.max_txn_ops = 128;
    options.max_request_bytes = 1536 * 1024;
    etcd_ = new EtcdProcess(options);
    ASSERT_TRUE(etcd_->Start());
  }
};

}  // namespace petacore::test
