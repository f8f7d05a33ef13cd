// value_parser_test.cc — resp::ValueParser: every RESP2/RESP3 type, nesting, attributes,
// pipelining, byte-by-byte feeding, limits and malformed input.
#include "resp/value_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "resp/reply.h"

namespace petacore::resp {
namespace {

using Type = Value::Type;

struct Parsed {
  std::vector<Value> values;
  std::vector<size_t> consumed;
  bool error = false;
  std::string error_text;
};

// Feeds `stream` in pieces of `step` bytes (0: whole), copying the buffer before every call
// so that only offsets can carry the parser's state.
Parsed Feed(const std::string& stream, size_t step = 0, Limits limits = {}, size_t depth = 64) {
  ValueParser parser(limits, depth);
  Parsed result;
  std::string buffer;
  size_t fed = 0;
  while (fed < stream.size()) {
    const size_t n = step == 0 ? stream.size() : std::min(step, stream.size() - fed);
    buffer.append(stream, fed, n);
    fed += n;
    while (true) {
      const std::string moved = buffer;
      Value v;
      auto r = parser.Parse(moved, &v);
      if (r.status == ValueParser::Status::kNeedMore) break;
      if (r.status == ValueParser::Status::kError) {
        result.error = true;
        result.error_text = parser.error();
        return result;
      }
      result.values.push_back(std::move(v));
      result.consumed.push_back(r.consumed);
      buffer.erase(0, r.consumed);
    }
  }
  return result;
}

Value One(const std::string& stream) {
  Parsed p = Feed(stream);
  EXPECT_FALSE(p.error) << p.error_text;
  EXPECT_EQ(p.values.size(), 1u);
  EXPECT_EQ(p.consumed.at(0), stream.size());
  return p.values.at(0);
}

TEST(ValueParserTest, ScalarTypes) {
  EXPECT_EQ(One("+OK\r\n").type, Type::kSimple);
  EXPECT_EQ(One("+OK\r\n").str, "OK");
  Value e = One("-ERR bad\r\n");
  EXPECT_EQ(e.type, Type::kError);
  EXPECT_EQ(e.str, "ERR bad");
  EXPECT_EQ(One(":-42\r\n").integer, -42);
  EXPECT_EQ(One("$3\r\na\r\n\r\n").str, "a\r\n");
  EXPECT_EQ(One("$-1\r\n").type, Type::kNull);
  EXPECT_EQ(One("*-1\r\n").type, Type::kNull);
  EXPECT_EQ(One("_\r\n").type, Type::kNull);
  Value d = One(",0.10000000000000001\r\n");
  EXPECT_EQ(d.type, Type::kDouble);
  EXPECT_EQ(d.str, "0.10000000000000001");
  EXPECT_EQ(One(",-inf\r\n").str, "-inf");
  EXPECT_EQ(One(",1e10\r\n").str, "1e10");
  EXPECT_EQ(One("#t\r\n").integer, 1);
  EXPECT_EQ(One("#f\r\n").type, Type::kBoolean);
  Value big = One("(-3492890328409238509324850943850943825024385\r\n");
  EXPECT_EQ(big.type, Type::kBigNumber);
  EXPECT_EQ(big.str, "-3492890328409238509324850943850943825024385");
  Value blob_error = One("!21\r\nSYNTAX invalid syntax\r\n");
  EXPECT_EQ(blob_error.type, Type::kError);
  EXPECT_EQ(blob_error.str, "SYNTAX invalid syntax");
  Value verbatim = One("=15\r\ntxt:Some string\r\n");
  EXPECT_EQ(verbatim.type, Type::kVerbatim);
  EXPECT_EQ(verbatim.format, "txt");
  EXPECT_EQ(verbatim.str, "Some string");
}

TEST(ValueParserTest, Aggregates) {
  Value m = One("%2\r\n+a\r\n:1\r\n$1\r\nb\r\n~2\r\n,1.5\r\n_\r\n");
  ASSERT_EQ(m.type, Type::kMap);
  ASSERT_EQ(m.elems.size(), 4u);
  EXPECT_EQ(m.elems[1].integer, 1);
  ASSERT_EQ(m.elems[3].type, Type::kSet);
  EXPECT_EQ(m.elems[3].elems[0].str, "1.5");
  EXPECT_EQ(m.elems[3].elems[1].type, Type::kNull);
  Value push = One(">2\r\n$10\r\ninvalidate\r\n*1\r\n$3\r\nkey\r\n");
  EXPECT_EQ(push.type, Type::kPush);
  EXPECT_EQ(push.elems[1].elems[0].str, "key");
  EXPECT_EQ(One("*0\r\n").elems.size(), 0u);
  EXPECT_EQ(One("%0\r\n").type, Type::kMap);
  EXPECT_EQ(One("*2\r\n*0\r\n~0\r\n").elems.size(), 2u);
}

TEST(ValueParserTest, AttributesPrecedeTheirValue) {
  Value v = One("|1\r\n+ttl\r\n:3600\r\n*2\r\n:1\r\n|0\r\n:2\r\n");
  ASSERT_EQ(v.type, Type::kArray);
  ASSERT_EQ(v.attributes.size(), 2u);
  EXPECT_EQ(v.attributes[0].str, "ttl");
  ASSERT_EQ(v.elems.size(), 2u);  // the empty attribute did not take a slot
  EXPECT_EQ(v.elems[1].integer, 2);
}

TEST(ValueParserTest, WhatTheReplyWriterWritesParsesBack) {
  std::string buf;
  ReplyWriter w(&buf, 3);
  w.MapHeader(1);
  w.Bulk("k");
  w.SetHeader(2);
  w.Double(0.5);
  w.BigNumber("123");
  w.Verbatim("txt", "hello");
  w.Boolean(true);
  Parsed p = Feed(buf);
  ASSERT_FALSE(p.error) << p.error_text;
  ASSERT_EQ(p.values.size(), 3u);
  EXPECT_EQ(p.values[0].elems[1].elems[1].type, Type::kBigNumber);
  EXPECT_EQ(p.values[1].str, "hello");
  EXPECT_EQ(p.values[2].integer, 1);
}

TEST(ValueParserTest, SplittingDoesNotChangeTheResult) {
  const std::string stream =
      "%2\r\n+a\r\n:1\r\n$5\r\nb\r\nxy\r\n~2\r\n,1.5\r\n_\r\n"
      "|1\r\n+k\r\n#t\r\n=9\r\ntxt:hello\r\n>1\r\n!3\r\nERR\r\n(12\r\n";
  Parsed whole = Feed(stream);
  ASSERT_FALSE(whole.error) << whole.error_text;
  EXPECT_EQ(whole.values.size(), 4u);
  for (size_t step : {1u, 2u, 3u, 7u}) {
    Parsed split = Feed(stream, step);
    EXPECT_FALSE(split.error) << step;
    EXPECT_EQ(split.values, whole.values) << step;
    EXPECT_EQ(split.consumed, whole.consumed) << step;
  }
}

TEST(ValueParserTest, IncompleteInputNeedsMore) {
  for (const char* s : {"", "$5\r\nab", "*2\r\n:1\r\n", "%1\r\n+a\r\n", "|1\r\n+a\r\n:1\r\n",
                        ",1.5", "$3\r\nabc"}) {
    Parsed p = Feed(s);
    EXPECT_FALSE(p.error) << s;
    EXPECT_TRUE(p.values.empty()) << s;
  }
}

TEST(ValueParserTest, MalformedInputIsAnError) {
  for (const char* s : {"?x\r\n", "\r\n", ":12a\r\n", ":\r\n", ",abc\r\n", "#x\r\n", "_x\r\n",
                        "(1.5\r\n", "$-2\r\n", "$2\r\nabcd\r\n", "=3\r\ntxt\r\n",
                        "=5\r\ntxt-x\r\n", "~-1\r\n", "%x\r\n", "$?\r\n"}) {
    Parsed p = Feed(s);
    EXPECT_TRUE(p.error) << s;
  }
  EXPECT_EQ(Feed("$-2\r\n").error_text, "Protocol error: invalid bulk length");
}

TEST(ValueParserTest, Limits) {
  Limits limits;
  limits.max_bulk_len = 4;
  limits.max_multibulk_len = 2;
  limits.max_inline_len = 8;
  EXPECT_FALSE(Feed("$4\r\nabcd\r\n", 0, limits).error);
  EXPECT_TRUE(Feed("$5\r\nabcde\r\n", 0, limits).error);
  EXPECT_TRUE(Feed("*3\r\n", 0, limits).error);
  EXPECT_TRUE(Feed("%3\r\n", 0, limits).error);
  EXPECT_TRUE(Feed("+123456789", 0, limits).error);      // too long, no CRLF yet
  EXPECT_TRUE(Feed("+123456789\r\n", 0, limits).error);  // too long with its CRLF
  EXPECT_TRUE(Feed("*1\r\n*1\r\n*1\r\n:1\r\n", 0, {}, 2).error);
  // A line of exactly the limit is fine however it is split, even cut between '\r' and '\n'.
  EXPECT_FALSE(Feed("+1234567\r\n", 0, limits).error);
  EXPECT_FALSE(Feed("+1234567\r\n", 1, limits).error);
  EXPECT_FALSE(Feed("*1\r\n*1\r\n:1\r\n", 0, {}, 2).error);
}

TEST(ValueParserTest, ErrorIsSticky) {
  ValueParser parser;
  Value v;
  EXPECT_EQ(parser.Parse("?\r\n", &v).status, ValueParser::Status::kError);
  EXPECT_EQ(parser.Parse(":1\r\n", &v).status, ValueParser::Status::kError);
  parser.Reset();
  EXPECT_EQ(parser.Parse(":1\r\n", &v).status, ValueParser::Status::kValue);
}

}  // namespace
}  // namespace petacore::resp
