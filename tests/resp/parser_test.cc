// parser_test.cc — well-formed input: pipelining, every split point, inline quoting, big
// payloads in linear time.
#include "resp/parser.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/resp/parse_driver.h"

namespace petacore::resp {
namespace {

using testing::Args;
using testing::Feed;
using testing::FeedWhole;
using testing::MultiBulk;
using testing::Outcome;

// A pipeline mixing multibulk and inline commands, binary and empty arguments, and the
// commands Redis skips silently ("*0", "*-1", a bare CRLF).
struct Pipeline {
  std::string stream;
  std::vector<Args> expected;
};

Pipeline MixedPipeline() {
  Pipeline p;
  auto add = [&](std::string bytes, Args args) {
    p.stream += bytes;
    p.expected.push_back(std::move(args));
  };
  const std::string binary("k\r\n\0v\r\n$3\r\n*1", 12);
  add(MultiBulk({"SET", binary, std::string(300, 'x')}), {"SET", binary, std::string(300, 'x')});
  add(MultiBulk({"GET", ""}), {"GET", ""});
  add("PING\r\n", {"PING"});
  add("*0\r\n", {});
  add(MultiBulk({"", "\r\n"}), {"", "\r\n"});
  add("\r\n", {});
  add("SET \"a b\" 'c\\'d' \"\\x41\\r\\n\"\n", {"SET", "a b", "c'd", "A\r\n"});
  add("*-1\r\n", {});
  add(MultiBulk({"INCR", "counter"}), {"INCR", "counter"});
  return p;
}

TEST(ParserTest, SingleMultibulk) {
  Parser parser;
  Command cmd;
  const std::string in = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\nextra";
  const auto r = parser.Parse(in, &cmd);
  ASSERT_EQ(r.status, Parser::Status::kCommand);
  EXPECT_EQ(r.consumed, in.size() - 5);
  ASSERT_EQ(cmd.args.size(), 2u);
  EXPECT_EQ(cmd.args[0], "GET");
  EXPECT_EQ(cmd.args[1], "k");
  EXPECT_FALSE(cmd.inline_form);
  // Views point into the caller's buffer: no per-argument copies.
  EXPECT_EQ(cmd.args[0].data(), in.data() + 8);
}

TEST(ParserTest, WholePipelineAtOnce) {
  const Pipeline p = MixedPipeline();
  const Outcome out = FeedWhole(p.stream);
  ASSERT_FALSE(out.error) << out.error_text;
  EXPECT_EQ(out.commands, p.expected);
  EXPECT_EQ(out.leftover, 0u);
}

TEST(ParserTest, EverySplitPointGivesTheSameCommands) {
  const Pipeline p = MixedPipeline();
  for (size_t cut = 0; cut <= p.stream.size(); ++cut) {
    const Outcome out = Feed(p.stream, {cut});
    ASSERT_FALSE(out.error) << "cut at " << cut << ": " << out.error_text;
    ASSERT_EQ(out.commands, p.expected) << "cut at " << cut;
    ASSERT_EQ(out.leftover, 0u);
  }
}

TEST(ParserTest, EveryPairOfSplitPointsGivesTheSameCommands) {
  const Pipeline p = MixedPipeline();
  for (size_t a = 0; a <= p.stream.size(); a += 3) {
    for (size_t b = a; b <= p.stream.size(); b += 7) {
      const Outcome out = Feed(p.stream, {a, b});
      ASSERT_FALSE(out.error) << a << "," << b << ": " << out.error_text;
      ASSERT_EQ(out.commands, p.expected) << "cuts at " << a << "," << b;
    }
  }
}

TEST(ParserTest, ByteByByteAndRandomChunks) {
  const Pipeline p = MixedPipeline();
  std::vector<size_t> cuts;
  for (size_t i = 1; i < p.stream.size(); ++i) cuts.push_back(i);
  EXPECT_EQ(Feed(p.stream, cuts).commands, p.expected);

  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    cuts.clear();
    for (size_t at = 0; at < p.stream.size();) {
      at += 1 + rng() % 40;
      if (at < p.stream.size()) cuts.push_back(at);
    }
    ASSERT_EQ(Feed(p.stream, cuts).commands, p.expected) << "round " << round;
  }
}

TEST(ParserTest, NeedMoreConsumesNothingAndPartialCommandStaysPending) {
  Parser parser;
  Command cmd;
  EXPECT_EQ(parser.Parse("", &cmd).status, Parser::Status::kNeedMore);
  EXPECT_EQ(parser.Parse("*2\r\n$3\r\nGET\r\n$1\r", &cmd).status, Parser::Status::kNeedMore);
  EXPECT_TRUE(cmd.args.empty());
  const auto r = parser.Parse("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", &cmd);
  EXPECT_EQ(r.status, Parser::Status::kCommand);
  EXPECT_EQ(r.consumed, 20u);
  EXPECT_EQ(cmd.args.size(), 2u);
}

TEST(ParserTest, ResetForgetsPartialCommand) {
  Parser parser;
  Command cmd;
  EXPECT_EQ(parser.Parse("*2\r\n$3\r\nGET\r\n", &cmd).status, Parser::Status::kNeedMore);
  parser.Reset();
  const auto r = parser.Parse("PING\r\n", &cmd);
  ASSERT_EQ(r.status, Parser::Status::kCommand);
  EXPECT_EQ(cmd.args, std::vector<std::string_view>{"PING"});
}

TEST(ParserTest, ReusesCommandCapacity) {
  Parser parser;
  Command cmd;
  const std::string in = MultiBulk({"MSET", "a", "1", "b", "2"});
  ASSERT_EQ(parser.Parse(in, &cmd).status, Parser::Status::kCommand);
  const auto* storage = cmd.args.data();
  ASSERT_EQ(parser.Parse(in, &cmd).status, Parser::Status::kCommand);
  EXPECT_EQ(cmd.args.data(), storage);
}

TEST(ParserTest, RedisSkipsTheTwoBytesAfterAPayloadUnchecked) {
  // networking.c advances past bulklen+2 without looking at them; we do the same.
  Parser parser;
  Command cmd;
  const auto r = parser.Parse("*1\r\n$3\r\nGETxx", &cmd);
  ASSERT_EQ(r.status, Parser::Status::kCommand);
  EXPECT_EQ(r.consumed, 13u);
  EXPECT_EQ(cmd.args, std::vector<std::string_view>{"GET"});
  // Likewise the byte after a header's '\r'.
  EXPECT_EQ(FeedWhole("*1\rX$4\rXPING\r\n").commands, std::vector<Args>{{"PING"}});
}

// --- Inline commands, split as sdssplitargs ---

Args ParseInlineLine(std::string_view line) {
  const Outcome out = FeedWhole(line);
  EXPECT_FALSE(out.error) << out.error_text;
  EXPECT_EQ(out.commands.size(), 1u);
  if (out.commands.empty()) return {"<none>"};
  EXPECT_TRUE(out.inline_form[0]);
  return out.commands[0];
}

TEST(ParserInlineTest, Quoting) {
  EXPECT_EQ(ParseInlineLine("GET k\r\n"), (Args{"GET", "k"}));
  EXPECT_EQ(ParseInlineLine("  SET   k \t v  \r\n"), (Args{"SET", "k", "v"}));
  EXPECT_EQ(ParseInlineLine("PING\n"), Args{"PING"});
  EXPECT_EQ(ParseInlineLine("SET \"a b\" 'c d'\r\n"), (Args{"SET", "a b", "c d"}));
  EXPECT_EQ(ParseInlineLine("ECHO \"\\x41\\x4a\\n\\r\\t\\b\\a\\\\\\\"\\q\"\r\n"),
            (Args{"ECHO", "AJ\n\r\t\b\a\\\"q"}));
  EXPECT_EQ(ParseInlineLine("ECHO 'it\\'s' 'a\\nb'\r\n"), (Args{"ECHO", "it's", "a\\nb"}));
  EXPECT_EQ(ParseInlineLine("ECHO \"\\xZZ\"\r\n"), (Args{"ECHO", "xZZ"}));  // not hex: 'x'
  EXPECT_EQ(ParseInlineLine("ECHO a\"b c\" d'e f'\r\n"), (Args{"ECHO", "ab c", "de f"}));
  EXPECT_EQ(ParseInlineLine("ECHO \"\" ''\r\n"), (Args{"ECHO", "", ""}));
  EXPECT_EQ(ParseInlineLine("ECHO a\\nb\r\n"), (Args{"ECHO", "a\\nb"}));  // no escapes outside
  // sdssplitargs works on a C string: a NUL byte ends the line.
  EXPECT_EQ(ParseInlineLine(std::string("GET a\0b c\r\n", 11)), (Args{"GET", "a"}));
}

TEST(ParserInlineTest, EmptyLinesAreConsumedWithNoArgs) {
  for (std::string_view line : {"\r\n", "\n", "   \r\n", "\t\n"}) {
    Parser parser;
    Command cmd;
    const auto r = parser.Parse(line, &cmd);
    ASSERT_EQ(r.status, Parser::Status::kCommand) << line;
    EXPECT_EQ(r.consumed, line.size());
    EXPECT_TRUE(cmd.args.empty());
  }
}

TEST(ParserInlineTest, PlainArgsAreViewsIntoTheBuffer) {
  Parser parser;
  Command cmd;
  const std::string in = "SET key \"quoted\"\r\n";
  ASSERT_EQ(parser.Parse(in, &cmd).status, Parser::Status::kCommand);
  ASSERT_EQ(cmd.args.size(), 3u);
  EXPECT_EQ(cmd.args[1].data(), in.data() + 4);
  EXPECT_EQ(cmd.args[2], "quoted");
}

TEST(ParserInlineTest, LineUpToTheLimitIsAccepted) {
  Limits limits;
  limits.max_inline_len = 100;
  const std::string line = "ECHO " + std::string(95, 'a');  // exactly 100 bytes before '\n'
  const Outcome out = FeedWhole(line + "\n", limits);
  ASSERT_FALSE(out.error) << out.error_text;
  EXPECT_EQ(out.commands, (std::vector<Args>{{"ECHO", std::string(95, 'a')}}));
}

// --- Large payloads: linear time however they arrive ---

TEST(ParserBigTest, TenMegabyteBulkIn64KiBChunks) {
  std::string payload(10 << 20, 'p');
  for (size_t i = 0; i < payload.size(); i += 4093) payload[i] = '\r';  // would fool a rescan
  const std::string stream = MultiBulk({"SET", "big", payload}) + MultiBulk({"GET", "big"});

  Parser parser;
  Command cmd;
  std::string buffer;
  buffer.reserve(stream.size());
  std::vector<size_t> sizes;
  size_t calls = 0;
  for (size_t fed = 0; fed < stream.size();) {
    const size_t n = std::min<size_t>(64 << 10, stream.size() - fed);
    buffer.append(stream, fed, n);
    fed += n;
    while (true) {
      ++calls;
      const auto r = parser.Parse(buffer, &cmd);
      ASSERT_NE(r.status, Parser::Status::kError) << parser.error();
      if (r.status == Parser::Status::kNeedMore) break;
      sizes.push_back(cmd.args.size());
      if (cmd.args.size() == 3) {
        ASSERT_EQ(cmd.args[2].size(), payload.size());
        EXPECT_TRUE(cmd.args[2] == payload);
      }
      buffer.erase(0, r.consumed);
    }
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{3, 2}));
  EXPECT_LT(calls, 200u);
  // Only the headers are searched for CRLF (the payload is length-delimited, and its '\r's
  // are never looked at); a parser rescanning the buffer per call would search ~800 MB.
  EXPECT_LT(parser.scanned_bytes(), 1000u);
}

TEST(ParserBigTest, OneMegabyteBulkByteByByte) {
  const std::string stream = MultiBulk({"SET", "k", std::string(1 << 20, '\r')});
  Parser parser;
  Command cmd;
  Parser::Result r{Parser::Status::kNeedMore, 0};
  for (size_t len = 1; len <= stream.size(); ++len) {
    r = parser.Parse(std::string_view(stream).substr(0, len), &cmd);
    if (len < stream.size()) {
      ASSERT_EQ(r.status, Parser::Status::kNeedMore) << len;
    }
  }
  ASSERT_EQ(r.status, Parser::Status::kCommand);
  EXPECT_EQ(r.consumed, stream.size());
  EXPECT_EQ(cmd.args[2].size(), 1u << 20);
  // 1M calls, each searching only new header bytes; rescanning the payload each time would
  // be ~10^12 bytes.
  EXPECT_LT(parser.scanned_bytes(), 1000u);
}

TEST(ParserBigTest, LongInlineLineByteByByteIsScannedOnce) {
  Limits limits;
  limits.max_inline_len = 5 << 20;
  const std::string stream = "ECHO " + std::string(4 << 20, 'a') + "\r\n";
  Parser parser(limits);
  Command cmd;
  Parser::Result r{Parser::Status::kNeedMore, 0};
  for (size_t len = 1; len <= stream.size(); ++len) {
    r = parser.Parse(std::string_view(stream).substr(0, len), &cmd);
  }
  ASSERT_EQ(r.status, Parser::Status::kCommand);
  EXPECT_EQ(cmd.args[1].size(), 4u << 20);
  // Linear: every byte of the line searched once; rescanning it per call would be ~10^13.
  EXPECT_LE(parser.scanned_bytes(), stream.size());
}

}  // namespace
}  // namespace petacore::resp
