// Tests of src/auth/acl_file: ACL LOAD's parsing and errors (Redis 7.0.15's texts) and ACL
// SAVE's output, read back.
#include "auth/acl_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace petacore::auth {
namespace {

class AclFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/acl_file_test_XXXXXX";
    int fd = mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    close(fd);
    path_ = tmpl;
  }
  void TearDown() override { std::remove(path_.c_str()); }
  void Write(const std::string& text) { std::ofstream(path_, std::ios::binary) << text; }
  std::string path_;
};

TEST_F(AclFileTest, LoadsUsersAndAddsDefault) {
  Write("\n  user alice on >pw ~a* +get  \r\nuser bob off\n");
  std::vector<User> users;
  ASSERT_EQ(LoadAclFile(path_, false, &users), "");
  ASSERT_EQ(users.size(), 3u);
  EXPECT_EQ(users[0].name(), "alice");
  EXPECT_EQ(users[1].name(), "bob");
  EXPECT_EQ(users[2].name(), "default");
  EXPECT_NE(users[0].Describe().find("~a*"), std::string::npos);
  EXPECT_NE(users[2].Describe().find("nopass"), std::string::npos);
  EXPECT_NE(users[2].Describe().find("+@all"), std::string::npos);
}

TEST_F(AclFileTest, ErrorsAsRedis) {
  Write("notuser x\nuser a on +nosuch bad\nuser a on\nuser\n");
  std::vector<User> users;
  std::string err = LoadAclFile(path_, false, &users);
  EXPECT_EQ(err, path_ + ":1 should start with user keyword followed by the username. " +
                     path_ + ":2: Error in applying operation '+nosuch': Unknown command or "
                     "category name in ACL. " + path_ + ":2: Syntax error. " +
                     "WARNING: Duplicate user 'a' found on line 3. " + path_ +
                     ":4 should start with user keyword followed by the username. "
                     "WARNING: ACL errors detected, no change to the previously active ACL "
                     "rules was performed");
}

TEST_F(AclFileTest, MissingFile) {
  std::vector<User> users;
  std::string err = LoadAclFile(path_ + ".none", false, &users);
  EXPECT_EQ(err, "Error loading ACLs, opening file '" + path_ + ".none': No such file or directory");
}

TEST_F(AclFileTest, SaveReadsBack) {
  Write("user default on nopass ~* &* +@all\nuser zed on >secret ~k* &c +get\n");
  std::vector<User> users;
  ASSERT_EQ(LoadAclFile(path_, false, &users), "");
  std::vector<std::shared_ptr<const User>> shared;
  for (auto& u : users) shared.push_back(std::make_shared<User>(u));
  ASSERT_EQ(SaveAclFile(path_, shared), "");
  std::vector<User> again;
  ASSERT_EQ(LoadAclFile(path_, false, &again), "");
  ASSERT_EQ(again.size(), users.size());
  for (size_t i = 0; i < users.size(); ++i) EXPECT_EQ(again[i].Describe(), users[i].Describe());
  std::ifstream in(path_);
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first, "user default " + users[0].Describe());
  EXPECT_EQ(SaveAclFile("/nonexistent-dir/x.acl", shared).empty(), false);
}

}  // namespace
}  // namespace petacore::auth
