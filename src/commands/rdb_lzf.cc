// rdb_lzf.cc — LZF decompression (format: rdb_lzf.h).
#include "commands/rdb_lzf.h"

#include <algorithm>
#include <cstdint>

namespace petacore::commands::rdb {

bool LzfDecompress(std::string_view in, size_t out_len, std::string* out) {
  out->clear();
  // A back reference of 3 input bytes yields at most 264 output bytes: never reserve more
  // than the input can produce (a corrupt length must not allocate gigabytes).
  out->reserve(std::min(out_len, in.size() * 88 + 32));
  size_t ip = 0;
  while (ip < in.size()) {
    const auto ctrl = static_cast<uint8_t>(in[ip++]);
    if (ctrl < 32) {
      size_t run = ctrl + 1u;
      if (in.size() - ip < run || out->size() + run > out_len) return false;
      out->append(in.data() + ip, run);
      ip += run;
      continue;
    }
    size_t len = ctrl >> 5;
    if (len == 7) {
      if (ip >= in.size()) return false;
      len += static_cast<uint8_t>(in[ip++]);
    }
    if (ip >= in.size()) return false;
    size_t distance =
        ((static_cast<size_t>(ctrl & 0x1f) << 8) | static_cast<uint8_t>(in[ip++])) + 1;
    len += 2;
    if (distance > out->size() || out->size() + len > out_len) return false;
    size_t from = out->size() - distance;
    for (size_t i = 0; i < len; ++i) out->push_back((*out)[from + i]);  // may overlap
  }
  return out->size() == out_len;
}

}  // namespace petacore::commands::rdb
