// value_parser.cc — the incremental RESP2/RESP3 value parser (see value_parser.h). Elements
// are recorded as offsets in pre-order while the bytes arrive; the Value tree is built only
// once the whole value is there.
#include "resp/value_parser.h"

#include <algorithm>
#include <cstdlib>
#include <limits>

namespace petacore::resp {
namespace {

// An integer as RESP3 writes one: optional '-', decimal digits, fits int64.
bool ParseInteger(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size()) return false;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    const unsigned d = static_cast<unsigned char>(s[i]) - '0';
    if (d > 9 || v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  constexpr uint64_t kMax = std::numeric_limits<int64_t>::max();
  if (v > kMax + (s[0] == '-' ? 1 : 0)) return false;
  *out = s[0] == '-' ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

// ",<text>": "inf", "-inf", "nan", or a decimal/exponent number strtod takes whole.
bool ValidDouble(std::string_view s) {
  if (s == "inf" || s == "-inf" || s == "+inf" || s == "nan") return true;
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E')) {
      return false;
    }
  }
  std::string copy(s);
  char* end = nullptr;
  std::strtod(copy.c_str(), &end);
  return end == copy.c_str() + copy.size();
}

bool ValidBigNumber(std::string_view s) {
  size_t i = !s.empty() && s[0] == '-' ? 1 : 0;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

bool IsAggregate(char kind) {
  return kind == '*' || kind == '~' || kind == '%' || kind == '>' || kind == '|';
}

Value::Type TypeOf(char kind) {
  switch (kind) {
    case '+': return Value::Type::kSimple;
    case '-': case '!': return Value::Type::kError;
    case ':': return Value::Type::kInteger;
    case '$': return Value::Type::kBulk;
    case ',': return Value::Type::kDouble;
    case '#': return Value::Type::kBoolean;
    case '(': return Value::Type::kBigNumber;
    case '=': return Value::Type::kVerbatim;
    case '*': return Value::Type::kArray;
    case '~': return Value::Type::kSet;
    case '%': return Value::Type::kMap;
    case '>': return Value::Type::kPush;
    default: return Value::Type::kNull;
  }
}

}  // namespace

void ValueParser::Reset() {
  error_.clear();
  failed_ = false;
  pos_ = scan_ = 0;
  nodes_.clear();
  stack_.clear();
}

ValueParser::Result ValueParser::Fail(std::string text) {
  failed_ = true;
  error_ = std::move(text);
  return {Status::kError, 0};
}

bool ValueParser::Finish() {
  if (nodes_.back().kind == '|') return false;  // an empty attribute: the value follows
  while (!stack_.empty()) {
    Frame& top = stack_.back();
    if (--top.left > 0) return false;
    const bool attribute = nodes_[top.node].kind == '|';
    stack_.pop_back();
    if (attribute) return false;  // the attributed value still takes the parent's slot
  }
  return true;
}

ValueParser::Result ValueParser::Parse(std::string_view buffer, Value* out) {
  if (failed_) return {Status::kError, 0};
  while (true) {
    // The current element's line: "<type><text>\r\n".
    size_t from = std::max(scan_, pos_);
    size_t cr = std::string_view::npos;
    for (size_t i = from; i + 1 < buffer.size(); ++i) {
      if (buffer[i] == '\r' && buffer[i + 1] == '\n') {
        cr = i;
        break;
      }
    }
    if (cr == std::string_view::npos) {
      scan_ = buffer.size() > pos_ ? buffer.size() - 1 : pos_;
      // The line so far, not counting a final '\r' that may start its CRLF: too long only if
      // it would be too long with its terminator too (the result must not depend on splits).
      const size_t so_far = buffer.size() - pos_ - (buffer.size() > pos_ && buffer.back() == '\r');
      if (so_far > limits_.max_inline_len) {
        return Fail("Protocol error: too big line");
      }
      return {Status::kNeedMore, 0};
    }
    if (cr - pos_ > limits_.max_inline_len) return Fail("Protocol error: too big line");
    if (cr == pos_) return Fail("Protocol error: invalid type byte");
    const char kind = buffer[pos_];
    const std::string_view text = buffer.substr(pos_ + 1, cr - pos_ - 1);
    size_t next = cr + 2;
    Node node{kind, pos_ + 1, text.size()};
    bool leaf = true;
    switch (kind) {
      case '+': case '-':
        break;
      case ':': {
        int64_t v;
        if (!ParseInteger(text, &v)) return Fail("Protocol error: invalid integer");
        break;
      }
      case ',':
        if (!ValidDouble(text)) return Fail("Protocol error: invalid double");
        break;
      case '(':
        if (!ValidBigNumber(text)) return Fail("Protocol error: invalid big number");
        break;
      case '#':
        if (text != "t" && text != "f") return Fail("Protocol error: invalid boolean");
        break;
      case '_':
        if (!text.empty()) return Fail("Protocol error: invalid null");
        break;
      case '$': case '!': case '=': {
        int64_t len;
        if (kind == '$' && text == "-1") {
          node.kind = '_';
          break;
        }
        if (!ParseInteger(text, &len) || len < 0 ||
            static_cast<uint64_t>(len) > limits_.max_bulk_len) {
          return Fail("Protocol error: invalid bulk length");
        }
        if (kind == '=' && len < 4) return Fail("Protocol error: invalid verbatim string");
        if (buffer.size() < next + len + 2) {
          scan_ = cr;  // the header is re-read next time; the payload is not scanned
          return {Status::kNeedMore, 0};
        }
        if (buffer.substr(next + len, 2) != "\r\n") {
          return Fail("Protocol error: blob not followed by CRLF");
        }
        if (kind == '=' && buffer[next + 3] != ':') {
          return Fail("Protocol error: invalid verbatim string");
        }
        node.off = next;
        node.len = static_cast<size_t>(len);
        next += len + 2;
        break;
      }
      case '*': case '~': case '%': case '>': case '|': {
        int64_t n;
        if (kind == '*' && text == "-1") {
          node.kind = '_';
          break;
        }
        if (!ParseInteger(text, &n) || n < 0 ||
            static_cast<uint64_t>(n) > limits_.max_multibulk_len) {
          return Fail("Protocol error: invalid multibulk length");
        }
        node.count = (kind == '%' || kind == '|') ? 2 * n : n;
        leaf = node.count == 0;
        break;
      }
      default:
        return Fail("Protocol error: invalid type byte");
    }
    nodes_.push_back(node);
    pos_ = scan_ = next;
    bool done;
    if (!leaf) {
      if (stack_.size() >= max_depth_) return Fail("Protocol error: nesting too deep");
      stack_.push_back({nodes_.size() - 1, node.count});
      done = false;
    } else {
      done = Finish();
    }
    if (done) {
      size_t i = 0;
      *out = Value{};
      Build(buffer, &i, out);
      const size_t consumed = pos_;
      nodes_.clear();
      pos_ = scan_ = 0;
      return {Status::kValue, consumed};
    }
  }
}

void ValueParser::Build(std::string_view buffer, size_t* i, Value* out) const {
  const Node& node = nodes_[(*i)++];
  if (node.kind == '|') {
    std::vector<Value> attributes(node.count);
    for (auto& a : attributes) Build(buffer, i, &a);
    Build(buffer, i, out);
    out->attributes = std::move(attributes);
    return;
  }
  out->type = TypeOf(node.kind);
  std::string_view text = buffer.substr(node.off, node.len);
  if (node.kind == '=') {
    out->format = std::string(text.substr(0, 3));
    text.remove_prefix(4);
  }
  if (node.kind == ':') ParseInteger(text, &out->integer);
  if (node.kind == '#') out->integer = text == "t" ? 1 : 0;
  if (IsAggregate(node.kind)) {
    out->elems.resize(node.count);
    for (auto& e : out->elems) Build(buffer, i, &e);
  } else if (node.kind != '_') {
    out->str = std::string(text);
  }
}

}  // namespace petacore::resp
