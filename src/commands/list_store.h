// src/commands/list_store.h — one Redis list as a handler edits it: the head/tail meta and the
// element subkeys (meta + 'i' + SortableInt(index) -> element, live indexes head..tail-1).
//
// Every change to a list rewrites its meta key (even LSET, which keeps head and tail), so the
// meta key's mod_revision versions the whole list: a reader that scans elements (not recorded
// as reads) is still guarded by the recorded read of the meta key, and any two writers of one
// list conflict on it — which is what makes "exactly one client gets each element" hold across
// nodes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "commands/key_access.h"
#include "keyspace/encoding.h"

namespace petacore::commands {

inline constexpr char kListTag = 'i';

enum class ListEnd { kHead, kTail };

/// A list key loaded for reading or editing. Edits are buffered in the TxnView at once; the
/// meta key is written (or the key deleted when empty) by Flush().
class ListHandle {
 public:
  /// Reads `user_key` (recorded read of the meta key). Check wrong_type() first.
  ListHandle(CommandContext& ctx, std::string_view user_key) : ctx_(ctx) {
    KeyRead r = ReadKey(ctx, user_key, keyspace::ValueType::kList);
    meta_ = std::move(r.meta_key);
    wrong_type_ = r.wrong_type();
    exists_ = r.ok();
    if (exists_ && r.value.payload.size() == 16) {
      head_ = keyspace::DecodeSortableInt(r.value.payload.substr(0, 8));
      tail_ = keyspace::DecodeSortableInt(r.value.payload.substr(8, 8));
    }
  }

  bool wrong_type() const { return wrong_type_; }
  bool exists() const { return exists_; }
  const std::string& meta_key() const { return meta_; }
  int64_t head() const { return head_; }
  int64_t tail() const { return tail_; }
  int64_t size() const { return tail_ - head_; }

  std::string SubKeyAt(int64_t abs_index) const {
    return keyspace::SubKey(meta_, kListTag, keyspace::SortableInt(abs_index));
  }

  /// Elements at list positions [from, to) (0-based, clamped by the caller), in order.
  std::vector<std::string> Read(int64_t from, int64_t to) const {
    std::vector<std::string> out;
    if (from >= to) return out;
    out.reserve(static_cast<size_t>(to - from));
    ctx_.txn.Range(SubKeyAt(head_ + from), SubKeyAt(head_ + to),
                   [&](std::string_view, std::string_view value) {
                     out.emplace_back(value);
                     return true;
                   });
    return out;
  }
  std::vector<std::string> ReadAll() const { return Read(0, size()); }

  /// The element at position `pos` (0-based, in range), read through the view.
  std::string At(int64_t pos) const {
    auto v = ctx_.txn.Get(SubKeyAt(head_ + pos));
    return v ? std::string(*v) : std::string();
  }

  void Push(ListEnd end, std::string_view element) {
    int64_t index = end == ListEnd::kHead ? --head_ : tail_++;
    ctx_.txn.Put(SubKeyAt(index), std::string(element));
    dirty_ = true;
  }

  /// Removes up to `count` elements from `end`; returns them in pop order.
  std::vector<std::string> Pop(ListEnd end, int64_t count) {
    count = std::min(count, size());
    if (count <= 0) return {};
    std::vector<std::string> out;
    if (end == ListEnd::kHead) {
      out = Read(0, count);
      ctx_.txn.DeleteRange(SubKeyAt(head_), SubKeyAt(head_ + count));
      head_ += count;
    } else {
      out = Read(size() - count, size());
      std::reverse(out.begin(), out.end());
      ctx_.txn.DeleteRange(SubKeyAt(tail_ - count), SubKeyAt(tail_));
      tail_ -= count;
    }
    dirty_ = true;
    return out;
  }

  void Set(int64_t pos, std::string_view element) {
    ctx_.txn.Put(SubKeyAt(head_ + pos), std::string(element));
    dirty_ = true;
  }

  /// Keeps positions [keep_from, keep_to) only, deleting the rest (no element is read).
  void Trim(int64_t keep_from, int64_t keep_to) {
    if (keep_from >= keep_to) {
      keep_from = keep_to = 0;
      ctx_.txn.DeleteRange(SubKeyAt(head_), SubKeyAt(tail_));
      tail_ = head_;
    } else {
      if (keep_from > 0) ctx_.txn.DeleteRange(SubKeyAt(head_), SubKeyAt(head_ + keep_from));
      if (keep_to < size()) ctx_.txn.DeleteRange(SubKeyAt(head_ + keep_to), SubKeyAt(tail_));
      tail_ = head_ + keep_to;
      head_ += keep_from;
    }
    dirty_ = true;
  }

  /// Replaces the whole list `old` (its current contents) by `updated`, choosing to keep
  /// either the head or the tail index fixed, whichever rewrites fewer subkeys: an insert or
  /// removal near one end then touches only the elements between it and that end.
  void Replace(const std::vector<std::string>& old, const std::vector<std::string>& updated) {
    int64_t m = static_cast<int64_t>(updated.size());
    int64_t left = head_, right = tail_ - m;
    int64_t new_head = Cost(old, updated, left) <= Cost(old, updated, right) ? left : right;
    for (int64_t j = 0; j < m; ++j) {
      if (!Same(old, new_head + j, updated[j])) ctx_.txn.Put(SubKeyAt(new_head + j), updated[j]);
    }
    if (new_head > head_) ctx_.txn.DeleteRange(SubKeyAt(head_), SubKeyAt(new_head));
    if (new_head + m < tail_) ctx_.txn.DeleteRange(SubKeyAt(new_head + m), SubKeyAt(tail_));
    head_ = new_head;
    tail_ = new_head + m;
    dirty_ = true;
  }

  /// Writes the meta key after edits, or deletes the key when the list became empty (Redis
  /// never keeps an empty list).
  void Flush() {
    if (!dirty_) return;
    dirty_ = false;
    if (size() == 0) {
      if (exists_) DeleteKey(ctx_, meta_);
      exists_ = false;
      head_ = tail_ = 0;
      return;
    }
    std::string payload = keyspace::SortableInt(head_) + keyspace::SortableInt(tail_);
    WriteMeta(ctx_, meta_, keyspace::ValueType::kList, payload);
    exists_ = true;
  }

 private:
  bool Same(const std::vector<std::string>& old, int64_t abs_index, const std::string& v) const {
    int64_t i = abs_index - head_;
    return i >= 0 && i < static_cast<int64_t>(old.size()) && old[i] == v;
  }
  int64_t Cost(const std::vector<std::string>& old, const std::vector<std::string>& updated,
               int64_t new_head) const {
    int64_t cost = 0;
    for (size_t j = 0; j < updated.size(); ++j) {
      cost += Same(old, new_head + static_cast<int64_t>(j), updated[j]) ? 0 : 1;
    }
    return cost;
  }

  CommandContext& ctx_;
  std::string meta_;
  bool wrong_type_ = false;
  bool exists_ = false;
  bool dirty_ = false;
  int64_t head_ = 0, tail_ = 0;
};

}  // namespace petacore::commands
