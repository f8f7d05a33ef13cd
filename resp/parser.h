// resp/ — the Redis serialization protocol: requests (this file), replies in RESP2 or RESP3
// (reply.h) and RESP2/RESP3 values read back (value_parser.h).
//
// This module owns turning bytes into commands and replies into bytes. It must never do
// I/O, never know about storage, and never allocate one string per argument: a parsed
// command is a list of views into the caller's input buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace petacore::resp {

/// Protocol limits, as Redis's proto-max-bulk-len, the multibulk count cap and the inline
/// buffer cap. All sizes are in bytes except max_multibulk_len (arguments).
struct Limits {
  size_t max_bulk_len = 512ull * 1024 * 1024;  ///< Redis proto-max-bulk-len default (512 MB).
  /// Redis 7 accepts up to INT_MAX arguments from an authenticated client; memory stays bound
  /// by the bytes actually received (argument slots are reserved at most 1024 at a time).
  size_t max_multibulk_len = 2147483647;
  size_t max_inline_len = 64 * 1024;           ///< PROTO_INLINE_MAX_SIZE: an inline line or a
                                               ///< "*"/"$" header line without CRLF past this.
};

/// One parsed command. Every view points into the buffer passed to Parser::Parse and stays
/// valid only while the caller keeps those bytes unchanged (see Parser::Parse). Exception: an
/// inline argument that used quotes or escapes ("a\x41") has no contiguous copy in the buffer,
/// so its view points into the parser's own storage, valid until the next Parse or Reset.
struct Command {
  std::vector<std::string_view> args;  ///< args[0] is the command name, as sent (any case).
  bool inline_form = false;            ///< true when it came as an inline (telnet) command.
};

/// Incremental RESP2 request parser: multibulk ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") and inline
/// ("GET k\r\n", with Redis's quoting rules) commands, binary safe.
///
/// Usage: the caller keeps a buffer of received, not yet consumed bytes and calls Parse with
/// the whole buffer, again and again as bytes arrive. kNeedMore consumes nothing but remembers
/// how far it got, so the caller must pass the same bytes (possibly followed by more) on the
/// next call. The parser stores only offsets, so the buffer may be moved or reallocated between
/// calls as long as its content is preserved; a half-received payload is never rescanned, so
/// parsing is linear in the bytes received however they are split. On kCommand
/// the first `consumed` bytes hold exactly one command; the caller drops them (after using the
/// views) and calls Parse again for the next pipelined command.
///
/// Errors follow Redis (networking.c): the reply text is in error(), e.g.
/// "Protocol error: invalid bulk length"; after kError the connection must be closed (Parse
/// keeps returning kError until Reset). As in Redis, the two bytes after a "*<n>"/"$<n>" line's
/// '\r' and after a bulk payload are skipped without being checked to be "\r\n". Unlike Redis,
/// the line-length limit does not depend on how the bytes were split into reads: a header or
/// inline line longer than Limits::max_inline_len is an error even if its terminator is there.
/// Not thread-safe: one parser per connection.
class Parser {
 public:
  enum class Status { kCommand, kNeedMore, kError };
  struct Result {
    Status status;
    size_t consumed;  ///< bytes of the buffer that the returned command used (0 unless kCommand)
  };

  explicit Parser(Limits limits = {});

  /// Parses at most one command from the front of `buffer` into `out` (cleared first).
  /// An empty inline line (a bare "\r\n") and a multibulk count <= 0 ("*0\r\n", "*-1\r\n")
  /// are skipped silently as Redis does: consumed and reported as kCommand with out->args empty.
  Result Parse(std::string_view buffer, Command* out);

  /// The Redis error text after kError, without the leading '-' and CRLF.
  const std::string& error() const { return error_; }

  /// Forgets any partial progress (e.g. after the caller dropped its buffer).
  void Reset();

  /// Bytes examined by line-terminator searches since construction: the parser's work
  /// measured in bytes, independent of the machine's speed (tests assert it is linear in the
  /// input, however the input is split). Bulk payloads are never searched.
  size_t scanned_bytes() const { return scanned_bytes_; }

 private:
  Result Fail(std::string text);
  Result ParseInline(std::string_view buffer, Command* out);
  // Finds the terminator `term` of the line starting at pos_; false if it is not there yet or
  // the line is too long (then failed_ is set with `too_big` as the error).
  bool FindLineEnd(std::string_view buffer, char term, const char* too_big, size_t* at);
  Result Complete(std::string_view buffer, Command* out);

  Limits limits_;
  std::string error_;
  bool failed_ = false;
  // Resume state of the command in progress; all offsets are from the buffer's start.
  size_t pos_ = 0;                 // bytes of it already parsed (headers and whole args)
  size_t scan_ = 0;                // the current line has no terminator before this offset
  int64_t multibulk_left_ = -1;    // args still expected; -1 until "*<n>" is parsed
  int64_t pending_bulk_len_ = -1;  // payload length of the next arg; -1 until "$<n>" is parsed
  std::vector<std::pair<size_t, size_t>> spans_;  // (offset, length) of complete args
  std::string scratch_;                           // unescaped quoted inline args (see Command)
  size_t scanned_bytes_ = 0;                      // see scanned_bytes()
};

}  // namespace petacore::resp
