#include "commands/glob.h"

#include <utility>

namespace petacore::commands {
namespace {

// Matches one class "[...]" at pattern[p] (p points after '['); sets `next` past ']'.
bool MatchClass(std::string_view pat, size_t p, char c, size_t* next) {
  bool negate = false;
  if (p < pat.size() && pat[p] == '^') {
    negate = true;
    ++p;
  }
  bool hit = false;
  while (p < pat.size() && pat[p] != ']') {
    if (pat[p] == '\\' && p + 1 < pat.size()) {
      ++p;
      if (pat[p] == c) hit = true;
      ++p;
    } else if (p + 2 < pat.size() && pat[p + 1] == '-') {
      // As Redis's stringmatchlen: "[a-]" is the range a..']' (the ']' does not close the
      // class), and bytes compare as (signed) char, so 0x80..0xff sort below ASCII.
      int lo = static_cast<signed char>(pat[p]);
      int hi = static_cast<signed char>(pat[p + 2]);
      if (lo > hi) std::swap(lo, hi);
      int sc = static_cast<signed char>(c);
      if (sc >= lo && sc <= hi) hit = true;
      p += 3;
    } else {
      if (pat[p] == c) hit = true;
      ++p;
    }
  }
  *next = p < pat.size() ? p + 1 : p;  // an unterminated class ends the pattern, as Redis
  return negate ? !hit : hit;
}

}  // namespace

bool GlobMatch(std::string_view pat, std::string_view text) {
  // Redis's stringmatchlen never enters its loop for an empty string: only an empty pattern
  // matches it (KEYS special-cases a lone "*").
  if (text.empty()) return pat.empty();
  // Iterative matcher with one backtrack point for the last '*': linear in practice and
  // immune to the exponential blow-up of naive recursion on patterns like "a*a*a*a*b".
  size_t p = 0, t = 0;
  size_t star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pat.size()) {
      char pc = pat[p];
      if (pc == '*') {
        while (p < pat.size() && pat[p] == '*') ++p;
        if (p == pat.size()) return true;
        star_p = p;
        star_t = t;
        continue;
      }
      if (pc == '?') {
        ++p;
        ++t;
        continue;
      }
      if (pc == '[') {
        size_t next;
        if (MatchClass(pat, p + 1, text[t], &next)) {
          p = next;
          ++t;
          continue;
        }
      } else {
        size_t advance = 1;
        if (pc == '\\' && p + 1 < pat.size()) {
          pc = pat[p + 1];
          advance = 2;
        }
        if (pc == text[t]) {
          p += advance;
          ++t;
          continue;
        }
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    t = ++star_t;
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

}  // namespace petacore::commands
