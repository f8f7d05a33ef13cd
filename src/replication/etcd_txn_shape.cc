#include "replication/etcd_txn_shape.h"

#include <algorithm>
#include <string>
#include <string_view>

namespace petacore::replication {

void CutRangeDeletesAroundKeys(std::vector<WriteOp>* writes) {
  std::vector<std::string_view> keys;  // the single-key ops' keys, sorted
  bool has_range = false;
  for (const auto& w : *writes) {
    if (w.kind == WriteOp::Kind::kDeleteRange) {
      has_range = true;
    } else {
      keys.push_back(w.key);
    }
  }
  if (!has_range || keys.empty()) return;
  std::sort(keys.begin(), keys.end());

  std::vector<WriteOp> shaped;
  shaped.reserve(writes->size() + keys.size());
  // The pieces are built from copies: `keys` views the single-key ops of *writes, which are
  // moved into `shaped` only after every range has been cut.
  for (auto& w : *writes) {
    if (w.kind != WriteOp::Kind::kDeleteRange) continue;
    const bool unbounded = w.range_end.empty();
    auto it = std::lower_bound(keys.begin(), keys.end(), std::string_view(w.key));
    std::string start = w.key;
    for (; it != keys.end() && (unbounded || *it < w.range_end); ++it) {
      if (start < *it) {
        shaped.push_back({WriteOp::Kind::kDeleteRange, start, {}, std::string(*it)});
      }
      start = std::string(*it);
      start.push_back('\0');  // the first key after *it
    }
    if (unbounded || start < w.range_end) {
      shaped.push_back({WriteOp::Kind::kDeleteRange, std::move(start), {}, w.range_end});
    }
  }
  for (auto& w : *writes) {
    if (w.kind != WriteOp::Kind::kDeleteRange) shaped.push_back(std::move(w));
  }
  writes->swap(shaped);
}

}  // namespace petacore::replication
