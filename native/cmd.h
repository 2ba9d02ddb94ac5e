// One decoded command of a NativeBatch (src/binding.ts): what the ops schedule, and what the
// connection's queue keeps for commands beyond the in-flight bound.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cbrx {

struct Cmd {
  uint32_t seq = 0;
  uint8_t op = 0;
  // Into the submitted batch (valid during submit) or into the QueuedBatch's own copy.
  const char *key = nullptr;
  size_t nkey = 0;
  const char *value = nullptr;
  size_t nvalue = 0;
  uint32_t flags = 0;
  uint32_t expiry = 0;
  uint64_t cas = 0;
  uint64_t delta = 0;
  uint64_t initial = 0;
  int32_t aux = 0;
  // Per-command timeout in microseconds; 0 = the instance's operation timeout. Queued
  // commands get what is left of their timeout (counted from submit).
  uint32_t timeout_us = 0;
};

}  // namespace cbrx
