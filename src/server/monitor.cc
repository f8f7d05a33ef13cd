// monitor.cc — MONITOR's lines and their delivery to the monitoring connections.
#include "server/monitor.h"

#include <sys/time.h>

#include <cctype>
#include <cstdio>

#include "commands/context.h"

namespace petacore::server {

using commands::EqualsIgnoreCase;

void AppendRepr(std::string* out, std::string_view s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '\\': out->append("\\\\"); break;
      case '"': out->append("\\\""); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\a': out->append("\\a"); break;
      case '\b': out->append("\\b"); break;
      default:
        if (std::isprint(c)) {
          out->push_back(static_cast<char>(c));
        } else {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", c);
          out->append(buf);
        }
    }
  }
  out->push_back('"');
}

bool Redact(std::span<const std::string_view> args, std::vector<std::string_view>* out) {
  static constexpr std::string_view kRedacted = "(redacted)";
  if (args.empty()) return false;
  std::vector<std::string_view> r(args.begin(), args.end());
  bool any = false;
  auto hide = [&](size_t i) {
    if (i < r.size()) r[i] = kRedacted, any = true;
  };
  if (EqualsIgnoreCase(args[0], "auth")) {  // as authCommand: every argument
    for (size_t i = 1; i < r.size(); ++i) hide(i);
  } else if (EqualsIgnoreCase(args[0], "hello")) {  // as helloCommand: AUTH <user> <pass>
    for (size_t i = 2; i < args.size(); ++i) {
      if (EqualsIgnoreCase(args[i], "auth") && i + 2 < args.size()) {
        hide(i + 1);
        hide(i + 2);
        i += 2;
      } else if (EqualsIgnoreCase(args[i], "setname") && i + 1 < args.size()) {
        ++i;
      } else {
        break;
      }
    }
  } else if (EqualsIgnoreCase(args[0], "migrate")) {  // as migrateCommand: AUTH pw, AUTH2 user pw
    for (size_t i = 6; i < r.size(); ++i) {
      if (EqualsIgnoreCase(args[i], "auth")) {
        hide(i + 1);
        ++i;
      } else if (EqualsIgnoreCase(args[i], "auth2")) {
        hide(i + 1);
        hide(i + 2);
        i += 2;
      } else if (EqualsIgnoreCase(args[i], "keys")) {
        break;
      }
    }
  }
  if (any) *out = std::move(r);
  return any;
}

void MonitorHub::Add(client::Session& session) {
  if (!session.push_raw) return;  // in-process tests
  std::lock_guard lock(mu_);
  if (sinks_.emplace(session.id, session.push_raw).second) count_.fetch_add(1);
}

void MonitorHub::Remove(int64_t id) {
  std::lock_guard lock(mu_);
  if (sinks_.erase(id) > 0) count_.fetch_sub(1);
}

void MonitorHub::Feed(int db, std::string_view addr, std::span<const std::string_view> args) {
  if (!active()) return;
  timeval tv{};
  gettimeofday(&tv, nullptr);
  char head[64];
  std::snprintf(head, sizeof(head), "+%ld.%06ld [%d ", static_cast<long>(tv.tv_sec),
                static_cast<long>(tv.tv_usec), db);
  auto line = std::make_shared<std::string>(head);
  line->append(addr).append("] ");
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) line->push_back(' ');
    AppendRepr(line.get(), args[i]);
  }
  line->append("\r\n");
  std::lock_guard lock(mu_);
  for (auto& [id, sink] : sinks_) sink(line);
}

}  // namespace petacore::server
