// node_record.cc — the node registry's record format (node_record.h).
#include "keyspace/node_record.h"

#include <charconv>
#include <cstdio>

namespace petacore::keyspace {
namespace {

bool ParseI64(std::string_view s, int64_t* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

std::string NodeRecordKey(uint64_t process) {
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(process));
  return std::string(kNodeRecordPrefix) + hex;
}

std::string EncodeNodeRecord(const NodeRecord& r) {
  std::string s;
  s += "addr=" + r.addr + "\n";
  s += "applied=" + std::to_string(r.applied) + "\n";
  s += "oldest=" + std::to_string(r.oldest) + "\n";
  s += "started=" + std::to_string(r.started_ms) + "\n";
  s += "published=" + std::to_string(r.published_ms) + "\n";
  return s;
}

std::optional<NodeRecord> DecodeNodeRecord(std::string_view key, std::string_view value) {
  if (!key.starts_with(kNodeRecordPrefix)) return std::nullopt;
  std::string_view hex = key.substr(kNodeRecordPrefix.size());
  NodeRecord r;
  auto [ptr, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), r.process, 16);
  if (hex.empty() || ec != std::errc() || ptr != hex.data() + hex.size()) return std::nullopt;
  bool have_applied = false;
  while (!value.empty()) {
    size_t nl = value.find('\n');
    std::string_view line = value.substr(0, nl);
    value = nl == std::string_view::npos ? std::string_view() : value.substr(nl + 1);
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = line.substr(0, eq), v = line.substr(eq + 1);
    if (name == "addr") {
      r.addr = std::string(v);
    } else if (name == "applied") {
      if (!ParseI64(v, &r.applied)) return std::nullopt;
      have_applied = true;
    } else if (name == "oldest") {
      if (!ParseI64(v, &r.oldest)) return std::nullopt;
    } else if (name == "started") {
      if (!ParseI64(v, &r.started_ms)) return std::nullopt;
    } else if (name == "published") {
      if (!ParseI64(v, &r.published_ms)) return std::nullopt;
    }
  }
  if (!have_applied) return std::nullopt;
  return r;
}

std::pair<std::string_view, std::string_view> SplitHostPort(std::string_view addr) {
  size_t colon = addr.rfind(':');
  if (colon == std::string_view::npos) return {addr, {}};
  return {addr.substr(0, colon), addr.substr(colon + 1)};
}

}  // namespace petacore::keyspace
