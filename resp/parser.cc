// parser.cc — the incremental RESP2 request parser, modelled on Redis's networking.c
// (processMultibulkBuffer, processInlineBuffer) and sds.c (sdssplitargs).
#include "resp/parser.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <limits>

namespace petacore::resp {
namespace {

// Redis's string2ll: optional '-', no '+', no leading zeros, no "-0", no spaces, fits int64.
bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  if (s.size() == 1 && s[0] == '0') {
    *out = 0;
    return true;
  }
  size_t i = 0;
  const bool negative = s[0] == '-';
  if (negative && ++i == s.size()) return false;
  if (s[i] < '1' || s[i] > '9') return false;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    const unsigned d = static_cast<unsigned char>(s[i]) - '0';
    if (d > 9) return false;
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  constexpr uint64_t kMax = std::numeric_limits<int64_t>::max();
  if (negative) {
    if (v > kMax + 1) return false;
    *out = static_cast<int64_t>(0 - v);  // two's complement; exact for v == kMax + 1 too
  } else {
    if (v > kMax) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

// isspace() in the C locale, which is what sdssplitargs uses between tokens.
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The byte a backslash escape inside double quotes stands for.
char Unescape(char c) {
  switch (c) {
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'b':
      return '\b';
    case 'a':
      return '\a';
    default:
      return c;
  }
}

// Splits an inline line like Redis's sdssplitargs: blanks separate tokens; "..." takes \n \r
// \t \b \a \xHH and \<any> escapes; '...' takes only \'; a closing quote must be followed by a
// blank or the end; a quote may open mid-token (a"b c" is one token "ab c"). sdssplitargs
// sees a C string, so a NUL byte ends the line. Returns false on unbalanced quotes.
//
// Decoded bytes go to `scratch` (at least line.size() bytes, so it never reallocates here); a
// token with no quotes is identical to its input, so its view points into `line` instead.
bool SplitInline(std::string_view line, std::string* scratch, std::vector<std::string_view>* args) {
  if (const void* nul = std::memchr(line.data(), '\0', line.size())) {
    line = line.substr(0, static_cast<const char*>(nul) - line.data());
  }
  const size_t n = line.size();
  auto at = [&](size_t i) { return i < n ? line[i] : '\0'; };
  char* const out = scratch->data();
  size_t w = 0;
  size_t i = 0;
  while (true) {
    while (i < n && IsSpace(line[i])) ++i;
    if (i >= n) return true;
    const size_t token_start = i;
    const size_t out_start = w;
    bool plain = true;
    bool in_dq = false;
    bool in_sq = false;
    bool done = false;
    while (!done) {
      const char c = at(i);
      if (in_dq) {
        int hi = 0, lo = 0;
        if (c == '\\' && at(i + 1) == 'x' && (hi = HexValue(at(i + 2))) >= 0 &&
            (lo = HexValue(at(i + 3))) >= 0) {
          out[w++] = static_cast<char>(hi * 16 + lo);
          i += 3;
        } else if (c == '\\' && at(i + 1) != '\0') {
          out[w++] = Unescape(line[++i]);
        } else if (c == '"') {
          if (at(i + 1) != '\0' && !IsSpace(at(i + 1))) return false;
          done = true;
        } else if (c == '\0') {
          return false;  // unterminated quotes
        } else {
          out[w++] = c;
        }
      } else if (in_sq) {
        if (c == '\\' && at(i + 1) == '\'') {
          ++i;
          out[w++] = '\'';
        } else if (c == '\'') {
          if (at(i + 1) != '\0' && !IsSpace(at(i + 1))) return false;
          done = true;
        } else if (c == '\0') {
          return false;
        } else {
          out[w++] = c;
        }
      } else {
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0') {  // not \v \f
          done = true;
        } else if (c == '"' || c == '\'') {
          (c == '"' ? in_dq : in_sq) = true;
          plain = false;
        } else {
          out[w++] = c;
        }
      }
      if (i < n) ++i;
    }
    if (plain) {
      args->push_back(line.substr(token_start, w - out_start));
      w = out_start;  // the bytes equal the input's: reuse the scratch space
    } else {
      args->emplace_back(out + out_start, w - out_start);
    }
  }
}

}  // namespace

Parser::Parser(Limits limits) : limits_(limits) {}

void Parser::Reset() {
  error_.clear();
  failed_ = false;
  pos_ = 0;
  scan_ = 0;
  multibulk_left_ = -1;
  pending_bulk_len_ = -1;
  spans_.clear();
}

Parser::Result Parser::Fail(std::string text) {
  error_ = std::move(text);
  failed_ = true;
  return {Status::kError, 0};
}

bool Parser::FindLineEnd(std::string_view buffer, char term, const char* too_big, size_t* at) {
  // Resume the search where the previous call stopped: a long line received in small pieces
  // is scanned once in total.
  const size_t from = std::max(scan_, pos_);
  const void* hit = from < buffer.size()
                        ? std::memchr(buffer.data() + from, term, buffer.size() - from)
                        : nullptr;
  scanned_bytes_ += (hit == nullptr ? buffer.size()
                                     : static_cast<size_t>(static_cast<const char*>(hit) -
                                                           buffer.data()) + 1) -
                    std::min(from, buffer.size());
  if (hit == nullptr) {
    scan_ = buffer.size();
    if (buffer.size() - pos_ > limits_.max_inline_len) Fail(too_big);
    return false;
  }
  *at = static_cast<const char*>(hit) - buffer.data();
  scan_ = *at;
  if (*at - pos_ > limits_.max_inline_len) {
    Fail(too_big);
    return false;
  }
  return true;
}

Parser::Result Parser::Parse(std::string_view buffer, Command* out) {
  out->args.clear();
  out->inline_form = false;
  if (failed_) return {Status::kError, 0};
  assert(buffer.size() >= pos_ && "Parse needs the bytes it already saw");
  if (buffer.empty()) return {Status::kNeedMore, 0};

  if (multibulk_left_ < 0) {
    if (buffer[0] != '*') return ParseInline(buffer, out);
    size_t cr;
    if (!FindLineEnd(buffer, '\r', "Protocol error: too big mbulk count string", &cr) ||
        cr + 1 >= buffer.size()) {  // Redis also wants the byte after '\r' (unchecked)
      return {failed_ ? Status::kError : Status::kNeedMore, 0};
    }
    int64_t count;
    if (!ParseInt64(buffer.substr(1, cr - 1), &count) ||
        (count > 0 && static_cast<uint64_t>(count) > limits_.max_multibulk_len)) {
      return Fail("Protocol error: invalid multibulk length");
    }
    pos_ = cr + 2;
    scan_ = pos_;
    if (count <= 0) return Complete(buffer, out);  // Redis ignores "*0" and "*-1"
    multibulk_left_ = count;
    // Bounded so that a lying "*1048576" cannot make us allocate before any data arrives.
    spans_.reserve(std::min<size_t>(count, 1024));
  }

  while (multibulk_left_ > 0) {
    if (pending_bulk_len_ < 0) {
      size_t cr;
      if (!FindLineEnd(buffer, '\r', "Protocol error: too big bulk count string", &cr) ||
          cr + 1 >= buffer.size()) {
        return {failed_ ? Status::kError : Status::kNeedMore, 0};
      }
      if (buffer[pos_] != '$') {
        // Redis formats with "%c" into a C string and turns CR/LF into spaces, so a NUL byte
        // cuts the message short.
        std::string text = "Protocol error: expected '$', got '";
        const char got = buffer[pos_];
        if (got == '\0') return Fail(std::move(text));
        text += (got == '\r' || got == '\n') ? ' ' : got;
        text += '\'';
        return Fail(std::move(text));
      }
      int64_t len;
      if (!ParseInt64(buffer.substr(pos_ + 1, cr - pos_ - 1), &len) || len < 0 ||
          static_cast<uint64_t>(len) > limits_.max_bulk_len) {
        return Fail("Protocol error: invalid bulk length");
      }
      pos_ = cr + 2;
      scan_ = pos_;
      pending_bulk_len_ = len;
    }
    // The payload plus its trailing two bytes, which Redis skips without checking.
    const size_t need = static_cast<size_t>(pending_bulk_len_) + 2;
    if (buffer.size() - pos_ < need) return {Status::kNeedMore, 0};
    spans_.emplace_back(pos_, static_cast<size_t>(pending_bulk_len_));
    pos_ += need;
    scan_ = pos_;
    pending_bulk_len_ = -1;
    --multibulk_left_;
  }
  return Complete(buffer, out);
}

Parser::Result Parser::Complete(std::string_view buffer, Command* out) {
  for (const auto& [offset, length] : spans_) out->args.push_back(buffer.substr(offset, length));
  const size_t consumed = pos_;
  pos_ = 0;
  scan_ = 0;
  multibulk_left_ = -1;
  pending_bulk_len_ = -1;
  spans_.clear();  // keeps its capacity for the next command
  return {Status::kCommand, consumed};
}

Parser::Result Parser::ParseInline(std::string_view buffer, Command* out) {
  size_t lf;
  if (!FindLineEnd(buffer, '\n', "Protocol error: too big inline request", &lf)) {
    return {failed_ ? Status::kError : Status::kNeedMore, 0};
  }
  size_t line_len = lf;
  if (line_len > 0 && buffer[line_len - 1] == '\r') --line_len;
  const std::string_view line = buffer.substr(0, line_len);
  if (scratch_.size() < line.size()) scratch_.resize(line.size());
  out->inline_form = true;
  if (!SplitInline(line, &scratch_, &out->args)) {
    out->args.clear();
    out->inline_form = false;
    return Fail("Protocol error: unbalanced quotes in request");
  }
  scan_ = 0;
  return {Status::kCommand, lf + 1};
}

}  // namespace petacore::resp
