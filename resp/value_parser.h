// resp/value_parser.h — an incremental parser for any RESP2/RESP3 value (a reply, a push):
// the RESP3 types the request parser (parser.h) never sees from a client. For tests and for
// future use (a replica or proxy reading another server's replies).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "resp/parser.h"

namespace petacore::resp {

/// One parsed value, owning its bytes (values are for tests and tooling, not the hot path).
struct Value {
  enum class Type {
    kSimple,     ///< "+text"
    kError,      ///< "-text" or the blob error "!<len>\r\n<text>"
    kInteger,    ///< ":<int64>"
    kBulk,       ///< "$<len>\r\n<bytes>"
    kNull,       ///< "_", or RESP2's "$-1" / "*-1"
    kDouble,     ///< ",<text>": "1.5", "inf", "-inf", "nan", "1e10"
    kBoolean,    ///< "#t" / "#f"
    kBigNumber,  ///< "(<digits>"
    kVerbatim,   ///< "=<len>\r\n<fmt>:<text>": format in `format`, text in `str`
    kArray,      ///< "*<n>"
    kSet,        ///< "~<n>"
    kMap,        ///< "%<n>": `elems` holds key, value, key, value, ...
    kPush,       ///< "><n>"
  };
  Type type = Type::kNull;
  std::string str;     ///< text of simple/error/bulk/verbatim/double/big number
  std::string format;  ///< a verbatim string's three-byte format ("txt")
  int64_t integer = 0;  ///< kInteger's value; kBoolean's 1/0
  std::vector<Value> elems;       ///< aggregate elements (a map's are flattened pairs)
  std::vector<Value> attributes;  ///< a preceding "|<n>" attribute map's pairs, flattened

  bool operator==(const Value&) const = default;
};

/// Incremental parser of one RESP2/RESP3 value at a time, with the request parser's promises
/// (parser.h): call Parse with the whole buffer of received, not yet consumed bytes, again as
/// bytes arrive; kNeedMore consumes nothing and the next call resumes where it stopped (only
/// offsets are kept, so the buffer may be moved between calls); linear in the bytes received
/// however they are split; kValue leaves one complete value in `out` and says how many bytes
/// it used, so pipelined values are parsed one after another.
///
/// Limits (Limits from parser.h): a blob longer than max_bulk_len, an aggregate of more than
/// max_multibulk_len elements (a map counts its pairs) and a line longer than max_inline_len
/// are errors, as is nesting deeper than `max_depth`. Streamed types ("$?") are not accepted.
/// After kError the text is in error() and Parse keeps failing until Reset.
/// Not thread-safe: one parser per stream.
class ValueParser {
 public:
  enum class Status { kValue, kNeedMore, kError };
  struct Result {
    Status status;
    size_t consumed;  ///< bytes of the buffer the value used (0 unless kValue)
  };

  explicit ValueParser(Limits limits = {}, size_t max_depth = 64)
      : limits_(limits), max_depth_(max_depth) {}

  /// Parses at most one value from the front of `buffer` into `out`.
  Result Parse(std::string_view buffer, Value* out);
  const std::string& error() const { return error_; }
  void Reset();

 private:
  // A parsed element, kept as offsets until the whole value is there.
  struct Node {
    char kind;          // the type byte
    size_t off, len;    // the line's text, or a blob's payload
    int64_t count = 0;  // aggregate element count (a map's and an attribute's doubled)
  };
  // An aggregate still being filled: its node and how many elements are missing.
  struct Frame {
    size_t node;
    int64_t left;
  };

  Result Fail(std::string text);
  // Builds the Value of nodes_[*i] (and its children) from `buffer`; advances *i.
  void Build(std::string_view buffer, size_t* i, Value* out) const;
  // Accounts for one finished element; true when the top-level value is complete.
  bool Finish();

  Limits limits_;
  size_t max_depth_;
  std::string error_;
  bool failed_ = false;
  size_t pos_ = 0;   // bytes of the value already parsed
  size_t scan_ = 0;  // no CRLF before this offset in the current line
  std::vector<Node> nodes_;
  std::vector<Frame> stack_;
};

}  // namespace petacore::resp
