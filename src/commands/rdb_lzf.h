// src/commands/rdb_lzf.h — LZF decompression (the format of liblzf, which Redis uses for
// RDB strings above 20 bytes when rdbcompression is on: RDB_ENC_LZF). Written from the
// format: a control byte below 32 starts a literal run of ctrl + 1 bytes; otherwise it is a
// back reference of length (ctrl >> 5) + 2 (7 meaning a further length byte is added) at
// distance ((ctrl & 31) << 8 | next byte) + 1 behind the output's end. Pure: thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace petacore::commands::rdb {

/// Decompresses `in` into `*out`, which must come out exactly `out_len` bytes long. Returns
/// false on a reference before the output's start, a run past `in` or past `out_len`, or a
/// short result (never reads or writes out of bounds).
bool LzfDecompress(std::string_view in, size_t out_len, std::string* out);

}  // namespace petacore::commands::rdb
