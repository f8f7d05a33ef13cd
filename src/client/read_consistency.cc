// read_consistency.cc — parsing a read consistency name (--read-consistency, PETACORE
// READCONSISTENCY).
#include "client/read_consistency.h"

#include <algorithm>
#include <cctype>

namespace petacore::client {

std::optional<ReadConsistency> ParseReadConsistency(std::string_view s) {
  auto is = [s](std::string_view name) {
    return s.size() == name.size() &&
           std::equal(s.begin(), s.end(), name.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) == b;
           });
  };
  if (is("local")) return ReadConsistency::kLocal;
  if (is("linearizable")) return ReadConsistency::kLinearizable;
  return std::nullopt;
}

}  // namespace petacore::client
