// script_flags.cc — shebang parsing and the start-of-script checks (Redis 7.0's eval.c
// evalExtractShebangFlags and script.c scriptPrepareForRun).
#include "commands/script_flags.h"

#include <cctype>
#include <vector>

namespace petacore::commands {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

}  // namespace

bool SplitArgs(std::string_view line, std::vector<std::string>* words) {
  words->clear();
  size_t i = 0;
  while (true) {
    while (i < line.size() && IsSpace(line[i])) ++i;
    if (i >= line.size()) return true;
    std::string word;
    bool in_double = false, in_single = false;
    while (true) {
      if (in_double) {
        if (i >= line.size()) return false;  // unterminated quotes
        char c = line[i];
        if (c == '\\' && i + 3 < line.size() && line[i + 1] == 'x' && HexValue(line[i + 2]) >= 0 &&
            HexValue(line[i + 3]) >= 0) {
          word.push_back(static_cast<char>(HexValue(line[i + 2]) * 16 + HexValue(line[i + 3])));
          i += 3;
        } else if (c == '\\' && i + 1 < line.size()) {
          char e = line[++i];
          switch (e) {
            case 'n':
              word.push_back('\n');
              break;
            case 'r':
              word.push_back('\r');
              break;
            case 't':
              word.push_back('\t');
              break;
            case 'b':
              word.push_back('\b');
              break;
            case 'a':
              word.push_back('\a');
              break;
            default:
              word.push_back(e);
              break;
          }
        } else if (c == '"') {
          // A closing quote must be followed by a space or the end.
          if (i + 1 < line.size() && !IsSpace(line[i + 1])) return false;
          in_double = false;
          ++i;
          break;
        } else {
          word.push_back(c);
        }
      } else if (in_single) {
        if (i >= line.size()) return false;
        char c = line[i];
        if (c == '\\' && i + 1 < line.size() && line[i + 1] == '\'') {
          word.push_back('\'');
          ++i;
        } else if (c == '\'') {
          if (i + 1 < line.size() && !IsSpace(line[i + 1])) return false;
          in_single = false;
          ++i;
          break;
        } else {
          word.push_back(c);
        }
      } else {
        if (i >= line.size()) break;
        char c = line[i];
        if (IsSpace(c)) break;
        if (c == '"') {
          in_double = true;
        } else if (c == '\'') {
          in_single = true;
        } else {
          word.push_back(c);
        }
      }
      ++i;
    }
    words->push_back(std::move(word));
  }
}

std::string ParseShebang(std::string_view body, uint32_t* flags, size_t* shebang_len) {
  *flags = kScriptEvalCompat;
  *shebang_len = 0;
  if (body.substr(0, 2) != "#!") return "";
  size_t end = body.find('\n');
  if (end == std::string_view::npos) return "Invalid script shebang";
  std::vector<std::string> parts;
  if (!SplitArgs(body.substr(0, end), &parts) || parts.empty()) {
    return "Invalid engine in script shebang";
  }
  if (parts[0] != "#!lua") return "Unexpected engine in script shebang: " + parts[0];
  uint32_t out = 0;
  for (size_t j = 1; j < parts.size(); ++j) {
    std::string_view part = parts[j];
    if (part.substr(0, 6) != "flags=") return "Unknown lua shebang option: " + parts[j];
    std::string_view list = part.substr(6);
    // Redis's sdssplitlen: nothing for an empty list, else every comma-separated piece.
    size_t start = 0;
    while (!list.empty()) {
      size_t comma = list.find(',', start);
      std::string_view name = list.substr(
          start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      bool found = false;
      for (const auto& f : kScriptFlagNames) {
        if (f.name == name) {  // case-sensitive, as Redis's strcmp
          out |= f.flag;
          found = true;
          break;
        }
      }
      if (!found) return "Unexpected flag in script shebang: " + std::string(name);
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
  }
  *flags = out;
  *shebang_len = end;
  return "";
}

bool OverMaxmemory(ServerView& server) {
  const uint64_t limit = server.Options().maxmemory.get();
  return limit > 0 && server.Stats().store.bytes > limit;
}

bool CheckScriptStart(CommandContext& ctx, uint32_t flags, bool ro) {
  if (flags & kScriptEvalCompat) return true;
  if (!(flags & kScriptNoWrites)) {
    // processCommand first: a script that may write is a denyoom command unless allow-oom.
    if (!(flags & kScriptAllowOom) && OverMaxmemory(ctx.server)) {
      ctx.out.Error("-OOM command not allowed when used memory > 'maxmemory'.");
      return false;
    }
    if (ro) {
      ctx.out.Error("ERR Can not execute a script with write flag using *_ro command.");
      return false;
    }
  }
  return true;
}

}  // namespace petacore::commands
