#include "commands/context.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

#include "keyspace/encoding.h"

namespace petacore::commands {

std::string CommandContext::Key(std::string_view user_key) const {
  return keyspace::EncodeKey(session.db, user_key);
}

void CommandContext::Notify(int type, std::string_view event, std::string_view user_key) const {
  NotifyIn(session.db, type, event, user_key);
}

void CommandContext::NotifyIn(int db, int type, std::string_view event,
                              std::string_view user_key) const {
  int flags = server.Options().notify_keyspace_flags;
  if (flags == 0) return;  // the common case: one relaxed load
  keyspace::AppendKeyspaceEvent(txn.messages(), flags, type, event, db, user_key);
}

bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  size_t i = 0;
  bool negative = false;
  if (s[0] == '-') {
    negative = true;
    if (++i == s.size()) return false;
  }
  if (s.size() == 1 && s[0] == '0') {
    *out = 0;
    return true;
  }
  if (s[i] < '1' || s[i] > '9') return false;  // no leading zeros, as string2ll
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  if (negative) {
    if (v > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    *out = static_cast<int64_t>(0 - v);
  } else {
    if (v > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

bool ParseLongDouble(std::string_view s, long double* out) {
  // As Redis's string2ld: at most 5119 bytes, all of them consumed (no NUL byte), no
  // leading space, no overflow or underflow to zero, not NaN.
  constexpr size_t kMaxLongDoubleChars = 5 * 1024;
  if (s.empty() || s.size() >= kMaxLongDoubleChars) return false;
  std::string copy(s);
  char* end = nullptr;
  errno = 0;
  long double v = std::strtold(copy.c_str(), &end);
  if (std::isspace(static_cast<unsigned char>(copy[0])) || end != copy.c_str() + copy.size() ||
      std::isnan(v)) {
    return false;
  }
  if (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || std::fpclassify(v) == FP_ZERO)) {
    return false;
  }
  if (errno == EINVAL) return false;
  *out = v;
  return true;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace petacore::commands
