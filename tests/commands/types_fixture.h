// tests/commands/types_fixture.h — a fixture for the keyspace/types unit tests: a real
// mvcc::Store, each step one TxnView over a fresh snapshot whose writes are committed through a
// real LocalCommitter (no Driver, no CommandContext), and helpers to look at the stored bytes.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>

#include "keyspace/encoding.h"
#include "keyspace/txn_view.h"
#include "mvcc/store.h"
#include "replication/local_committer.h"

namespace petacore::testing {

class TypesTest : public ::testing::Test {
 protected:
  /// Runs fn(view) on a view of the current store and commits what it wrote (serializable).
  /// Returns fn's result.
  template <class F>
  auto Step(F fn) {
    auto snap = store_.Read();
    keyspace::TxnView view(snap);
    if constexpr (std::is_void_v<decltype(fn(view))>) {
      fn(view);
      Commit(view);
    } else {
      auto result = fn(view);
      Commit(view);
      return result;
    }
  }

  /// Every store key and value, in key order.
  std::map<std::string, std::string> Contents() {
    std::map<std::string, std::string> out;
    auto snap = store_.Read();
    snap.Range("", "", 0, [&](const mvcc::KeyValue& kv) {
      out.emplace(kv.key, kv.value);
      return true;
    });
    return out;
  }

  /// The number of store keys in the range of the Redis key at `meta` (meta key included).
  size_t KeysOf(const std::string& meta) {
    size_t n = 0;
    for (const auto& [k, v] : Contents()) {
      if (k >= meta && k < keyspace::KeyEnd(meta)) ++n;
    }
    return n;
  }

  /// The stored meta payload of `meta` ("" when absent).
  std::string Payload(const std::string& meta) {
    auto all = Contents();
    auto it = all.find(meta);
    if (it == all.end()) return "";
    auto v = keyspace::DecodeValue(it->second);
    return v ? std::string(v->payload) : "";
  }

  /// Writes raw bytes (bypassing the type layer), as an older version might have.
  void PutRaw(const std::string& key, const std::string& value) {
    Step([&](keyspace::TxnView& v) { v.Put(key, value); });
  }

  mvcc::Store store_;

 private:
  void Commit(keyspace::TxnView& view) {
    if (!view.has_writes()) return;
    replication::LocalCommitter committer(store_);
    bool committed = false;
    committer.Commit(view.BuildCommit(keyspace::Isolation::kSerializable),
                     [&](replication::CommitResult r) {
                       committed = r.status == replication::CommitResult::Status::kCommitted;
                     });
    ASSERT_TRUE(committed);
  }
};

}  // namespace petacore::testing
