// src/keyspace/types/hll.cc — Redis 7.0's HyperLogLog over string bytes (see hll.h).
#include "keyspace/types/hll.h"

#include <cmath>
#include <cstring>
#include <random>

namespace petacore::keyspace::types::hll {

namespace {

constexpr uint64_t kHashSeed = 0xadc83b19ULL;
constexpr int kRegisterMax = (1 << kBits) - 1;
constexpr double kAlphaInf = 0.721347520444481703680;  // 0.5 / ln(2)

// Sparse opcodes: 00xxxxxx ZERO (len 1..64), 01xxxxxx xxxxxxxx XZERO (len 1..16384),
// 1vvvvvxx VAL (value 1..32, len 1..4).
constexpr uint8_t kXZeroBit = 0x40;
constexpr uint8_t kValBit = 0x80;
constexpr int kValMaxValue = 32;
constexpr int kValMaxLen = 4;
constexpr int kZeroMaxLen = 64;
constexpr int kXZeroMaxLen = 16384;

// The byte at `i`, 0 past the end (Redis reads the sds terminator there).
uint8_t At(std::string_view s, size_t i) { return i < s.size() ? static_cast<uint8_t>(s[i]) : 0; }

bool IsZero(uint8_t b) { return (b & 0xc0) == 0; }
bool IsXZero(uint8_t b) { return (b & 0xc0) == kXZeroBit; }
bool IsVal(uint8_t b) { return (b & kValBit) != 0; }
int ZeroLen(uint8_t b) { return (b & 0x3f) + 1; }
int XZeroLen(uint8_t b0, uint8_t b1) { return (((b0 & 0x3f) << 8) | b1) + 1; }
int ValValue(uint8_t b) { return ((b >> 2) & 0x1f) + 1; }
int ValLen(uint8_t b) { return (b & 0x3) + 1; }
uint8_t ValOp(int value, int len) {
  return static_cast<uint8_t>(((value - 1) << 2 | (len - 1)) | kValBit);
}
uint8_t ZeroOp(int len) { return static_cast<uint8_t>(len - 1); }
void AppendXZero(std::string& out, int len) {
  int l = len - 1;
  out.push_back(static_cast<char>((l >> 8) | kXZeroBit));
  out.push_back(static_cast<char>(l & 0xff));
}

// Dense registers start after the header; the last register's "next byte" is past the end
// (Redis's terminator) and only ever receives zero bits, so it is skipped.
uint8_t GetDense(const uint8_t* regs, size_t regs_len, int index) {
  size_t byte = static_cast<size_t>(index) * kBits / 8;
  unsigned fb = static_cast<unsigned>(index) * kBits & 7;
  unsigned long b0 = regs[byte];
  unsigned long b1 = byte + 1 < regs_len ? regs[byte + 1] : 0;
  return static_cast<uint8_t>(((b0 >> fb) | (b1 << (8 - fb))) & kRegisterMax);
}

void SetDense(uint8_t* regs, size_t regs_len, int index, uint8_t val) {
  size_t byte = static_cast<size_t>(index) * kBits / 8;
  unsigned fb = static_cast<unsigned>(index) * kBits & 7;
  unsigned fb8 = 8 - fb;
  unsigned long v = val;
  regs[byte] &= static_cast<uint8_t>(~(kRegisterMax << fb));
  regs[byte] |= static_cast<uint8_t>(v << fb);
  if (byte + 1 < regs_len) {
    regs[byte + 1] &= static_cast<uint8_t>(~(kRegisterMax >> fb8));
    regs[byte + 1] |= static_cast<uint8_t>(v >> fb8);
  }
}

uint8_t* DenseRegs(std::string& hll) {
  return reinterpret_cast<uint8_t*>(hll.data()) + kHeaderSize;
}
const uint8_t* DenseRegs(std::string_view hll) {
  return reinterpret_cast<const uint8_t*>(hll.data()) + kHeaderSize;
}

int DenseSet(std::string& hll, int index, uint8_t count) {
  size_t n = hll.size() - kHeaderSize;
  if (count > GetDense(DenseRegs(hll), n, index)) {
    SetDense(DenseRegs(hll), n, index, count);
    return 1;
  }
  return 0;
}

// Redis's hllSigma and hllTau (Ertl, "New cardinality estimation algorithms for HyperLogLog
// sketches", arXiv:1702.01284).
double Sigma(double x) {
  if (x == 1.) return INFINITY;
  double z_prime;
  double y = 1;
  double z = x;
  do {
    x *= x;
    z_prime = z;
    z += x * y;
    y += y;
  } while (z_prime != z);
  return z;
}

double Tau(double x) {
  if (x == 0. || x == 1.) return 0.;
  double z_prime;
  double y = 1.0;
  double z = 1 - x;
  do {
    x = std::sqrt(x);
    z_prime = z;
    y *= 0.5;
    z -= std::pow(1 - x, 2) * y;
  } while (z_prime != z);
  return z / 3;
}

uint64_t Estimate(const int* histo) {
  double m = kRegisters;
  double z = m * Tau((m - histo[kQ + 1]) / m);
  for (int j = kQ; j >= 1; --j) {
    z += histo[j];
    z *= 0.5;
  }
  z += m * Sigma(histo[0] / m);
  double e = static_cast<double>(std::llroundl(kAlphaInf * m * m / z));
  return static_cast<uint64_t>(e);
}

// The sparse body's histogram; false when its runs do not add up to 2^14 registers.
bool SparseHisto(std::string_view hll, int* histo) {
  int idx = 0;
  size_t p = kHeaderSize, end = hll.size();
  while (p < end) {
    uint8_t b = At(hll, p);
    if (IsZero(b)) {
      int run = ZeroLen(b);
      idx += run;
      histo[0] += run;
      p++;
    } else if (IsXZero(b)) {
      int run = XZeroLen(b, At(hll, p + 1));
      idx += run;
      histo[0] += run;
      p += 2;
    } else {
      int run = ValLen(b);
      idx += run;
      histo[ValValue(b)] += run;
      p++;
    }
  }
  return idx == kRegisters;
}

}  // namespace

uint64_t MurmurHash64A(std::string_view key, uint64_t seed) {
  const uint64_t m = 0xc6a4a7935bd1e995ULL;
  const int r = 47;
  const size_t len = key.size();
  // Redis passes the length as an int and the seed as an unsigned int.
  uint64_t h = static_cast<uint32_t>(seed) ^ (static_cast<uint64_t>(static_cast<int>(len)) * m);
  const auto* data = reinterpret_cast<const uint8_t*>(key.data());
  const uint8_t* end = data + (len - (len & 7));
  while (data != end) {
    uint64_t k = 0;
    for (int i = 7; i >= 0; --i) k = (k << 8) | data[i];
    k *= m;
    k ^= k >> r;
    k *= m;
    h ^= k;
    h *= m;
    data += 8;
  }
  switch (len & 7) {
    case 7:
      h ^= static_cast<uint64_t>(data[6]) << 48;
      [[fallthrough]];
    case 6:
      h ^= static_cast<uint64_t>(data[5]) << 40;
      [[fallthrough]];
    case 5:
      h ^= static_cast<uint64_t>(data[4]) << 32;
      [[fallthrough]];
    case 4:
      h ^= static_cast<uint64_t>(data[3]) << 24;
      [[fallthrough]];
    case 3:
      h ^= static_cast<uint64_t>(data[2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= static_cast<uint64_t>(data[1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= static_cast<uint64_t>(data[0]);
      h *= m;
  }
  h ^= h >> r;
  h *= m;
  h ^= h >> r;
  return h;
}

int PatternLength(std::string_view element, int* index) {
  uint64_t hash = MurmurHash64A(element, kHashSeed);
  *index = static_cast<int>(hash & (kRegisters - 1));
  hash >>= kP;
  hash |= uint64_t{1} << kQ;  // the loop ends, count <= Q + 1
  int count = 1;
  uint64_t bit = 1;
  while ((hash & bit) == 0) {
    count++;
    bit <<= 1;
  }
  return count;
}

bool IsHll(std::string_view bytes) {
  if (bytes.size() < kHeaderSize) return false;
  if (bytes.substr(0, 4) != "HYLL") return false;
  uint8_t enc = static_cast<uint8_t>(bytes[4]);
  if (enc > kSparse) return false;
  if (enc == kDense && bytes.size() != kDenseSize) return false;
  return true;
}

std::string NewSparse() {
  std::string s("HYLL", 4);
  s.push_back(static_cast<char>(kSparse));
  s.append(11, '\0');
  for (int left = kRegisters; left > 0;) {
    int run = left < kXZeroMaxLen ? left : kXZeroMaxLen;
    AppendXZero(s, run);
    left -= run;
  }
  return s;
}

bool ToDense(std::string& hll) {
  if (Encoding(hll) == kDense) return true;
  std::string dense(kDenseSize, '\0');
  std::memcpy(dense.data(), hll.data(), kHeaderSize);
  dense[4] = static_cast<char>(kDense);
  uint8_t* regs = DenseRegs(dense);
  const size_t regs_len = kDenseSize - kHeaderSize;
  int idx = 0;
  size_t p = kHeaderSize, end = hll.size();
  while (p < end) {
    uint8_t b = At(hll, p);
    if (IsZero(b)) {
      idx += ZeroLen(b);
      p++;
    } else if (IsXZero(b)) {
      idx += XZeroLen(b, At(hll, p + 1));
      p += 2;
    } else {
      int run = ValLen(b);
      int val = ValValue(b);
      if (run + idx > kRegisters) break;  // overflow
      while (run--) SetDense(regs, regs_len, idx++, static_cast<uint8_t>(val));
      p++;
    }
  }
  if (idx != kRegisters) return false;
  hll = std::move(dense);
  return true;
}

namespace {

// Redis's hllSparseSet on a std::string, byte for byte.
int SparseSet(std::string& s, int index, uint8_t count, size_t sparse_max_bytes) {
  bool promote = count > kValMaxValue;
  if (!promote) {
    const size_t sparse = kHeaderSize;
    size_t p = sparse, end = s.size();
    long first = 0, span = 0;
    std::optional<size_t> prev;
    while (p < end) {
      size_t oplen = 1;
      uint8_t b = At(s, p);
      if (IsZero(b)) {
        span = ZeroLen(b);
      } else if (IsVal(b)) {
        span = ValLen(b);
      } else {
        span = XZeroLen(b, At(s, p + 1));
        oplen = 2;
      }
      if (index <= first + span - 1) break;
      prev = p;
      p += oplen;
      first += span;
    }
    if (span == 0 || p >= end) return -1;  // invalid format

    uint8_t op = At(s, p);
    bool is_zero = false, is_xzero = false, is_val = false;
    long runlen;
    if (IsZero(op)) {
      is_zero = true;
      runlen = ZeroLen(op);
    } else if (IsXZero(op)) {
      is_xzero = true;
      runlen = XZeroLen(op, At(s, p + 1));
    } else {
      is_val = true;
      runlen = ValLen(op);
    }
    size_t next_pos = is_xzero ? p + 2 : p + 1;
    bool has_next = next_pos < end;

    bool in_place = false;
    if (is_val) {
      if (ValValue(op) >= count) return 0;  // case A: no update needed
      if (runlen == 1) {                    // case B
        s[p] = static_cast<char>(ValOp(count, 1));
        in_place = true;
      }
    }
    if (!in_place && is_zero && runlen == 1) {  // case C
      s[p] = static_cast<char>(ValOp(count, 1));
      in_place = true;
    }
    if (!in_place) {
      // Case D: split the opcode into up to three (at most 5 bytes).
      std::string seq;
      long last = first + span - 1;
      if (is_zero || is_xzero) {
        if (index != first) {
          long len = index - first;
          if (len > kZeroMaxLen) {
            AppendXZero(seq, static_cast<int>(len));
          } else {
            seq.push_back(static_cast<char>(ZeroOp(static_cast<int>(len))));
          }
        }
        seq.push_back(static_cast<char>(ValOp(count, 1)));
        if (index != last) {
          long len = last - index;
          if (len > kZeroMaxLen) {
            AppendXZero(seq, static_cast<int>(len));
          } else {
            seq.push_back(static_cast<char>(ZeroOp(static_cast<int>(len))));
          }
        }
      } else {
        int curval = ValValue(op);
        if (index != first)
          seq.push_back(static_cast<char>(ValOp(curval, static_cast<int>(index - first))));
        seq.push_back(static_cast<char>(ValOp(count, 1)));
        if (index != last)
          seq.push_back(static_cast<char>(ValOp(curval, static_cast<int>(last - index))));
      }
      long oldlen = is_xzero ? 2 : 1;
      long delta = static_cast<long>(seq.size()) - oldlen;
      if (delta > 0 && s.size() + delta > sparse_max_bytes) {
        promote = true;
      } else {
        size_t new_len = s.size() + delta;
        std::string out;
        out.reserve(new_len + 1);
        out.append(s, 0, p);
        out += seq;
        if (has_next) out.append(s, next_pos, std::string::npos);
        out.resize(new_len, '\0');
        s = std::move(out);
      }
    }
    if (!promote) {
      // Step 4: merge adjacent VAL opcodes of equal value, scanning up to 5 opcodes from prev.
      end = s.size();
      size_t q = prev ? *prev : sparse;
      int scanlen = 5;
      while (q < end && scanlen--) {
        uint8_t b = At(s, q);
        if (IsXZero(b)) {
          q += 2;
          continue;
        }
        if (IsZero(b)) {
          q++;
          continue;
        }
        if (q + 1 < end && IsVal(At(s, q + 1))) {
          int v1 = ValValue(b);
          int v2 = ValValue(At(s, q + 1));
          if (v1 == v2) {
            int len = ValLen(b) + ValLen(At(s, q + 1));
            if (len <= kValMaxLen) {
              s[q + 1] = static_cast<char>(ValOp(v1, len));
              s.erase(q, 1);
              end--;
              continue;
            }
          }
        }
        q++;
      }
      InvalidateCache(s);
      return 1;
    }
  }
  // Promote to dense, then set the register there (it always changes: a sparse HLL is only
  // promoted for a register that needs an update).
  if (!ToDense(s)) return -1;
  return DenseSet(s, index, count);
}

}  // namespace

int SetRegister(std::string& hll, int index, uint8_t count, size_t sparse_max_bytes) {
  switch (Encoding(hll)) {
    case kDense:
      return DenseSet(hll, index, count);
    case kSparse:
      return SparseSet(hll, index, count, sparse_max_bytes);
    default:
      return -1;
  }
}

int Add(std::string& hll, std::string_view element, size_t sparse_max_bytes) {
  int index;
  int count = PatternLength(element, &index);
  return SetRegister(hll, index, static_cast<uint8_t>(count), sparse_max_bytes);
}

void InvalidateCache(std::string& hll) { hll[15] = static_cast<char>(hll[15] | 0x80); }

std::optional<uint64_t> CachedCardinality(std::string_view hll) {
  if (static_cast<uint8_t>(hll[15]) & 0x80) return std::nullopt;
  uint64_t card = 0;
  for (int i = 7; i >= 0; --i) card = (card << 8) | static_cast<uint8_t>(hll[8 + i]);
  return card;
}

void SetCachedCardinality(std::string& hll, uint64_t card) {
  for (int i = 0; i < 8; ++i) hll[8 + i] = static_cast<char>((card >> (8 * i)) & 0xff);
}

std::optional<uint64_t> Count(std::string_view hll) {
  int histo[64] = {0};
  if (Encoding(hll) == kDense) {
    const uint8_t* regs = DenseRegs(hll);
    size_t n = hll.size() - kHeaderSize;
    for (int i = 0; i < kRegisters; ++i) histo[GetDense(regs, n, i)]++;
  } else if (!SparseHisto(hll, histo)) {
    return std::nullopt;
  }
  return Estimate(histo);
}

uint64_t CountRegisters(const Registers& registers) {
  int histo[256] = {0};  // raw registers are at most Q+1, but any byte stays in bounds
  for (uint8_t r : registers) histo[r]++;
  return Estimate(histo);
}

bool MergeInto(Registers& max, std::string_view hll) {
  if (Encoding(hll) == kDense) {
    const uint8_t* regs = DenseRegs(hll);
    size_t n = hll.size() - kHeaderSize;
    for (int i = 0; i < kRegisters; ++i) {
      uint8_t v = GetDense(regs, n, i);
      if (v > max[i]) max[i] = v;
    }
    return true;
  }
  int i = 0;
  size_t p = kHeaderSize, end = hll.size();
  while (p < end) {
    uint8_t b = At(hll, p);
    if (IsZero(b)) {
      i += ZeroLen(b);
      p++;
    } else if (IsXZero(b)) {
      i += XZeroLen(b, At(hll, p + 1));
      p += 2;
    } else {
      int run = ValLen(b);
      uint8_t val = static_cast<uint8_t>(ValValue(b));
      if (run + i > kRegisters) break;  // overflow
      while (run--) {
        if (val > max[i]) max[i] = val;
        i++;
      }
      p++;
    }
  }
  return i == kRegisters;
}

uint8_t DenseRegister(std::string_view hll, int index) {
  return GetDense(DenseRegs(hll), hll.size() - kHeaderSize, index);
}

std::string DecodeSparse(std::string_view hll) {
  std::string out;
  size_t p = kHeaderSize, end = hll.size();
  while (p < end) {
    uint8_t b = At(hll, p);
    if (IsZero(b)) {
      out += "z:" + std::to_string(ZeroLen(b)) + " ";
      p++;
    } else if (IsXZero(b)) {
      out += "Z:" + std::to_string(XZeroLen(b, At(hll, p + 1))) + " ";
      p += 2;
    } else {
      out += "v:" + std::to_string(ValValue(b)) + "," + std::to_string(ValLen(b)) + " ";
      p++;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string SelfTest(size_t sparse_max_bytes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  // Test 1: every register keeps its value and leaves its neighbours alone.
  std::string dense = NewSparse();
  ToDense(dense);
  uint8_t* regs = DenseRegs(dense);
  const size_t regs_len = kDenseSize - kHeaderSize;
  std::array<uint8_t, kRegisters> bytes{};
  for (int cycle = 0; cycle < 1000; ++cycle) {
    for (int i = 0; i < kRegisters; ++i) {
      uint8_t r = static_cast<uint8_t>(rng() & kRegisterMax);
      bytes[i] = r;
      SetDense(regs, regs_len, i, r);
    }
    for (int i = 0; i < kRegisters; ++i) {
      uint8_t v = GetDense(regs, regs_len, i);
      if (v != bytes[i]) {
        return "TESTFAILED Register " + std::to_string(i) + " should be " +
               std::to_string(bytes[i]) + " but is " + std::to_string(v);
      }
    }
  }
  // Test 2: the error of the estimate, with dense and sparse HLLs fed the same elements.
  std::memset(regs, 0, regs_len);
  std::string sparse = NewSparse();
  const double relerr = 1.04 / std::sqrt(static_cast<double>(kRegisters));
  int64_t checkpoint = 1;
  uint64_t base = rng();
  for (uint64_t j = 1; j <= 10000000; ++j) {
    uint64_t ele = j ^ base;
    char buf[8];
    for (int b = 0; b < 8; ++b) buf[b] = static_cast<char>((ele >> (8 * b)) & 0xff);
    std::string_view e(buf, 8);
    Add(dense, e, sparse_max_bytes);
    Add(sparse, e, sparse_max_bytes);
    if (static_cast<int64_t>(j) != checkpoint) continue;
    if (j < sparse_max_bytes / 2 && Encoding(sparse) != kSparse) {
      return "TESTFAILED sparse encoding not used";
    }
    uint64_t dense_card = *Count(dense);
    if (dense_card != Count(sparse).value_or(~uint64_t{0})) {
      return "TESTFAILED dense/sparse disagree";
    }
    int64_t abserr = checkpoint - static_cast<int64_t>(dense_card);
    uint64_t maxerr = static_cast<uint64_t>(std::ceil(relerr * 6 * checkpoint));
    if (j == 10) maxerr = 1;
    if (abserr < 0) abserr = -abserr;
    if (abserr > static_cast<int64_t>(maxerr)) {
      return "TESTFAILED Too big error. card:" + std::to_string(checkpoint) +
             " abserr:" + std::to_string(abserr);
    }
    checkpoint *= 10;
  }
  return "";
}

}  // namespace petacore::keyspace::types::hll
