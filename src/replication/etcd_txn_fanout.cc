#include "replication/etcd_txn_fanout.h"

#include <algorithm>
#include <memory>
#include <utility>

namespace petacore::replication {
namespace {

constexpr uint64_t kSaturated = uint64_t{1} << 40;
// Budgets up to this are tabled; above it the capacity is saturated anyway (512 × 512 at
// depth 1 already exceeds any request etcd's size limit lets through many times over).
constexpr size_t kTabled = 1024;

uint64_t Mul(uint64_t a, uint64_t b) {
  return (a != 0 && b > kSaturated / a) ? kSaturated : std::min(a * b, kSaturated);
}

/// cap[b]: the writes a list holds in a Txn without compares whose budget is b:
/// max(b flat, k nested Txns of budget b − k each).
const std::vector<uint64_t>& CapacityTable() {
  static const std::vector<uint64_t> table = [] {
    std::vector<uint64_t> cap(kTabled + 1, 0);
    for (size_t b = 1; b <= kTabled; ++b) {
      uint64_t best = b;
      for (size_t k = 2; k < b && best < kSaturated; ++k) best = std::max(best, Mul(k, cap[b - k]));
      cap[b] = best;
    }
    return cap;
  }();
  return table;
}

uint64_t Capacity(size_t budget) {
  return budget > kTabled ? std::max<uint64_t>(budget, CapacityTable()[kTabled])
                          : CapacityTable()[budget];
}

/// The fewest nested Txns (≥ 2) a Txn with `budget` and `own` needs for `n` writes; 0 when
/// no count fits.
size_t Fan(size_t n, size_t budget, size_t own) {
  for (size_t k = 2; k <= budget; ++k) {
    const size_t opc = std::max(own, k);
    if (opc >= budget) break;
    if (Mul(k, Capacity(budget - opc)) >= n) return k;
  }
  return 0;
}

}  // namespace

uint64_t FanOutCapacity(size_t budget, size_t own) {
  if (own > budget) return 0;
  uint64_t best = budget;  // flat
  // k nested Txns below the compares: max(own, k) + each child's budget ≤ budget.
  for (size_t k = 2; k < budget && best < kSaturated; ++k) {
    const size_t opc = std::max(own, k);
    if (opc >= budget) break;
    best = std::max(best, Mul(k, Capacity(budget - opc)));
  }
  return best;
}

void AppendFannedOut(std::vector<etcdlink::Op> ops, size_t budget, size_t own,
                     std::vector<etcdlink::Op>* list) {
  const size_t n = ops.size();
  const size_t k = n <= budget ? 0 : Fan(n, budget, own);
  if (k == 0) {  // fits flat, or beyond capacity (the precondition): etcd then refuses it
    for (auto& op : ops) list->push_back(std::move(op));
    return;
  }
  const size_t child_budget = budget > std::max(own, k) ? budget - std::max(own, k) : 0;
  size_t at = 0;
  for (size_t i = 0; i < k && at < n; ++i) {
    const size_t take = (n - at + (k - i) - 1) / (k - i);  // spread evenly, in order
    std::vector<etcdlink::Op> part(std::make_move_iterator(ops.begin() + at),
                                   std::make_move_iterator(ops.begin() + at + take));
    at += take;
    auto child = std::make_shared<etcdlink::TxnRequest>();
    AppendFannedOut(std::move(part), child_budget, 0, &child->success);
    list->push_back(etcdlink::Op::Nested(std::move(child)));
  }
}

namespace {

std::shared_ptr<etcdlink::TxnRequest> CheckSubtree(
    std::vector<etcdlink::Compare> compares, size_t budget,
    const std::function<etcdlink::Op(size_t)>& on_failure, size_t* leaves) {
  auto txn = std::make_shared<etcdlink::TxnRequest>();
  const size_t n = compares.size();
  const size_t k = n <= budget ? 0 : Fan(n, budget, 0);
  if (k == 0) {  // a leaf (or beyond capacity: etcd then refuses it as too many ops)
    txn->compare = std::move(compares);
    txn->failure.push_back(on_failure((*leaves)++));
    return txn;
  }
  const size_t child_budget = budget > k ? budget - k : 0;
  size_t at = 0;
  for (size_t i = 0; i < k && at < n; ++i) {
    const size_t take = (n - at + (k - i) - 1) / (k - i);
    std::vector<etcdlink::Compare> part(std::make_move_iterator(compares.begin() + at),
                                        std::make_move_iterator(compares.begin() + at + take));
    at += take;
    txn->success.push_back(etcdlink::Op::Nested(
        CheckSubtree(std::move(part), child_budget, on_failure, leaves)));
  }
  return txn;
}

}  // namespace

std::shared_ptr<etcdlink::TxnRequest> CheckTree(
    std::vector<etcdlink::Compare> compares, size_t budget,
    const std::function<etcdlink::Op(size_t leaf)>& on_failure) {
  size_t leaves = 0;
  return CheckSubtree(std::move(compares), budget, on_failure, &leaves);
}

}  // namespace petacore::replication
