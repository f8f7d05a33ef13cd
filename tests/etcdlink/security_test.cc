// security_test.cc — LoadClientTls file handling, IsAuthFailure, and a client configured with
// a user talking to an etcd whose auth is off. The TLS + auth paths against an etcd with TLS,
// client-cert-auth and users are in tests/integration/test_tls.py.
#include "etcdlink/security.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "etcdlink/client.h"
#include "tests/etcdlink/etcd_env.h"

namespace petacore::etcdlink {
namespace {

// A file under the test's temporary directory holding `text`.
std::string WriteTemp(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "security_test_" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(LoadClientTlsTest, NothingGivenMeansPlaintext) {
  auto tls = LoadClientTls("", "", "");
  ASSERT_TRUE(tls.ok()) << tls.status();
  EXPECT_FALSE(tls->enabled);
}

TEST(LoadClientTlsTest, ReadsTheFiles) {
  auto tls = LoadClientTls(WriteTemp("ca.pem", "CA"), WriteTemp("c.pem", "CERT"),
                           WriteTemp("k.pem", "KEY"));
  ASSERT_TRUE(tls.ok()) << tls.status();
  EXPECT_TRUE(tls->enabled);
  EXPECT_EQ(tls->ca_pem, "CA");
  EXPECT_EQ(tls->cert_pem, "CERT");
  EXPECT_EQ(tls->key_pem, "KEY");
  // A CA alone is TLS without a client certificate.
  auto ca_only = LoadClientTls(WriteTemp("ca.pem", "CA"), "", "");
  ASSERT_TRUE(ca_only.ok()) << ca_only.status();
  EXPECT_TRUE(ca_only->enabled);
  EXPECT_TRUE(ca_only->cert_pem.empty());
}

TEST(LoadClientTlsTest, ErrorsNameTheFile) {
  auto missing = LoadClientTls("/nonexistent/ca.pem", "", "");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("/nonexistent/ca.pem"), std::string::npos);
  auto empty = LoadClientTls(WriteTemp("empty.pem", ""), "", "");
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  auto half = LoadClientTls("", WriteTemp("c.pem", "CERT"), "");
  EXPECT_EQ(half.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(IsAuthFailureTest, OnlyWrongCredentials) {
  EXPECT_TRUE(IsAuthFailure(absl::InvalidArgumentError(
      "etcdserver: authentication failed, invalid user ID or password")));
  EXPECT_FALSE(IsAuthFailure(absl::UnauthenticatedError("etcdserver: invalid auth token")));
  EXPECT_FALSE(IsAuthFailure(absl::UnavailableError("connection refused")));
}

TEST(ClientAuthTest, UserIsHarmlessWhenEtcdAuthIsOff) {
  // etcd answers Authenticate with "authentication is not enabled"; calls then go without a
  // token instead of failing.
  ClientOptions options;
  options.endpoints = {testing::Etcd().endpoint()};
  options.user = "nobody";
  options.password = "secret";
  Client client(options);
  const std::string p = testing::TestPrefix();
  auto put = client.Put(p + "k", "v");
  ASSERT_TRUE(put.ok()) << put.status();
  auto got = client.Range(p + "k", "");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->kvs.size(), 1u);
  EXPECT_EQ(got->kvs[0].value, "v");
  EXPECT_EQ(client.auth_refreshes(), 0);
}

}  // namespace
}  // namespace petacore::etcdlink
