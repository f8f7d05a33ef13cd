#include "keyspace/types/stream_id.h"

#include <cerrno>
#include <cstdlib>

namespace petacore::keyspace::types {
namespace {
// Redis's string2ull: a strict negative decimal is refused; anything else goes through
// strtoull (so leading blanks, a sign and leading zeros are accepted, as in Redis).
bool ParseU64(std::string_view s, uint64_t* out) {
  std::string buf(s);
  if (buf.size() > 1 && buf[0] == '-' && buf[1] >= '1' && buf[1] <= '9' &&
      buf.find_first_not_of("0123456789", 1) == std::string::npos) {
    return false;  // string2ll accepts it, and it is negative
  }
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(buf.c_str(), &end, 10);
  if (errno == EINVAL || errno == ERANGE || buf.empty() || *end != '\0') return false;
  if (buf.find('\0') != std::string::npos) return false;  // C strings end at a NUL
  *out = v;
  return true;
}
}  // namespace

std::string FormatStreamId(StreamId id) {
  return std::to_string(id.ms) + "-" + std::to_string(id.seq);
}

std::optional<ParsedStreamId> ParseStreamId(std::string_view arg, StreamIdParse how) {
  if (arg.size() > 127) return std::nullopt;
  if (arg == "-" || arg == "+") {
    if (how.strict) return std::nullopt;
    return ParsedStreamId{arg == "-" ? StreamId{} : StreamId::Max(), true};
  }
  ParsedStreamId out;
  size_t dash = arg.find('-');
  if (!ParseU64(arg.substr(0, dash), &out.id.ms)) return std::nullopt;
  if (dash == std::string_view::npos) {
    out.id.seq = how.missing_seq;
    return out;
  }
  std::string_view seq = arg.substr(dash + 1);
  if (how.allow_seq_star && seq == "*") {
    out.seq_given = false;
    return out;
  }
  if (!ParseU64(seq, &out.id.seq)) return std::nullopt;
  return out;
}

std::optional<StreamId> NextStreamId(StreamId id) {
  if (id.seq != UINT64_MAX) return StreamId{id.ms, id.seq + 1};
  if (id.ms != UINT64_MAX) return StreamId{id.ms + 1, 0};
  return std::nullopt;
}

std::optional<StreamId> PrevStreamId(StreamId id) {
  if (id.seq != 0) return StreamId{id.ms, id.seq - 1};
  if (id.ms != 0) return StreamId{id.ms - 1, UINT64_MAX};
  return std::nullopt;
}

void AppendU64(uint64_t v, std::string* out) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t ReadU64(std::string_view b) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(b[i]);
  return v;
}

void AppendStreamId(StreamId id, std::string* out) {
  AppendU64(id.ms, out);
  AppendU64(id.seq, out);
}

std::string EncodeStreamId(StreamId id) {
  std::string out;
  out.reserve(16);
  AppendStreamId(id, &out);
  return out;
}

StreamId DecodeStreamId(std::string_view b) { return {ReadU64(b), ReadU64(b.substr(8))}; }

}  // namespace petacore::keyspace::types
