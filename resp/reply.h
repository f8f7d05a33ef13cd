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
  /// "-<text>\r\n". `text` carries its own code ("ERR ...", "WRONGTYPE ...", "EXECABORT ...");
  /// a text not starting with an error code (a word of two or more letters A-Z followed by a
  /// space) gets "ERR " prepended. As in Redis's addReplyErrorLength, a text starting with '-'
  /// is sent as is ("-NOSCRIPT ..."). CR/LF are replaced by spaces.
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
  /// A double as Redis 7.0's addReplyDouble (ZSCORE, ZINCRBY, GEODIST): the text is "%.17g"
  /// ("1.5", "0.10000000000000001"), "inf"/"-inf"; a bulk string in RESP2, ",<text>\r\n" in
  /// RESP3. Not for INCRBYFLOAT, whose reply is long double "%.17Lf" with trailing zeros
  /// trimmed: format that in the command and send it with Bulk.
  void Double(double d);
  /// A set of n elements: "~<n>" in RESP3 (SMEMBERS, SINTER, ...), an array in RESP2; the
  /// caller then writes n replies.
  void SetHeader(size_t n);
  /// An out-of-band push of n elements: "><n>" in RESP3 (invalidate, message, ...), an array
  /// in RESP2 (where only a subscribed connection receives pushes, as Redis's addReplyPushLen).
  void PushHeader(size_t n);
  /// A boolean: "#t"/"#f" in RESP3, ":1"/":0" in RESP2 (as Redis's addReplyBool).
  void Boolean(bool b);
  /// A big number given as its decimal digits (optional '-'): "(<digits>" in RESP3, a bulk
  /// string in RESP2 (as Redis's addReplyBigNum).
  void BigNumber(std::string_view digits);
  /// A verbatim string: "=<len>\r\n<format>:<text>\r\n" in RESP3, where `format` is three
  /// bytes ("txt", "mkd"); a bulk string of `text` alone in RESP2 (as Redis's
  /// addReplyVerbatim: INFO, CLIENT LIST, CLIENT INFO, LATENCY DOCTOR).
  void Verbatim(std::string_view format, std::string_view text);
  /// Appends raw, already-encoded RESP bytes.
  void Raw(std::string_view encoded) { out_->append(encoded); }

 private:
  std::string* out_;
  int protocol_;
};

}  // namespace petacore::resp
