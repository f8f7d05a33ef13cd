// resp_parser_fuzz.cc — libFuzzer target for resp::Parser.
//
// Input: byte 0 picks the limits and how the rest is cut into reads; the rest is a client's
// byte stream. The stream is parsed whole and again in pieces, the way a connection receives
// it (parse_driver.h: every Parse sees a fresh copy, so offsets, not pointers, must carry the
// state). Both must give the same commands and the same error: the parser promises that its
// result does not depend on how bytes are split. The same stream, read as RESP2/RESP3 values
// (replies, pushes: resp::ValueParser), must likewise give the same values whole and split.
// Sanitizers catch the memory errors.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "resp/parser.h"
#include "tests/resp/parse_driver.h"

namespace {

using petacore::resp::Limits;
using petacore::resp::testing::Feed;
using petacore::resp::testing::FeedValues;
using petacore::resp::testing::Outcome;

// Small limits make the "too big" paths reachable with small inputs.
Limits PickLimits(uint8_t control) {
  Limits limits;
  if (control & 1) {
    limits.max_bulk_len = 64;
    limits.max_multibulk_len = 16;
    limits.max_inline_len = 48;
  }
  return limits;
}

// Cut offsets from a seed: up to 16 increasing offsets inside the stream.
std::vector<size_t> PickCuts(uint8_t control, size_t size) {
  std::vector<size_t> cuts;
  if (size < 2) return cuts;
  uint32_t state = control * 2654435761u + 1;
  size_t at = 0;
  for (int i = 0; i < 16; ++i) {
    state = state * 1103515245u + 12345u;
    at += 1 + (state >> 16) % (control & 2 ? 3 : 17);  // byte-by-byte-ish or wider pieces
    if (at >= size) break;
    cuts.push_back(at);
  }
  return cuts;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t control = data[0];
  std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  const Limits limits = PickLimits(control);
  Outcome whole = Feed(stream, {}, limits);
  Outcome split = Feed(stream, PickCuts(control, stream.size()), limits);
  if (whole.commands != split.commands || whole.inline_form != split.inline_form ||
      whole.error != split.error || whole.error_text != split.error_text ||
      (!whole.error && whole.leftover != split.leftover)) {
    std::abort();  // the result depends on how the bytes were split
  }
  const size_t depth = control & 4 ? 3 : 64;
  auto values_whole = FeedValues(stream, {}, limits, depth);
  auto values_split = FeedValues(stream, PickCuts(control, stream.size()), limits, depth);
  if (values_whole.values != values_split.values ||
      values_whole.consumed != values_split.consumed ||
      values_whole.error != values_split.error ||
      values_whole.error_text != values_split.error_text ||
      (!values_whole.error && values_whole.leftover != values_split.leftover)) {
    std::abort();
  }
  return 0;
}
