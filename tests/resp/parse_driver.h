// parse_driver.h — test helpers: encode commands, and feed a byte stream to a Parser in given
// pieces the way a connection does (append, parse until kNeedMore, drop consumed bytes).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "resp/parser.h"
#include "resp/value_parser.h"

namespace petacore::resp::testing {

using Args = std::vector<std::string>;

inline std::string MultiBulk(const Args& args) {
  // Appends only: GCC 12 misfires -Wrestrict on "literal" + std::string temporaries.
  std::string s(1, '*');
  s += std::to_string(args.size());
  s += "\r\n";
  for (const auto& a : args) {
    s += '$';
    s += std::to_string(a.size());
    s += "\r\n";
    s += a;
    s += "\r\n";
  }
  return s;
}

struct Outcome {
  std::vector<Args> commands;  // one entry per kCommand, including empty ones
  std::vector<bool> inline_form;
  bool error = false;
  std::string error_text;
  size_t leftover = 0;  // bytes received but not consumed at the end
};

/// Feeds `stream` to a fresh parser in pieces ending at `cuts` (increasing offsets). Before
/// each Parse the buffer is copied to a new allocation, checking that the parser keeps offsets
/// and not pointers.
inline Outcome Feed(std::string_view stream, const std::vector<size_t>& cuts, Limits limits = {}) {
  Parser parser(limits);
  Outcome result;
  std::string buffer;
  Command cmd;
  size_t fed = 0;
  auto pieces = cuts;
  pieces.push_back(stream.size());
  for (size_t end : pieces) {
    buffer.append(stream.substr(fed, end - fed));
    fed = end;
    while (true) {
      const std::string moved = buffer;  // a different address on every call
      const Parser::Result r = parser.Parse(moved, &cmd);
      if (r.status == Parser::Status::kNeedMore) break;
      if (r.status == Parser::Status::kError) {
        result.error = true;
        result.error_text = parser.error();
        result.leftover = buffer.size();
        return result;
      }
      result.commands.emplace_back(cmd.args.begin(), cmd.args.end());
      result.inline_form.push_back(cmd.inline_form);
      buffer.erase(0, r.consumed);
    }
  }
  result.leftover = buffer.size();
  return result;
}

inline Outcome FeedWhole(std::string_view stream, Limits limits = {}) {
  return Feed(stream, {}, limits);
}

/// What a ValueParser made of a stream: the values, the bytes each used, the error if any.
struct ValueOutcome {
  std::vector<Value> values;
  std::vector<size_t> consumed;
  bool error = false;
  std::string error_text;
  size_t leftover = 0;
};

/// As Feed, for resp::ValueParser (RESP2/RESP3 values instead of commands).
inline ValueOutcome FeedValues(std::string_view stream, const std::vector<size_t>& cuts,
                               Limits limits = {}, size_t max_depth = 64) {
  ValueParser parser(limits, max_depth);
  ValueOutcome result;
  std::string buffer;
  size_t fed = 0;
  auto pieces = cuts;
  pieces.push_back(stream.size());
  for (size_t end : pieces) {
    buffer.append(stream.substr(fed, end - fed));
    fed = end;
    while (true) {
      const std::string moved = buffer;  // a different address on every call
      Value value;
      const ValueParser::Result r = parser.Parse(moved, &value);
      if (r.status == ValueParser::Status::kNeedMore) break;
      if (r.status == ValueParser::Status::kError) {
        result.error = true;
        result.error_text = parser.error();
        result.leftover = buffer.size();
        return result;
      }
      result.values.push_back(std::move(value));
      result.consumed.push_back(r.consumed);
      buffer.erase(0, r.consumed);
    }
  }
  result.leftover = buffer.size();
  return result;
}

}  // namespace petacore::resp::testing
