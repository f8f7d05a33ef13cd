#include "config/client_limits.h"

#include <cctype>
#include <sstream>
#include <vector>

namespace petacore::config {

std::optional<uint64_t> ParseMemorySize(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0) return std::nullopt;
  std::string unit;
  for (char c : text.substr(digits)) {
    unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  uint64_t mul;
  if (unit.empty() || unit == "b") {
    mul = 1;
  } else if (unit == "k") {
    mul = 1000;
  } else if (unit == "kb") {
    mul = 1024;
  } else if (unit == "m") {
    mul = 1000 * 1000;
  } else if (unit == "mb") {
    mul = 1024 * 1024;
  } else if (unit == "g") {
    mul = 1000ull * 1000 * 1000;
  } else if (unit == "gb") {
    mul = 1024ull * 1024 * 1024;
  } else {
    return std::nullopt;
  }
  uint64_t n = 0;
  for (size_t i = 0; i < digits; ++i) {
    uint64_t d = static_cast<uint64_t>(text[i] - '0');
    if (n > (UINT64_MAX - d) / 10) return std::nullopt;
    n = n * 10 + d;
  }
  if (n != 0 && mul > UINT64_MAX / n) return std::nullopt;
  return n * mul;
}

bool ParseOutputBufferLimits(std::string_view text, OutputBufferLimit* normal,
                             OutputBufferLimit* pubsub, std::string* error) {
  std::vector<std::string> words;
  std::istringstream in{std::string(text)};
  for (std::string w; in >> w;) words.push_back(w);
  if (words.size() == 3) words.insert(words.begin(), "normal");
  if (words.empty() || words.size() % 4 != 0) {
    *error = "wrong number of arguments: expected [normal] <hard> <soft> <seconds>";
    return false;
  }
  OutputBufferLimit new_normal = *normal, new_pubsub = *pubsub;
  for (size_t i = 0; i < words.size(); i += 4) {
    const std::string& cls = words[i];
    if (cls != "normal" && cls != "replica" && cls != "slave" && cls != "pubsub") {
      *error = "invalid client class '" + cls + "'";
      return false;
    }
    auto hard = ParseMemorySize(words[i + 1]);
    auto soft = ParseMemorySize(words[i + 2]);
    auto secs = ParseMemorySize(words[i + 3]);  // a plain non-negative number
    if (!hard || !soft || !secs || words[i + 3].find_first_not_of("0123456789") !=
                                       std::string::npos) {
      *error = "invalid hard/soft limit or seconds in '" + std::string(text) + "'";
      return false;
    }
    OutputBufferLimit limit{*hard, *soft, static_cast<int64_t>(*secs)};
    if (cls == "normal") new_normal = limit;
    if (cls == "pubsub") new_pubsub = limit;
  }
  *normal = new_normal;
  *pubsub = new_pubsub;
  return true;
}

std::string FormatOutputBufferLimits(const OutputBufferLimit& normal,
                                     const OutputBufferLimit& pubsub) {
  auto one = [](std::string_view cls, const OutputBufferLimit& l) {
    return std::string(cls) + " " + std::to_string(l.hard_bytes) + " " +
           std::to_string(l.soft_bytes) + " " + std::to_string(l.soft_seconds);
  };
  return one("normal", normal) + " " + one("pubsub", pubsub);
}

}  // namespace petacore::config
