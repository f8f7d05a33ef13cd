// src/keyspace/types/hll.h — Redis's HyperLogLog as pure functions over a string's bytes (PFADD,
// PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST). The format and the algorithm are Redis 7.0's
// (hyperloglog.c, read, not copied): MurmurHash64A with seed 0xadc83b19, 2^14 registers of 6
// bits, the 16-byte "HYLL" header (magic, encoding byte, 3 unused bytes, 8-byte little-endian
// cached cardinality whose MSB set means "invalid"), the sparse encoding (ZERO / XZERO / VAL
// opcodes, edited in place exactly as Redis's hllSparseSet, so the bytes equal Redis's for the
// same commands) promoted to dense past `sparse_max_bytes` (hll-sparse-max-bytes), and Ertl's
// estimator with the tau/sigma corrections (Redis 7.0's hllCount). No TxnView, no parsing, no
// replies (src/commands/hll_family.cc). Every function is pure and thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace petacore::keyspace::types::hll {

inline constexpr int kP = 14;               ///< register index bits (Redis HLL_P)
inline constexpr int kQ = 64 - kP;          ///< hash bits for the run (HLL_Q)
inline constexpr int kRegisters = 1 << kP;  ///< 16384
inline constexpr int kBits = 6;             ///< bits per dense register
inline constexpr size_t kHeaderSize = 16;   ///< "HYLL", encoding, 3 unused, card[8]
inline constexpr size_t kDenseSize = kHeaderSize + (kRegisters * kBits + 7) / 8;  ///< 12304
inline constexpr uint8_t kDense = 0;  ///< encoding byte values
inline constexpr uint8_t kSparse = 1;

/// Every register's value, one byte each (PFCOUNT of several keys, PFMERGE).
using Registers = std::array<uint8_t, kRegisters>;

/// Redis's MurmurHash64A (little-endian reads), as hyperloglog.c hashes elements.
uint64_t MurmurHash64A(std::string_view data, uint64_t seed);

/// The register an element lands in and its run length ("000..1" pattern, 1..Q+1), as
/// Redis's hllPatLen.
int PatternLength(std::string_view element, int* index);

/// Whether `bytes` is a string Redis accepts as an HLL (isHLLObjectOrReply): at least a
/// header, the "HYLL" magic, encoding 0 or 1, and the exact dense size when dense. A sparse
/// body is only checked when it is used (corrupt → the callers' INVALIDOBJ).
bool IsHll(std::string_view bytes);
/// The encoding byte of a valid HLL (kDense or kSparse).
inline uint8_t Encoding(std::string_view hll) { return static_cast<uint8_t>(hll[4]); }

/// A new empty HLL, as Redis's createHLLObject: sparse, one XZERO opcode covering every
/// register, cached cardinality 0 (valid). 18 bytes.
std::string NewSparse();

/// Adds `element` to `hll` (a valid HLL), as Redis's hllAdd: 1 when a register changed (the
/// cache is then invalidated by the caller, as PFADD), 0 when not, -1 when the sparse body is
/// corrupt (`hll` may be partly changed then; callers drop it). A sparse HLL that would grow
/// past `sparse_max_bytes`, or needs a value above 32, is promoted to dense.
int Add(std::string& hll, std::string_view element, size_t sparse_max_bytes);

/// Raises register `index` of `hll` to `count` if larger (Redis's hllDenseSet / hllSparseSet,
/// promotion included): 1 changed, 0 not, -1 corrupt sparse body.
int SetRegister(std::string& hll, int index, uint8_t count, size_t sparse_max_bytes);

/// Converts a sparse HLL to dense in place (Redis's hllSparseToDense; the header, cached
/// cardinality included, is kept). True when already dense; false when the sparse body is
/// corrupt (`hll` unchanged).
bool ToDense(std::string& hll);

/// Sets the invalid bit of the cached cardinality (Redis's HLL_INVALIDATE_CACHE).
void InvalidateCache(std::string& hll);
/// The cached cardinality when its invalid bit is clear.
std::optional<uint64_t> CachedCardinality(std::string_view hll);
/// Stores `card` as the valid cached cardinality.
void SetCachedCardinality(std::string& hll, uint64_t card);

/// The estimated cardinality of a valid HLL (Redis's hllCount); nullopt when the sparse body
/// does not cover exactly 2^14 registers (INVALIDOBJ).
std::optional<uint64_t> Count(std::string_view hll);
/// The estimate over one-byte registers (PFCOUNT of several keys: the HLL_RAW case).
uint64_t CountRegisters(const Registers& registers);

/// max[i] = MAX(max[i], register i of `hll`) for a valid HLL (Redis's hllMerge); false when
/// the sparse body is corrupt.
bool MergeInto(Registers& max, std::string_view hll);

/// Register `index` of a dense HLL.
uint8_t DenseRegister(std::string_view hll, int index);

/// PFDEBUG DECODE's text of a sparse HLL's opcodes ("z:LEN", "Z:LEN", "v:VAL,LEN" separated by
/// spaces), as Redis prints it.
std::string DecodeSparse(std::string_view hll);

/// PFSELFTEST: register access, and the estimate's error up to 10^7 elements with a sparse
/// and a dense HLL side by side (they must agree, the sparse one must stay sparse below
/// sparse_max_bytes/2 elements). "" when it passes, else Redis's "TESTFAILED ..." text
/// (without the leading '-'). `seed` stands for Redis's rand(). Takes seconds.
std::string SelfTest(size_t sparse_max_bytes, uint64_t seed);

}  // namespace petacore::keyspace::types::hll
