// resp/reply.h — the reply writer: Redis reply types serialized onto a byte string.
//
// Appends to a caller-owned std::string so that a pipeline's replies are coalesced into one
// buffer and written with one socket write. Does no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace petacore::resp {

/// Appends RESP-encoded replies to `out` (not owned; must outlive the writer).
/// protocol 2 = RESP2 (the default, as HELLO 2); 3 = RESP3 (null is "_", maps are "%", ...).
/// Not thread-safe; cheap to construct (two words).
class ReplyWriter {
 public:
  explicit ReplyWriter(std::string* out, int protocol = 2) : out_(out), protocol_(protocol) {}

  int protocol() const { return protocol_; }
  void set_protocol(int protocol) { protocol_ = protocol; }
  std::string* buffer() const { return out_; }

  /// "+OK\r\n". CR and LF inside `s` are replaced by spaces, as Redis's addReplyStatus.
  void Simple(std::string_view s);
  void Ok() { out_->append("+OK\r\n", 5); }
  /// "-<text>\r\n". `text` carries its own prefix ("ERR ...", "WRONGTYPE ...",
  /// "EXECABORT ..."); a text not starting with an upper-case word gets "ERR " prepended as
  /// Redis's addReplyError does. CR/LF are replaced by spaces.
  void Error(std::string_view text);
  /// ":<n>\r\n"
  void Integer(int64_t n);
  /// "$<len>\r\n<bytes>\r\n" — binary safe.
  void Bulk(std::string_view s);
  /// Null bulk string: "$-1\r\n" in RESP2, "_\r\n" in RESP3.
  void NullBulk();
  /// "*<n>\r\n": the caller then writes n replies.
  void ArrayHeader(size_t n);
  /// Null array: "*-1\r\n" in RESP2 (EXEC aborted by WATCH), "_\r\n" in RESP3.
  void NullArray();
  /// A map of n pairs: "%<n>" in RESP3, an array of 2n elements in RESP2.
  void MapHeader(size_t n);
  /// A double as Redis formats it: a bulk string in RESP2 (e.g. INCRBYFLOAT's "10.5"),
  /// ",<d>\r\n" in RESP3. Uses the shortest representation that round-trips ("%.17g" style
  /// trimmed), "inf"/"-inf" for infinities.
  void Double(double d);
  /// Appends raw, already-encoded RESP bytes.
  void Raw(std::string_view encoded) { out_->append(encoded); }

 private:
  std::string* out_;
  int protocol_;
};

}  // namespace petacore::resp
