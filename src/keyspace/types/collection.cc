#include "keyspace/types/collection.h"

#include <algorithm>
#include <charconv>
#include <random>
#include <unordered_set>

namespace petacore::keyspace::types {
namespace {

std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

/// `count` distinct positions in [0, size), ascending (Floyd's sampling); count <= size.
std::vector<int64_t> DistinctPositions(int64_t size, int64_t count) {
  std::unordered_set<int64_t> chosen;
  chosen.reserve(static_cast<size_t>(count) * 2);
  for (int64_t j = size - count; j < size; ++j) {
    int64_t t = std::uniform_int_distribution<int64_t>(0, j)(Rng());
    if (!chosen.insert(t).second) chosen.insert(j);
  }
  std::vector<int64_t> out(chosen.begin(), chosen.end());
  std::sort(out.begin(), out.end());
  return out;
}

/// The elements (and values) at ascending `positions` of the collection, one pass.
std::vector<std::pair<std::string, std::string>> AtPositions(
    TxnView& txn, std::string_view base, char tag, const std::vector<int64_t>& positions) {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(positions.size());
  if (positions.empty()) return out;
  int64_t index = 0;
  size_t next = 0;
  ScanSubkeys(txn, base, tag, [&](std::string_view element, std::string_view value) {
    while (next < positions.size() && positions[next] == index) {
      out.emplace_back(element, value);
      ++next;
    }
    ++index;
    return next < positions.size();
  });
  return out;
}

}  // namespace

std::optional<int64_t> ParseCount(std::string_view payload) {
  int64_t n = 0;
  auto [end, ec] = std::from_chars(payload.data(), payload.data() + payload.size(), n);
  if (payload.empty() || ec != std::errc() || end != payload.data() + payload.size() || n < 0) {
    return std::nullopt;
  }
  return n;
}

int64_t Count(TxnView& txn, const KeyRead& r, char tag) {
  if (!r.ok()) return 0;
  if (auto n = ParseCount(r.value.payload)) return *n;
  int64_t n = 0;  // no count stored (an older sorted set): count it
  ScanSubkeys(txn, r.elements, tag, [&](std::string_view, std::string_view) {
    ++n;
    return true;
  });
  return n;
}

void SetCount(TxnView& txn, const KeyRead& r, ValueType type, int64_t n) {
  if (n <= 0) {
    txn.DeleteRange(r.meta_key, KeyEnd(r.meta_key));
    return;
  }
  int64_t expire_at = 0;
  std::string incarnation;  // a collection with one keeps it (keyspace/incarnation.h)
  if (r.ok()) {
    if (auto raw = txn.Get(r.meta_key)) {
      auto v = DecodeValue(*raw);
      if (v && v->type == type) {
        expire_at = v->expire_at_ms;
        incarnation = v->incarnation;
      }
    }
  }
  txn.Put(r.meta_key, EncodeValue(type, std::to_string(n), expire_at, incarnation));
}

std::vector<std::pair<std::string, std::string>> AllElements(TxnView& txn,
                                                             std::string_view base, char tag) {
  std::vector<std::pair<std::string, std::string>> out;
  ScanSubkeys(txn, base, tag, [&](std::string_view element, std::string_view value) {
    out.emplace_back(element, value);
    return true;
  });
  return out;
}

std::vector<std::pair<std::string, std::string>> RandomElements(TxnView& txn,
                                                                std::string_view base, char tag,
                                                                int64_t size, int64_t count) {
  std::vector<std::pair<std::string, std::string>> out;
  if (count < 0) {
    auto all = AllElements(txn, base, tag);
    if (all.empty()) return out;
    uint64_t n = 0 - static_cast<uint64_t>(count);
    std::uniform_int_distribution<size_t> pick(0, all.size() - 1);
    out.reserve(std::min<uint64_t>(n, 1 << 16));
    for (uint64_t i = 0; i < n; ++i) out.push_back(all[pick(Rng())]);
    return out;
  }
  if (count >= size) {
    out = AllElements(txn, base, tag);
  } else {
    out = AtPositions(txn, base, tag, DistinctPositions(size, count));
  }
  std::shuffle(out.begin(), out.end(), Rng());
  return out;
}

std::pair<std::string, std::string> RandomElement(TxnView& txn, std::string_view base, char tag,
                                                  int64_t size) {
  int64_t at = std::uniform_int_distribution<int64_t>(0, std::max<int64_t>(size, 1) - 1)(Rng());
  std::pair<std::string, std::string> out;
  int64_t index = 0;
  ScanSubkeys(txn, base, tag, [&](std::string_view element, std::string_view value) {
    out = {std::string(element), std::string(value)};  // the last one if the count is off
    return index++ < at;
  });
  return out;
}

}  // namespace petacore::keyspace::types
