// The one-command block (ONE_BLOCK in src/binding.ts): one ArrayBuffer the batcher binds with
// bindOne, holding the command of a tick of one (read by submitOne) and the response of a
// delivery of one (written before onResponse). Offsets in bytes; the layout is the contract.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace cbrx::one_block {

constexpr size_t kCas = 0, kDelta = 8, kInitial = 16, kSeq = 24, kFlags = 28, kExpiry = 32, kAux = 36, kOp = 40,
                 kKeyLength = 44, kKey = 64;
constexpr size_t kKeyRoom = 256;
constexpr uint32_t kKeyInArgument = 0xffffffffu;
constexpr size_t kRespCas = 320, kRespU64 = 328, kRespSeq = 336, kRespRc = 340, kRespFlags = 344, kRespAux = 348,
                 kRespFinal = 352, kRespDataLength = 356;
constexpr size_t kBytes = 384;

template <typename T>
T read(const uint8_t *block, size_t at) {
  T v;
  std::memcpy(&v, block + at, sizeof v);
  return v;
}

template <typename T>
void write(uint8_t *block, size_t at, T v) {
  std::memcpy(block + at, &v, sizeof v);
}

}  // namespace cbrx::one_block
