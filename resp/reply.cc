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

void ReplyWriter::SetHeader(size_t n) {
  char buf[kHeaderMax];
  out_->append(buf, FormatHeader(buf, protocol_ >= 3 ? '~' : '*', n));
}

void ReplyWriter::PushHeader(size_t n) {
  char buf[kHeaderMax];
  out_->append(buf, FormatHeader(buf, protocol_ >= 3 ? '>' : '*', n));
}

void ReplyWriter::Boolean(bool b) {
  if (protocol_ >= 3) {
    out_->append(b ? "#t\r\n" : "#f\r\n", 4);
  } else {
    out_->append(b ? ":1\r\n" : ":0\r\n", 4);
  }
}

void ReplyWriter::BigNumber(std::string_view digits) {
  if (protocol_ < 3) return Bulk(digits);
  out_->push_back('(');
  out_->append(digits);
  out_->append("\r\n", 2);
}

void ReplyWriter::Verbatim(std::string_view format, std::string_view text) {
  if (protocol_ < 3) return Bulk(text);
  char buf[kHeaderMax];
  const size_t header = FormatHeader(buf, '=', format.size() + 1 + text.size());
  out_->reserve(out_->size() + header + format.size() + 1 + text.size() + 2);
  out_->append(buf, header);
  out_->append(format);
  out_->push_back(':');
  out_->append(text);
  out_->append("\r\n", 2);
}

// As Redis 7.0's addReplyDouble (the Redis Debian 12 ships): "%.17g", and "inf"/"-inf".
// (Redis 7.2 switched to the shortest round-trip form; clients parse either.)
void ReplyWriter::Double(double d) {
  char text[40];
  int len;
  if (std::isinf(d)) {
    len = std::snprintf(text, sizeof(text), "%s", d > 0 ? "inf" : "-inf");
  } else {
    len = std::snprintf(text, sizeof(text), "%.17g", d);
  }
  if (protocol_ >= 3) {
    out_->push_back(',');
    out_->append(text, len);
    out_->append("\r\n", 2);
  } else {
    Bulk(std::string_view(text, len));
  }
}

}  // namespace petacore::resp
