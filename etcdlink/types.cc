// types.cc — helpers on the plain etcd mirror types.
#include "etcdlink/types.h"

namespace petacore::etcdlink {

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  // Bytes of 0xFF cannot be incremented without carrying, and a carry past them would
  // change the prefix itself; dropping them yields the smallest key above every extension.
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xFF) end.pop_back();
  if (end.empty()) return std::string(1, '\0');  // no upper bound, as etcd spells it
  end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

}  // namespace petacore::etcdlink
