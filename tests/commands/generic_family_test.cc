// Generic key commands (RENAME, COPY, MOVE, SWAPDB, SCAN, OBJECT, RANDOMKEY, KEYS, DBSIZE)
// through the Driver, checked against Redis 7.0's exact replies. Collections are built by
// writing their store keys directly (the collection families are tested on their own), so the
// whole-range behaviour is covered whatever families exist.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "keyspace/encoding.h"
#include "mvcc/store.h"
#include "tests/commands/test_util.h"

namespace petacore::testing {
namespace {

using keyspace::EncodeKey;
using keyspace::EncodeValue;
using keyspace::SubKey;
using keyspace::ValueType;

class GenericFamilyTest : public CommandTest {
 protected:
  /// Writes a hash straight into the store: the meta key and one 'f' subkey per field.
  void PutHash(int db, const std::string& key, const std::vector<std::string>& fields) {
    std::string meta = EncodeKey(db, key);
    std::vector<std::pair<std::string, std::string>> kvs{{meta, EncodeValue(ValueType::kHash, "")}};
    for (const auto& f : fields) kvs.emplace_back(SubKey(meta, 'f', f), "v-" + f);
    Apply(kvs);
  }

  void Apply(const std::vector<std::pair<std::string, std::string>>& kvs) {
    std::vector<mvcc::Mutation> batch;
    for (const auto& [k, v] : kvs) batch.push_back({mvcc::Mutation::Kind::kPut, k, v});
    auto& store = server_.state().store;
    store.Apply(store.applied_revision() + 1, batch);
  }

  /// Every store key of [meta(db, key), KeyEnd) as (suffix after the meta key, value).
  std::vector<std::pair<std::string, std::string>> Range(int db, const std::string& key) {
    std::string meta = EncodeKey(db, key);
    std::vector<std::pair<std::string, std::string>> out;
    auto snap = server_.state().store.Read();
    snap.Range(meta, keyspace::KeyEnd(meta), 0, [&](const mvcc::KeyValue& kv) {
      out.emplace_back(kv.key.substr(meta.size()), kv.value);
      return true;
    });
    return out;
  }

  /// Runs SCAN to the end with `opts`; returns every key in the order returned.
  std::vector<std::string> ScanAll(std::vector<std::string> opts) {
    std::vector<std::string> keys;
    std::string cursor = "0";
    for (int calls = 0; calls < 1000; ++calls) {
      std::vector<std::string> args{"scan", cursor};
      args.insert(args.end(), opts.begin(), opts.end());
      std::string reply = Run(args);
      // *2\r\n$n\r\n<cursor>\r\n*m\r\n($len\r\n<key>\r\n)*
      size_t p = reply.find("\r\n", 4);
      p = reply.find("\r\n", p + 2);
      size_t c_end = p;
      size_t c_start = reply.rfind('\n', c_end - 1) + 1;
      cursor = reply.substr(c_start, c_end - c_start);
      p += 2;
      size_t n_end = reply.find("\r\n", p);
      int n = std::stoi(reply.substr(p + 1, n_end - p - 1));
      p = n_end + 2;
      for (int i = 0; i < n; ++i) {
        size_t len_end = reply.find("\r\n", p);
        size_t len = std::stoul(reply.substr(p + 1, len_end - p - 1));
        keys.push_back(reply.substr(len_end + 2, len));
        p = len_end + 2 + len + 2;
      }
      if (cursor == "0") return keys;
    }
    ADD_FAILURE() << "SCAN did not end";
    return keys;
  }
};

TEST_F(GenericFamilyTest, RenameStrings) {
  EXPECT_EQ(Run({"rename", "a", "b"}), Err("ERR no such key"));
  EXPECT_EQ(Run({"renamenx", "a", "b"}), Err("ERR no such key"));
  EXPECT_EQ(Run({"set", "a", "1"}), kOK);
  EXPECT_EQ(Run({"rename", "a", "a"}), kOK);
  EXPECT_EQ(Run({"renamenx", "a", "a"}), Int(0));
  EXPECT_EQ(Run({"rename", "a", "b"}), kOK);
  EXPECT_EQ(Run({"exists", "a", "b"}), Int(1));
  EXPECT_EQ(Run({"get", "b"}), Bulk("1"));
  EXPECT_EQ(Run({"set", "c", "3"}), kOK);
  EXPECT_EQ(Run({"renamenx", "b", "c"}), Int(0));
  EXPECT_EQ(Run({"renamenx", "b", "d"}), Int(1));
  EXPECT_EQ(Run({"rename", "d", "c"}), kOK);
  EXPECT_EQ(Run({"get", "c"}), Bulk("1"));
  EXPECT_EQ(Run({"dbsize"}), Int(1));
}

TEST_F(GenericFamilyTest, RenameMovesEverySubkey) {
  PutHash(0, "h", {"f1", "f2", "f3"});
  PutHash(0, "old", {"x"});
  EXPECT_EQ(Run({"set", "s", "str"}), kOK);
  auto before = Range(0, "h");
  ASSERT_EQ(before.size(), 4u);
  // Over an existing hash: the old hash's fields must not survive under the new name.
  EXPECT_EQ(Run({"rename", "h", "old"}), kOK);
  EXPECT_EQ(Range(0, "h").size(), 0u);
  EXPECT_EQ(Range(0, "old"), before);
  EXPECT_EQ(Run({"type", "old"}), Simple("hash"));
  // A string over a hash: no subkey left behind.
  EXPECT_EQ(Run({"rename", "s", "old"}), kOK);
  EXPECT_EQ(Range(0, "old").size(), 1u);
  EXPECT_EQ(Run({"type", "old"}), Simple("string"));
  EXPECT_EQ(Run({"dbsize"}), Int(1));
}

TEST_F(GenericFamilyTest, CopyAndMove) {
  PutHash(0, "h", {"a", "b"});
  EXPECT_EQ(Run({"copy", "h", "h"}), Err("ERR source and destination objects are the same"));
  EXPECT_EQ(Run({"copy", "h", "h", "db", "x"}), Err("ERR value is not an integer or out of range"));
  EXPECT_EQ(Run({"copy", "h", "h", "db", "16"}), Err("ERR DB index is out of range"));
  EXPECT_EQ(Run({"copy", "h", "h", "bogus"}), Err("ERR syntax error"));
  EXPECT_EQ(Run({"copy", "nokey", "x"}), Int(0));
  EXPECT_EQ(Run({"copy", "h", "h", "db", "2"}), Int(1));
  EXPECT_EQ(Range(2, "h"), Range(0, "h"));
  EXPECT_EQ(Run({"set", "s", "v"}), kOK);
  EXPECT_EQ(Run({"copy", "s", "h"}), Int(0));
  EXPECT_EQ(Run({"copy", "s", "h", "replace"}), Int(1));
  EXPECT_EQ(Range(0, "h").size(), 1u);
  EXPECT_EQ(Run({"get", "h"}), Bulk("v"));

  EXPECT_EQ(Run({"move", "s", "0"}), Err("ERR source and destination objects are the same"));
  EXPECT_EQ(Run({"move", "s", "99999999999"}),
            Err("ERR value is out of range, value must between -2147483648 and 2147483647"));
  EXPECT_EQ(Run({"move", "nokey", "1"}), Int(0));
  EXPECT_EQ(Run({"move", "h", "2"}), Int(0));  // db 2 holds "h"
  auto hash = Range(2, "h");
  EXPECT_EQ(Run({"select", "2"}), kOK);
  EXPECT_EQ(Run({"move", "h", "3"}), Int(1));
  EXPECT_EQ(Range(2, "h").size(), 0u);
  EXPECT_EQ(Range(3, "h"), hash);
}

TEST_F(GenericFamilyTest, SwapDb) {
  EXPECT_EQ(Run({"swapdb", "x", "1"}), Err("ERR invalid first DB index"));
  EXPECT_EQ(Run({"swapdb", "0", "x"}), Err("ERR invalid second DB index"));
  EXPECT_EQ(Run({"swapdb", "0", "16"}), Err("ERR DB index is out of range"));
  EXPECT_EQ(Run({"set", "a", "0"}), kOK);
  PutHash(0, "h", {"f"});
  PutHash(1, "g", {"x", "y"});
  EXPECT_EQ(Run({"swapdb", "0", "0"}), kOK);
  EXPECT_EQ(Run({"swapdb", "0", "1"}), kOK);
  EXPECT_EQ(Run({"dbsize"}), Int(1));
  EXPECT_EQ(Range(0, "g").size(), 3u);
  EXPECT_EQ(Range(1, "h").size(), 2u);
  EXPECT_EQ(Run({"select", "1"}), kOK);
  EXPECT_EQ(Run({"get", "a"}), Bulk("0"));
  EXPECT_EQ(Run({"dbsize"}), Int(2));
}

TEST_F(GenericFamilyTest, KeysAndDbSizeSkipSubkeys) {
  PutHash(0, "user:1", {"name", "age"});
  PutHash(0, "user:2", {"name"});
  EXPECT_EQ(Run({"set", "user", "x"}), kOK);
  EXPECT_EQ(Run({"set", "zz", "x"}), kOK);
  EXPECT_EQ(Run({"dbsize"}), Int(4));
  EXPECT_EQ(Run({"keys", "user:*"}), Array({Bulk("user:1"), Bulk("user:2")}));
  EXPECT_EQ(Run({"keys", "user*"}), Array({Bulk("user"), Bulk("user:1"), Bulk("user:2")}));
  EXPECT_EQ(Run({"keys", "*"}),
            Array({Bulk("user"), Bulk("user:1"), Bulk("user:2"), Bulk("zz")}));
  EXPECT_EQ(Run({"keys", "z\\z"}), Array({Bulk("zz")}));
  std::string info = DecodeBulk(Run({"info", "keyspace"}));
  EXPECT_NE(info.find("db0:keys=4,"), std::string::npos) << info;
}

TEST_F(GenericFamilyTest, ScanFiltersAndCursors) {
  for (int i = 0; i < 30; ++i) {
    ASSERT_EQ(Run({"set", "k" + std::to_string(i), "v"}), kOK);
  }
  PutHash(0, "k-hash", {"a", "b", "c"});
  auto all = ScanAll({"count", "7"});
  EXPECT_EQ(all.size(), 31u);
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 31u);
  EXPECT_EQ(ScanAll({"type", "hash", "count", "3"}), std::vector<std::string>{"k-hash"});
  EXPECT_EQ(ScanAll({"match", "k2*"}).size(), 11u);  // k2, k20..k29
  EXPECT_EQ(ScanAll({"type", "nosuchtype"}).size(), 0u);
  EXPECT_EQ(Run({"scan", "0", "count", "0"}), Err("ERR syntax error"));
  EXPECT_EQ(Run({"scan", "x"}), Err("ERR invalid cursor"));
  EXPECT_EQ(Run({"scan", "123456789"}), Array({Bulk("0"), Array({})}));  // unknown cursor
}

TEST_F(GenericFamilyTest, ObjectAndRandomKey) {
  EXPECT_EQ(Run({"randomkey"}), kNil);
  EXPECT_EQ(Run({"set", "i", "123"}), kOK);
  EXPECT_EQ(Run({"set", "e", "-0"}), kOK);
  EXPECT_EQ(Run({"set", "r", std::string(45, 'x')}), kOK);
  EXPECT_EQ(Run({"object", "encoding", "i"}), Bulk("int"));
  EXPECT_EQ(Run({"object", "ENCODING", "e"}), Bulk("embstr"));
  EXPECT_EQ(Run({"object", "encoding", "r"}), Bulk("raw"));
  EXPECT_EQ(Run({"object", "encoding", "nokey"}), kNil);
  EXPECT_EQ(Run({"object", "refcount", "i"}), Int(2147483647));
  EXPECT_EQ(Run({"object", "refcount", "r"}), Int(1));
  EXPECT_EQ(Run({"object", "idletime", "r"}), Int(0));
  EXPECT_EQ(Run({"object", "foo", "r"}), Err("ERR unknown subcommand 'foo'. Try OBJECT HELP."));
  EXPECT_EQ(Run({"object", "encoding"}),
            Err("ERR wrong number of arguments for 'object|encoding' command"));
  PutHash(0, "small", {"a"});
  std::vector<std::string> many;
  for (int i = 0; i < 513; ++i) many.push_back("f" + std::to_string(i));  // > 512 entries
  PutHash(0, "big", many);
  EXPECT_EQ(Run({"object", "encoding", "small"}), Bulk("listpack"));
  EXPECT_EQ(Run({"object", "encoding", "big"}), Bulk("hashtable"));
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) seen.insert(DecodeBulk(Run({"randomkey"})));
  EXPECT_EQ(seen, (std::set<std::string>{"i", "e", "r", "small", "big"}));
}

TEST_F(GenericFamilyTest, RandomKeyLargeDb) {
  // Past the exact-draw sample: the trie descent must still return only existing keys, and
  // more than one of them.
  std::vector<std::string> mset{"mset"};
  for (int i = 0; i < 600; ++i) {
    mset.push_back("key:" + std::to_string(i));
    mset.push_back("v");
  }
  ASSERT_EQ(Run(mset), kOK);
  PutHash(0, "key:h", {"a", "b"});
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string k = DecodeBulk(Run({"randomkey"}));
    EXPECT_EQ(Run({"exists", k}), Int(1)) << k;
    seen.insert(k);
  }
  EXPECT_GT(seen.size(), 20u);
}

}  // namespace
}  // namespace petacore::testing
