#include "replication/compare_merge.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace petacore::replication {

bool MergeAbsentCompares(CommitRequest* req, size_t max_compares) {
  const size_t own = req->compares.size() + req->range_compares.size();
  if (own <= max_compares || req->snapshot_revision <= 0) return false;
  std::vector<std::string> absent;
  std::vector<KeyRevision> present;
  for (auto& c : req->compares) {
    if (c.mod_revision == 0) {
      absent.push_back(std::move(c.key));
    } else {
      present.push_back(std::move(c));
    }
  }
  const size_t fixed = present.size() + req->range_compares.size();
  if (absent.empty() || fixed >= max_compares) {  // no room for one range: put back
    size_t a = 0, p = 0;
    for (auto& c : req->compares) {
      if (c.mod_revision == 0) {
        c.key = std::move(absent[a++]);
      } else {
        c = std::move(present[p++]);
      }
    }
    return false;
  }
  std::sort(absent.begin(), absent.end());
  const size_t ranges = std::min(max_compares - fixed, absent.size());
  req->compares = std::move(present);
  // `ranges` runs of consecutive absent keys, as even as possible; each range ends just past
  // its last key (key + 0x00 is the key's immediate successor).
  for (size_t i = 0; i < ranges; ++i) {
    const size_t first = i * absent.size() / ranges;
    const size_t last = (i + 1) * absent.size() / ranges - 1;
    req->range_compares.push_back(
        {std::move(absent[first]), absent[last] + '\0', req->snapshot_revision});
  }
  return true;
}

}  // namespace petacore::replication
