// FUNCTION / FCALL through the Driver (standalone), and the pieces under them: the CRC-64 and
// RDB strings of DUMP payloads (rdb_payload.h), shebang parsing (script_flags.h), library
// loading and this thread's compiled libraries (lua_functions.h).
#include <gtest/gtest.h>

#include <string>

#include "commands/crc64.h"
#include "commands/lua_functions.h"
#include "commands/rdb_payload.h"
#include "commands/script_flags.h"
#include "test_util.h"

namespace petacore::commands {
namespace {

using testing::Bulk;
using testing::Err;
using testing::kOK;

TEST(Crc64Test, CheckValueAndIncremental) {
  EXPECT_EQ(Crc64(0, "123456789"), 0xe9c6d914c4b8d9caULL);
  EXPECT_EQ(Crc64(0, ""), 0u);
  EXPECT_EQ(Crc64(Crc64(0, "1234"), "56789"), Crc64(0, "123456789"));
}

TEST(RdbPayloadTest, StringLengthsRoundTrip) {
  for (size_t n : {0, 1, 63, 64, 16383, 16384, 70000}) {
    std::string s(n, 'x');
    std::string enc;
    rdb::AppendString(&enc, s);
    size_t pos = 0;
    std::string out;
    ASSERT_TRUE(rdb::ReadString(enc, &pos, &out)) << n;
    EXPECT_EQ(out, s);
    EXPECT_EQ(pos, enc.size());
  }
  std::string truncated;
  rdb::AppendString(&truncated, "hello");
  truncated.pop_back();
  size_t pos = 0;
  std::string out;
  EXPECT_FALSE(rdb::ReadString(truncated, &pos, &out));
}

TEST(RdbPayloadTest, IntegerAndLzfEncodings) {
  struct Case {
    std::string enc;
    std::string want;
  } cases[] = {
      {std::string("\xc0\x7b", 2), "123"},
      {std::string("\xc0\xff", 2), "-1"},
      {std::string("\xc1\x39\x30", 3), "12345"},
      {std::string("\xc2\xff\xff\xff\xff", 5), "-1"},
      {std::string("\xc2\x00\x00\x00\x80", 5), "-2147483648"},
      // LZF: clen 6, len 9, literal "abc", then a back reference of 6 bytes at distance 3.
      {std::string("\xc3\x06\x09\x02"
                   "abc"
                   "\x80\x02",
                   9),
       "abcabcabc"},
      // A long back reference (length byte) of 2 + 7 + 3 = 12 bytes at distance 1.
      {std::string("\xc3\x05\x0d\x00"
                   "z"
                   "\xe0\x03\x00",
                   8),
       std::string(13, 'z')},
  };
  for (const auto& c : cases) {
    size_t pos = 0;
    std::string out;
    ASSERT_TRUE(rdb::ReadString(c.enc, &pos, &out)) << c.want;
    EXPECT_EQ(out, c.want);
    EXPECT_EQ(pos, c.enc.size());
  }
  for (std::string bad : {std::string("\xc3\x06\x0a\x02"
                                      "abc"
                                      "\x80\x02",
                                      9),                              // short output
                          std::string("\xc3\x03\x05\x20\x05\x00", 6),  // before start
                          std::string("\xc4", 1), std::string("\x82", 1)}) {
    size_t pos = 0;
    std::string out;
    EXPECT_FALSE(rdb::ReadString(bad, &pos, &out));
  }
}

TEST(RdbPayloadTest, SealAndVerify) {
  std::string payload = "body";
  rdb::Seal(&payload);
  ASSERT_EQ(payload.size(), 14u);
  uint16_t version = 0;
  EXPECT_TRUE(rdb::Verify(payload, &version));
  EXPECT_EQ(version, 10);
  std::string damaged = payload;
  damaged[0] ^= 1;
  EXPECT_FALSE(rdb::Verify(damaged, &version));
  EXPECT_FALSE(rdb::Verify("short", &version));
}

TEST(ScriptFlagsTest, Shebang) {
  uint32_t flags;
  size_t len;
  EXPECT_EQ(ParseShebang("return 1", &flags, &len), "");
  EXPECT_EQ(flags, kScriptEvalCompat);
  EXPECT_EQ(len, 0u);
  EXPECT_EQ(ParseShebang("#!lua\nreturn 1", &flags, &len), "");
  EXPECT_EQ(flags, 0u);
  EXPECT_EQ(len, 5u);
  EXPECT_EQ(ParseShebang("#!lua flags=no-writes,allow-oom\nx", &flags, &len), "");
  EXPECT_EQ(flags, kScriptNoWrites | kScriptAllowOom);
  EXPECT_EQ(ParseShebang("#!lua flags=\nx", &flags, &len), "");
  EXPECT_EQ(flags, 0u);
  EXPECT_EQ(ParseShebang("#!lua", &flags, &len), "Invalid script shebang");
  EXPECT_EQ(ParseShebang("#!lua flags=No-Writes\n", &flags, &len),
            "Unexpected flag in script shebang: No-Writes");
  EXPECT_EQ(ParseShebang("#!lua flags=no-writes,\n", &flags, &len),
            "Unexpected flag in script shebang: ");
  EXPECT_EQ(ParseShebang("#!lua x=1\n", &flags, &len), "Unknown lua shebang option: x=1");
  EXPECT_EQ(ParseShebang("#!js\n", &flags, &len), "Unexpected engine in script shebang: #!js");
  EXPECT_EQ(ParseShebang("#!lua \"x\n", &flags, &len), "Invalid engine in script shebang");
}

TEST(ScriptFlagsTest, SplitArgs) {
  std::vector<std::string> words;
  ASSERT_TRUE(SplitArgs("  a \"b c\" 'd e'  \"\\x41\\n\" ", &words));
  EXPECT_EQ(words, (std::vector<std::string>{"a", "b c", "d e", "A\n"}));
  EXPECT_FALSE(SplitArgs("\"open", &words));
  EXPECT_FALSE(SplitArgs("\"a\"b", &words));
  ASSERT_TRUE(SplitArgs("", &words));
  EXPECT_TRUE(words.empty());
}

TEST(LuaFunctionsTest, CompileCollectsFunctionsAndFlags) {
  std::string err;
  auto lib = lua::Compile(
      "#!lua name=lib\n"
      "redis.register_function('b', function() return 1 end)\n"
      "redis.register_function{function_name='a', callback=function() return 2 end,\n"
      "  flags={'no-writes', 'ALLOW-OOM'}, description='d'}\n",
      &err);
  ASSERT_NE(lib, nullptr) << err;
  EXPECT_EQ(lib->name, "lib");
  ASSERT_EQ(lib->functions.size(), 2u);
  EXPECT_EQ(lib->functions[0].name, "a");  // sorted
  EXPECT_EQ(lib->functions[0].flags, kScriptNoWrites | kScriptAllowOom);
  EXPECT_EQ(lib->functions[0].description, "d");
  EXPECT_FALSE(lib->functions[1].description.has_value());
  lua::Release(*lib);

  EXPECT_EQ(lua::Compile("#!lua name=e\nlocal x = 1", &err), nullptr);
  EXPECT_EQ(err, "No functions registered");
  EXPECT_EQ(lua::Compile("#!lua name=e\nos.exit()", &err), nullptr);
  EXPECT_EQ(err,
            "Error registering functions: ERR user_function:2: Script attempted to access "
            "nonexistent global variable 'os'");
  EXPECT_EQ(lua::Compile("no metadata", &err), nullptr);
  EXPECT_EQ(err, "Missing library metadata");
}

class FunctionFamilyTest : public testing::CommandTest {};

constexpr const char* kLib =
    "#!lua name=mylib\n"
    "redis.register_function('get_or', function(keys, args)\n"
    "  return redis.call('get', keys[1]) or args[1]\n"
    "end)\n"
    "redis.register_function('put', function(keys, args)\n"
    "  return redis.call('set', keys[1], args[1])\n"
    "end)\n"
    "redis.register_function{function_name='peek', callback=function(keys)\n"
    "  return redis.call('get', keys[1])\n"
    "end, flags={'no-writes'}}\n";

TEST_F(FunctionFamilyTest, LoadCallReplaceDelete) {
  EXPECT_EQ(Run({"fcall", "get_or", "1", "k", "dflt"}), Err("ERR Function not found"));
  EXPECT_EQ(Run({"function", "load", kLib}), Bulk("mylib"));
  EXPECT_EQ(Run({"fcall", "get_or", "1", "k", "dflt"}), Bulk("dflt"));
  EXPECT_EQ(Run({"fcall", "put", "1", "k", "v"}), kOK);
  EXPECT_EQ(Run({"get", "k"}), Bulk("v"));
  EXPECT_EQ(Run({"fcall_ro", "peek", "1", "k"}), Bulk("v"));
  EXPECT_EQ(Run({"fcall_ro", "put", "1", "k", "v"}),
            Err("ERR Can not execute a script with write flag using *_ro command."));
  // Replaced by another connection: the compiled copy here is never used again.
  auto other = NewClient();
  EXPECT_EQ(other->Run({"function", "load", "replace",
                        "#!lua name=mylib\nredis.register_function('get_or', "
                        "function() return 'v2' end)"}),
            Bulk("mylib"));
  EXPECT_EQ(Run({"fcall", "get_or", "0"}), Bulk("v2"));
  EXPECT_EQ(Run({"fcall", "put", "1", "k", "v"}), Err("ERR Function not found"));
  EXPECT_EQ(other->Run({"function", "delete", "mylib"}), kOK);
  EXPECT_EQ(Run({"fcall", "get_or", "0"}), Err("ERR Function not found"));
  EXPECT_EQ(Run({"function", "delete", "mylib"}), Err("ERR Library not found"));
}

TEST_F(FunctionFamilyTest, DumpRestoreAndFlush) {
  EXPECT_EQ(Run({"function", "load", kLib}), Bulk("mylib"));
  std::string payload = testing::DecodeBulk(Run({"function", "dump"}));
  EXPECT_EQ(static_cast<uint8_t>(payload[0]), rdb::kOpcodeFunction2);
  EXPECT_EQ(Run({"function", "restore", payload}), Err("ERR Library mylib already exists"));
  EXPECT_EQ(Run({"function", "flush"}), kOK);
  EXPECT_EQ(Run({"fcall", "get_or", "0"}), Err("ERR Function not found"));
  EXPECT_EQ(Run({"function", "restore", payload}), kOK);
  EXPECT_EQ(Run({"fcall", "get_or", "1", "missing", "d"}), Bulk("d"));
  EXPECT_EQ(Run({"function", "restore", payload, "replace"}), kOK);
  EXPECT_EQ(Run({"function", "stats"}),
            "*4\r\n$14\r\nrunning_script\r\n$-1\r\n$7\r\nengines\r\n*2\r\n$3\r\nLUA\r\n*4\r\n"
            "$15\r\nlibraries_count\r\n:1\r\n$15\r\nfunctions_count\r\n:3\r\n");
}

TEST_F(FunctionFamilyTest, InsideMulti) {
  EXPECT_EQ(Run({"function", "load", kLib}), Bulk("mylib"));
  EXPECT_EQ(Run({"multi"}), "+OK\r\n");
  EXPECT_EQ(Run({"fcall", "put", "1", "k", "v1"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"fcall_ro", "peek", "1", "k"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"exec"}), "*2\r\n+OK\r\n$2\r\nv1\r\n");
  EXPECT_EQ(Run({"eval", "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])", "1", "k"}),
            Bulk("v1"));
  EXPECT_EQ(Run({"fcall", "get_or", "1", "k", "x"}), Bulk("v1"));
  EXPECT_EQ(Run({"fcall", "get_or", "x"}), Err("ERR Bad number of keys provided"));
}

}  // namespace
}  // namespace petacore::commands
