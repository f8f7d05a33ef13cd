// reply.cc — RESP2/RESP3 reply encoding, byte-compatible with Redis's networking.c.
#include "resp/reply.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace petacore::resp {
namespace {

// Longest "<type><int64>\r\n" is 1 + 20 + 2 bytes.
constexpr size_t kHeaderMax = 24;

// Writes "<type><n>\r\n" into `buf`; returns its length. std::to_chars: no locale, no printf.
template <typename Int>
size_t FormatHeader(char* buf, char type, Int n) {
  buf[0] = type;
  char* end = std::to_chars(buf + 1, buf + kHeaderMax - 2, n).ptr;
  end[0] = '\r';
  end[1] = '\n';
  return end + 2 - buf;
}

// Replaces CR and LF in out[from, end) by spaces: a status or error line must stay one line.
void SanitizeLine(std::string* out, size_t from) {
  for (size_t i = from; i < out->size(); ++i) {
    char& c = (*out)[i];
    if (c == '\r' || c == '\n') c = ' ';
  }
}

// True when `text` starts with an error code: two or more letters A-Z, then a space.
bool HasErrorCode(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && text[i] >= 'A' && text[i] <= 'Z') ++i;
  return i >= 2 && i < text.size() && text[i] == ' ';
}

// Lays out shortest round-trip digits as fpconv_dtoa's emit_digits does: the value is
// digits * 10^k; plain integer or plain decimal when short, else "d.ddde[+-]x".
size_t EmitDigits(std::string_view digits, int k, char* dest) {
  const int n = static_cast<int>(digits.size());
  const int exp = std::abs(k + n - 1);
  char* p = dest;
  if (k >= 0 && exp < n + 7) {
    p = std::copy(digits.begin(), digits.end(), p);
    std::memset(p, '0', k);
    return p + k - dest;
  }
  if (k < 0 && (k > -7 || exp < 4)) {
    const int offset = n + k;
    if (offset <= 0) {
      *p++ = '0';
      *p++ = '.';
      std::memset(p, '0', -offset);
      p += -offset;
      p = std::copy(digits.begin(), digits.end(), p);
    } else {
      p = std::copy(digits.begin(), digits.begin() + offset, p);
      *p++ = '.';
      p = std::copy(digits.begin() + offset, digits.end(), p);
    }
    return p - dest;
  }
  *p++ = digits[0];
  if (n > 1) {
    *p++ = '.';
    p = std::copy(digits.begin() + 1, digits.end(), p);
  }
  *p++ = 'e';
  *p++ = k + n - 1 < 0 ? '-' : '+';
  p = std::to_chars(p, p + 4, exp).ptr;
  return p - dest;
}

// util.c's d2string (Redis >= 7.2). Redis gets its digits from grisu2, which is shortest for
// all but a tiny fraction of doubles; we take the exactly shortest ones from std::to_chars.
size_t FormatDouble(double d, char* buf) {
  auto put = [buf](std::string_view text) {
    std::memcpy(buf, text.data(), text.size());
    return text.size();
  };
  if (std::isnan(d)) return put("nan");
  if (std::isinf(d)) return put(d < 0 ? "-inf" : "inf");
  if (d == 0) return put(std::signbit(d) ? "-0" : "0");
  constexpr double kIntLimit = static_cast<double>(std::numeric_limits<int64_t>::max() / 2);
  if (d >= -kIntLimit && d <= kIntLimit) {
    const auto ll = static_cast<int64_t>(d);
    if (static_cast<double>(ll) == d) return std::to_chars(buf, buf + 24, ll).ptr - buf;
  }
  // Shortest scientific form, e.g. "-1.2345e-07": split into sign, digits and exponent.
  char sci[40];
  const char* end = std::to_chars(sci, sci + sizeof(sci), d, std::chars_format::scientific).ptr;
  const char* p = sci;
  char* out = buf;
  if (*p == '-') *out++ = *p++;
  char digits[24];
  int n = 0;
  for (; *p != 'e'; ++p) {
    if (*p != '.') digits[n++] = *p;
  }
  int exp10 = 0;
  std::from_chars(p + (p[1] == '+' ? 2 : 1), end, exp10);
  return (out - buf) + EmitDigits(std::string_view(digits, n), exp10 - (n - 1), out);
}

}  // namespace

void ReplyWriter::Simple(std::string_view s) {
  const size_t from = out_->size() + 1;
  out_->push_back('+');
  out_->append(s);
  SanitizeLine(out_, from);
  out_->append("\r\n", 2);
}

void ReplyWriter::Error(std::string_view text) {
  const size_t from = out_->size();
  if (!text.empty() && text[0] == '-') {
    out_->append(text);
  } else if (HasErrorCode(text)) {
    out_->push_back('-');
    out_->append(text);
  } else {
    out_->append("-ERR ", 5);
    out_->append(text);
  }
  SanitizeLine(out_, from);
  out_->append("\r\n", 2);
}

void ReplyWriter::Integer(int64_t n) {
  char buf[kHeaderMax];
  out_->append(buf, FormatHeader(buf, ':', n));
}

void ReplyWriter::Bulk(std::string_view s) {
  char buf[kHeaderMax];
  const size_t header = FormatHeader(buf, '$', s.size());
  out_->reserve(out_->size() + header + s.size() + 2);
  out_->append(buf, header);
  out_->append(s);
  out_->append("\r\n", 2);
}

void ReplyWriter::NullBulk() {
  if (protocol_ >= 3) {
    out_->append("_\r\n", 3);
  } else {
    out_->append("$-1\r\n", 5);
  }
}

void ReplyWriter::ArrayHeader(size_t n) {
  char buf[kHeaderMax];
  out_->append(buf, FormatHeader(buf, '*', n));
}

void ReplyWriter::NullArray() {
  if (protocol_ >= 3) {
    out_->append("_\r\n", 3);
  } else {
    out_->append("*-1\r\n", 5);
  }
}

void ReplyWriter::MapHeader(size_t n) {
  char buf[kHeaderMax];
  if (protocol_ >= 3) {
    out_->append(buf, FormatHeader(buf, '%', n));
  } else {
    out_->append(buf, FormatHeader(buf, '*', 2 * n));
  }
}

void ReplyWriter::Double(double d) {
  char buf[64];
  if (protocol_ >= 3) {
    buf[0] = ',';
    size_t len = 1 + FormatDouble(d, buf + 1);
    buf[len++] = '\r';
    buf[len++] = '\n';
    out_->append(buf, len);
  } else {
    char text[32];
    const size_t len = FormatDouble(d, text);
    char header[kHeaderMax];
    out_->append(header, FormatHeader(header, '$', len));
    out_->append(text, len);
    out_->append("\r\n", 2);
  }
}

}  // namespace petacore::resp
