// parser_errors_test.cc — malformed input gets Redis's exact error texts (networking.c,
// tests/unit/protocol.tcl), whatever the split of the bytes.
#include <gtest/gtest.h>

#include <random>

#include "resp/parser.h"
#include "tests/resp/parse_driver.h"

namespace petacore::resp {
namespace {

using testing::Feed;
using testing::FeedWhole;
using testing::Outcome;

// The error text for `stream` fed at once, checked to be the same for every single split point
// (the limit checks do not depend on how the bytes arrived).
std::string ErrorOf(std::string_view stream, Limits limits = {}) {
  const Outcome whole = FeedWhole(stream, limits);
  EXPECT_TRUE(whole.error) << "no error for: " << stream.substr(0, 60);
  const size_t step = stream.size() > 1000 ? stream.size() / 50 : 1;
  for (size_t cut = 0; cut <= stream.size(); cut += step) {
    const Outcome split = Feed(stream, {cut}, limits);
    EXPECT_EQ(split.error_text, whole.error_text) << "cut at " << cut;
  }
  return whole.error_text;
}

TEST(ParserErrorTest, InvalidMultibulkLength) {
  const std::string kText = "Protocol error: invalid multibulk length";
  EXPECT_EQ(ErrorOf("*abc\r\n"), kText);
  EXPECT_EQ(ErrorOf("*\r\n"), kText);
  EXPECT_EQ(ErrorOf("*1 \r\n"), kText);
  EXPECT_EQ(ErrorOf("*+1\r\n"), kText);
  EXPECT_EQ(ErrorOf("*01\r\n"), kText);  // string2ll rejects leading zeros
  EXPECT_EQ(ErrorOf("*-0\r\n"), kText);
  EXPECT_EQ(ErrorOf("*2147483648\r\n"), kText);  // over INT_MAX, Redis 7's cap
  EXPECT_EQ(ErrorOf("*99999999999999999999999\r\n"), kText);
  Limits limits;
  limits.max_multibulk_len = 3;
  EXPECT_EQ(ErrorOf("*4\r\n", limits), kText);
  EXPECT_FALSE(FeedWhole("*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n", limits).error);
}

TEST(ParserErrorTest, NonPositiveMultibulkCountIsIgnored) {
  for (std::string_view in : {"*0\r\n", "*-1\r\n", "*-10\r\n"}) {
    Parser parser;
    Command cmd;
    const auto r = parser.Parse(in, &cmd);
    ASSERT_EQ(r.status, Parser::Status::kCommand) << in;
    EXPECT_EQ(r.consumed, in.size());
    EXPECT_TRUE(cmd.args.empty());
  }
}

TEST(ParserErrorTest, InvalidBulkLength) {
  const std::string kText = "Protocol error: invalid bulk length";
  EXPECT_EQ(ErrorOf("*1\r\n$-1\r\n"), kText);  // null bulk is a reply, never a request
  EXPECT_EQ(ErrorOf("*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$-10\r\n"), kText);
  EXPECT_EQ(ErrorOf("*1\r\n$abc\r\n"), kText);
  EXPECT_EQ(ErrorOf("*1\r\n$\r\n"), kText);
  EXPECT_EQ(ErrorOf("*1\r\n$03\r\nGET\r\n"), kText);
  EXPECT_EQ(ErrorOf("*1\r\n$536870913\r\n"), kText);  // proto-max-bulk-len + 1
  EXPECT_EQ(ErrorOf("*1\r\n$99999999999999999999\r\n"), kText);
  Limits limits;
  limits.max_bulk_len = 4;
  EXPECT_EQ(ErrorOf("*1\r\n$5\r\n", limits), kText);
  EXPECT_FALSE(FeedWhole("*1\r\n$4\r\nPING\r\n", limits).error);
}

TEST(ParserErrorTest, ExpectedDollar) {
  EXPECT_EQ(ErrorOf("*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n"),
            "Protocol error: expected '$', got 'f'");
  EXPECT_EQ(ErrorOf("*1\r\n:1\r\n"), "Protocol error: expected '$', got ':'");
  // Redis turns CR/LF in an error into spaces, and "%c" of a NUL ends the C string.
  EXPECT_EQ(ErrorOf("*1\r\n\r\n"), "Protocol error: expected '$', got ' '");
  EXPECT_EQ(ErrorOf(std::string("*1\r\n\0\r\n", 7)), "Protocol error: expected '$', got '");
}

TEST(ParserErrorTest, PayloadNotFollowedByCrlf) {
  // Redis does not check the two bytes after a payload, so the damage shows at the next
  // header: "$1\r\nab\r\n" takes "a", skips "b\r" and then finds '\n' where '$' belongs.
  EXPECT_EQ(ErrorOf("*2\r\n$1\r\nab\r\n$1\r\nk\r\n"), "Protocol error: expected '$', got ' '");
  EXPECT_EQ(ErrorOf("*2\r\n$3\r\nGETxyz$1\r\nk\r\n"), "Protocol error: expected '$', got 'z'");
}

TEST(ParserErrorTest, TooBigCountStrings) {
  const std::string digits(70000, '1');
  EXPECT_EQ(ErrorOf("*" + digits), "Protocol error: too big mbulk count string");
  EXPECT_EQ(ErrorOf("*" + digits + "\r\n"), "Protocol error: too big mbulk count string");
  EXPECT_EQ(ErrorOf("*1\r\n$" + digits), "Protocol error: too big bulk count string");
  EXPECT_EQ(ErrorOf("*1\r\n$" + digits + "\r\n"), "Protocol error: too big bulk count string");
  // A line of exactly the limit is only a bad number.
  Limits limits;
  limits.max_inline_len = 8;
  EXPECT_EQ(ErrorOf("*0000000\r\n", limits), "Protocol error: invalid multibulk length");
  EXPECT_EQ(ErrorOf("*00000000\r\n", limits), "Protocol error: too big mbulk count string");
}

TEST(ParserErrorTest, TooBigInlineRequest) {
  const std::string kText = "Protocol error: too big inline request";
  EXPECT_EQ(ErrorOf(std::string(70000, 'a')), kText);
  EXPECT_EQ(ErrorOf("ECHO " + std::string(70000, 'a') + "\r\n"), kText);
  Limits limits;
  limits.max_inline_len = 10;
  EXPECT_EQ(ErrorOf("ECHO 123456\n", limits), kText);  // 11 bytes before '\n'
  // Without its newline an over-long line is refused as soon as it passes the limit.
  Parser parser(limits);
  Command cmd;
  EXPECT_EQ(parser.Parse("ECHO 12345", &cmd).status, Parser::Status::kNeedMore);
  EXPECT_EQ(parser.Parse("ECHO 123456", &cmd).status, Parser::Status::kError);
  EXPECT_EQ(parser.error(), kText);
}

TEST(ParserErrorTest, UnbalancedQuotes) {
  const std::string kText = "Protocol error: unbalanced quotes in request";
  EXPECT_EQ(ErrorOf("SET \"abc\r\n"), kText);
  EXPECT_EQ(ErrorOf("SET 'abc\r\n"), kText);
  EXPECT_EQ(ErrorOf("SET \"a\"b\r\n"), kText);  // a closing quote must end the token
  EXPECT_EQ(ErrorOf("SET 'a'b\r\n"), kText);
  EXPECT_EQ(ErrorOf("SET \"a\\\"\r\n"), kText);  // the escaped quote does not close
  EXPECT_EQ(ErrorOf(std::string("SET \"a\0\"\r\n", 10)), kText);  // NUL ends the C string
}

TEST(ParserErrorTest, ErrorIsStickyUntilReset) {
  Parser parser;
  Command cmd;
  ASSERT_EQ(parser.Parse("*x\r\n", &cmd).status, Parser::Status::kError);
  EXPECT_EQ(parser.Parse("PING\r\n", &cmd).status, Parser::Status::kError);
  EXPECT_EQ(parser.error(), "Protocol error: invalid multibulk length");
  parser.Reset();
  EXPECT_TRUE(parser.error().empty());
  const auto r = parser.Parse("PING\r\n", &cmd);
  EXPECT_EQ(r.status, Parser::Status::kCommand);
  EXPECT_EQ(r.consumed, 6u);
}

TEST(ParserErrorTest, CommandsBeforeTheErrorAreDelivered) {
  const Outcome out = FeedWhole("PING\r\n*1\r\n$4\r\nPING\r\n*1\r\n$x\r\n");
  EXPECT_EQ(out.commands.size(), 2u);
  EXPECT_TRUE(out.error);
  EXPECT_EQ(out.error_text, "Protocol error: invalid bulk length");
}

// Random protocol-ish bytes: whatever happens (commands, an error, waiting for more) must not
// depend on how the bytes were split.
TEST(ParserErrorTest, RandomInputIsSplitIndependent) {
  constexpr std::string_view kAlphabet = "*$\r\n\r\n0123-a \"'\\x";
  std::mt19937 rng(7);
  Limits limits;
  limits.max_inline_len = 12;
  for (int round = 0; round < 3000; ++round) {
    std::string stream;
    const size_t len = 1 + rng() % 40;
    for (size_t i = 0; i < len; ++i) stream += kAlphabet[rng() % kAlphabet.size()];
    const Outcome whole = FeedWhole(stream, limits);
    std::vector<size_t> cuts;
    for (size_t at = 0; at < stream.size();) {
      at += 1 + rng() % 5;
      if (at < stream.size()) cuts.push_back(at);
    }
    const Outcome split = Feed(stream, cuts, limits);
    ASSERT_EQ(split.commands, whole.commands) << ::testing::PrintToString(stream);
    ASSERT_EQ(split.error_text, whole.error_text) << ::testing::PrintToString(stream);
    if (!whole.error) {  // after an error the rest is never read, so only compare otherwise
      ASSERT_EQ(split.leftover, whole.leftover) << ::testing::PrintToString(stream);
    }
  }
}

}  // namespace
}  // namespace petacore::resp
