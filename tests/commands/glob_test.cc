// Redis stringmatchlen cases for commands::GlobMatch.
#include "commands/glob.h"

#include <gtest/gtest.h>

#include <string>

namespace petacore::commands {
namespace {

TEST(GlobTest, Star) {
  EXPECT_TRUE(GlobMatch("*", "anything"));
  EXPECT_TRUE(GlobMatch("**", "x"));
  // As Redis's stringmatchlen, which never enters its loop for an empty string: only the empty
  // pattern matches "" (KEYS and SCAN special-case a lone "*" before matching).
  EXPECT_FALSE(GlobMatch("*", ""));
  EXPECT_FALSE(GlobMatch("**", ""));
  EXPECT_TRUE(GlobMatch("a*", "a"));  // trailing stars after the last byte do match
  EXPECT_TRUE(GlobMatch("a**", "a"));
  EXPECT_TRUE(GlobMatch("h*llo", "hllo"));
  EXPECT_TRUE(GlobMatch("h*llo", "heeeello"));
  EXPECT_FALSE(GlobMatch("h*llo", "hellO"));
  EXPECT_TRUE(GlobMatch("a*b*c", "abc"));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXXbYYc"));
  EXPECT_TRUE(GlobMatch("a*b*c", "abcbc"));
  EXPECT_FALSE(GlobMatch("a*b*c", "aXXcYYb"));
  EXPECT_FALSE(GlobMatch("a*b*c", "abcx"));
  EXPECT_TRUE(GlobMatch("*c", "abcc"));
  EXPECT_FALSE(GlobMatch("a*", ""));
  EXPECT_FALSE(GlobMatch("", "a"));
  EXPECT_TRUE(GlobMatch("", ""));
}

TEST(GlobTest, QuestionMark) {
  EXPECT_TRUE(GlobMatch("h?llo", "hello"));
  EXPECT_TRUE(GlobMatch("h?llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h?llo", "hllo"));
  EXPECT_FALSE(GlobMatch("h?llo", "heello"));
  EXPECT_FALSE(GlobMatch("?", ""));
  EXPECT_TRUE(GlobMatch("?", std::string(1, '\0')));
}

TEST(GlobTest, Classes) {
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hello"));
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[ae]llo", "hillo"));
  EXPECT_TRUE(GlobMatch("[abc]", "b"));
  EXPECT_FALSE(GlobMatch("[abc]", "d"));
  EXPECT_FALSE(GlobMatch("[abc]", ""));
  EXPECT_TRUE(GlobMatch("[^a]", "b"));
  EXPECT_FALSE(GlobMatch("[^a]", "a"));
  EXPECT_TRUE(GlobMatch("h[^e]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[^e]llo", "hello"));
  EXPECT_TRUE(GlobMatch("h[a-b]llo", "hallo"));
  EXPECT_TRUE(GlobMatch("h[a-b]llo", "hbllo"));
  EXPECT_FALSE(GlobMatch("h[a-b]llo", "hello"));
  EXPECT_TRUE(GlobMatch("[a-z]", "m"));
  EXPECT_FALSE(GlobMatch("[a-z]", "M"));
  EXPECT_TRUE(GlobMatch("[z-a]", "m"));  // Redis swaps a reversed range
  EXPECT_TRUE(GlobMatch("[^a-z]", "0"));
  EXPECT_FALSE(GlobMatch("[^a-z]", "q"));
  EXPECT_TRUE(GlobMatch("[\\]]", "]"));  // an escaped ']' inside a class
  EXPECT_TRUE(GlobMatch("[a\\-z]", "-"));
  EXPECT_FALSE(GlobMatch("[a\\-z]", "m"));
  EXPECT_TRUE(GlobMatch("*[0-9]", "key7"));
  EXPECT_FALSE(GlobMatch("*[0-9]", "key"));
  EXPECT_TRUE(GlobMatch("[\xf0-\xff]", "\xfa"));  // bytes compare unsigned
}

TEST(GlobTest, Escapes) {
  EXPECT_TRUE(GlobMatch("\\*", "*"));
  EXPECT_FALSE(GlobMatch("\\*", "a"));
  EXPECT_TRUE(GlobMatch("\\?", "?"));
  EXPECT_FALSE(GlobMatch("\\?", "x"));
  EXPECT_TRUE(GlobMatch("a\\*b", "a*b"));
  EXPECT_FALSE(GlobMatch("a\\*b", "aXb"));
  EXPECT_TRUE(GlobMatch("\\[abc]", "[abc]"));
  EXPECT_FALSE(GlobMatch("\\[abc]", "a"));
  EXPECT_TRUE(GlobMatch("*\\*", "xx*"));
  EXPECT_TRUE(GlobMatch("\\\\", "\\"));
}

TEST(GlobTest, BinarySafe) {
  std::string text("a\0b", 3);
  EXPECT_TRUE(GlobMatch("a?b", text));
  EXPECT_TRUE(GlobMatch(std::string("a\0*", 3), text));
  EXPECT_FALSE(GlobMatch("a", text));
}

TEST(GlobTest, NoExponentialBlowUp) {
  std::string text(32, 'a');
  EXPECT_FALSE(GlobMatch("a*a*a*a*a*a*a*a*b", text));
  EXPECT_TRUE(GlobMatch("a*a*a*a*a*a*a*a*a", text));
  std::string long_text(20000, 'a');
  EXPECT_FALSE(GlobMatch("*a*a*a*a*a*a*a*a*a*a*a*a*b", long_text));
}

}  // namespace
}  // namespace petacore::commands
