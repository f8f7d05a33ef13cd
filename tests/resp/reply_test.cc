// reply_test.cc — the bytes of every reply type in RESP2 and RESP3, as Redis writes them.
#include "resp/reply.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace petacore::resp {
namespace {

template <typename Fn>
std::string Encode(int protocol, Fn fn) {
  std::string out;
  ReplyWriter w(&out, protocol);
  fn(w);
  return out;
}

std::string Resp2(void (*fn)(ReplyWriter&)) { return Encode(2, fn); }

TEST(ReplyTest, SimpleAndOk) {
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.Ok(); }), "+OK\r\n");
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.Simple("PONG"); }), "+PONG\r\n");
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.Simple("a\r\nb"); }), "+a  b\r\n");
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.Simple(""); }), "+\r\n");
}

TEST(ReplyTest, ErrorCodes) {
  auto err = [](std::string_view text) {
    return Encode(2, [&](ReplyWriter& w) { w.Error(text); });
  };
  EXPECT_EQ(err("ERR unknown command 'FOO'"), "-ERR unknown command 'FOO'\r\n");
  EXPECT_EQ(err("WRONGTYPE Operation against a key holding the wrong kind of value"),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  EXPECT_EQ(err("EXECABORT Transaction discarded because of previous errors."),
            "-EXECABORT Transaction discarded because of previous errors.\r\n");
  EXPECT_EQ(err("NOAUTH Authentication required."), "-NOAUTH Authentication required.\r\n");
  EXPECT_EQ(err("Protocol error: invalid bulk length"),
            "-ERR Protocol error: invalid bulk length\r\n");
  EXPECT_EQ(err("value is not an integer or out of range"),
            "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(err("A b"), "-ERR A b\r\n");  // one letter is not a code
  EXPECT_EQ(err("OK"), "-ERR OK\r\n");    // a code needs a following space
  EXPECT_EQ(err("NOT_A_CODE x"), "-ERR NOT_A_CODE x\r\n");
  EXPECT_EQ(err("-NOSCRIPT No matching script."), "-NOSCRIPT No matching script.\r\n");
  EXPECT_EQ(err(""), "-ERR \r\n");
  EXPECT_EQ(err("ERR two\r\nlines"), "-ERR two  lines\r\n");
  EXPECT_EQ(Encode(3, [](ReplyWriter& w) { w.Error("ERR x"); }), "-ERR x\r\n");
}

TEST(ReplyTest, Integers) {
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.Integer(0); }), ":0\r\n");
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.Integer(-1); }), ":-1\r\n");
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.Integer(1234567890123); }), ":1234567890123\r\n");
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.Integer(std::numeric_limits<int64_t>::max()); }),
            ":9223372036854775807\r\n");
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.Integer(std::numeric_limits<int64_t>::min()); }),
            ":-9223372036854775808\r\n");
  EXPECT_EQ(Encode(3, [](ReplyWriter& w) { w.Integer(7); }), ":7\r\n");
}

TEST(ReplyTest, BulkStrings) {
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.Bulk("hello"); }), "$5\r\nhello\r\n");
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.Bulk(""); }), "$0\r\n\r\n");
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.Bulk(std::string_view("a\r\n\0b", 5)); }),
            std::string("$5\r\na\r\n\0b\r\n", 11));
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.Bulk(std::string(1000, 'z')); }),
            std::string("$1000\r\n").append(1000, 'z').append("\r\n"));
  EXPECT_EQ(Encode(3, [](ReplyWriter& w) { w.Bulk("x"); }), "$1\r\nx\r\n");
}

TEST(ReplyTest, NullsDependOnProtocol) {
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.NullBulk(); }), "$-1\r\n");
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.NullArray(); }), "*-1\r\n");
  EXPECT_EQ(Encode(3, [](ReplyWriter& w) { w.NullBulk(); }), "_\r\n");
  EXPECT_EQ(Encode(3, [](ReplyWriter& w) { w.NullArray(); }), "_\r\n");
}

TEST(ReplyTest, Aggregates) {
  EXPECT_EQ(Resp2([](ReplyWriter& w) {
              w.ArrayHeader(2);
              w.Bulk("a");
              w.Integer(1);
            }),
            "*2\r\n$1\r\na\r\n:1\r\n");
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.ArrayHeader(0); }), "*0\r\n");
  EXPECT_EQ(Resp2([](ReplyWriter& w) {
              w.MapHeader(1);
              w.Bulk("f");
              w.Bulk("v");
            }),
            "*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
  EXPECT_EQ(Encode(3,
                   [](ReplyWriter& w) {
                     w.MapHeader(1);
                     w.Bulk("f");
                     w.Bulk("v");
                   }),
            "%1\r\n$1\r\nf\r\n$1\r\nv\r\n");
  EXPECT_EQ(Encode(3, [](ReplyWriter& w) { w.MapHeader(0); }), "%0\r\n");
}

TEST(ReplyTest, ProtocolCanBeSwitched) {
  std::string out;
  ReplyWriter w(&out);
  EXPECT_EQ(w.protocol(), 2);
  EXPECT_EQ(w.buffer(), &out);
  w.NullBulk();
  w.set_protocol(3);
  w.NullBulk();
  w.Raw("+raw\r\n");
  EXPECT_EQ(out, "$-1\r\n_\r\n+raw\r\n");
}

// The text of a double as Redis >= 7.2's d2string writes it.
std::string DoubleText(double d) {
  const std::string resp3 = Encode(3, [&](ReplyWriter& w) { w.Double(d); });
  const std::string resp2 = Encode(2, [&](ReplyWriter& w) { w.Double(d); });
  EXPECT_EQ(resp3.substr(0, 1), ",");
  EXPECT_EQ(resp3.substr(resp3.size() - 2), "\r\n");
  const std::string text = resp3.substr(1, resp3.size() - 3);
  std::string bulk(1, '$');  // appends: GCC 12 misfires -Wrestrict on "lit" + temporary
  bulk += std::to_string(text.size());
  bulk += "\r\n";
  bulk += text;
  bulk += "\r\n";
  EXPECT_EQ(resp2, bulk);
  return text;
}

TEST(ReplyTest, DoublesAsRedis70) {
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.Double(10.5); }), "$4\r\n10.5\r\n");
  EXPECT_EQ(Encode(3, [](ReplyWriter& w) { w.Double(10.5); }), ",10.5\r\n");
  // Replies of Redis 7.0.15's ZSCORE for these scores.
  EXPECT_EQ(DoubleText(3.0), "3");
  EXPECT_EQ(DoubleText(-0.0), "-0");
  EXPECT_EQ(DoubleText(1.5), "1.5");
  EXPECT_EQ(DoubleText(0.1), "0.10000000000000001");
  EXPECT_EQ(DoubleText(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(DoubleText(1e20), "1e+20");
  EXPECT_EQ(DoubleText(1.5e-7), "1.4999999999999999e-07");
  EXPECT_EQ(DoubleText(std::numeric_limits<double>::max()), "1.7976931348623157e+308");
  EXPECT_EQ(DoubleText(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(DoubleText(-std::numeric_limits<double>::infinity()), "-inf");
}

TEST(ReplyTest, DoublesRoundTrip) {
  for (double d : {0.1, 1.0 / 3, 2.0 / 3 * 1e-5, 6.02214076e23, 1e-300, 123.456e-9, 9e15 + 0.5}) {
    EXPECT_EQ(std::stod(DoubleText(d)), d) << DoubleText(d);
  }
}

TEST(ReplyTest, RepliesAppendToTheBuffer) {
  std::string out = "+prior\r\n";
  ReplyWriter w(&out);
  w.Integer(1);
  w.Bulk("x");
  EXPECT_EQ(out, "+prior\r\n:1\r\n$1\r\nx\r\n");
}

TEST(ReplyTest, Resp3Types) {
  EXPECT_EQ(Encode(3, [](ReplyWriter& w) { w.SetHeader(2); }), "~2\r\n");
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.SetHeader(2); }), "*2\r\n");
  EXPECT_EQ(Encode(3, [](ReplyWriter& w) { w.PushHeader(3); }), ">3\r\n");
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.PushHeader(3); }), "*3\r\n");
  EXPECT_EQ(Encode(3, [](ReplyWriter& w) { w.Boolean(true); }), "#t\r\n");
  EXPECT_EQ(Encode(3, [](ReplyWriter& w) { w.Boolean(false); }), "#f\r\n");
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.Boolean(true); }), ":1\r\n");
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.Boolean(false); }), ":0\r\n");
  EXPECT_EQ(Encode(3, [](ReplyWriter& w) { w.BigNumber("-12345678901234567890"); }),
            "(-12345678901234567890\r\n");
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.BigNumber("123"); }), "$3\r\n123\r\n");
  EXPECT_EQ(Encode(3, [](ReplyWriter& w) { w.Verbatim("txt", "a\r\nb"); }),
            "=8\r\ntxt:a\r\nb\r\n");
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.Verbatim("txt", "ab"); }), "$2\r\nab\r\n");
}

}  // namespace
}  // namespace petacore::resp
