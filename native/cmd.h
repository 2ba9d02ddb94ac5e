// One decoded command of a NativeBatch (src/binding.ts): what the ops schedule, and what the
// connection's queue keeps for commands beyond the in-flight bound; and the batch it came from.
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

// A submitted batch, checked: pointers into its columns (valid during submit).
struct BatchView {
  uint32_t count = 0;
  const uint32_t *seq = nullptr;
  const uint8_t *op = nullptr;
  const char *keys = nullptr;
  size_t nkeys = 0;
  const uint32_t *key_end = nullptr;
  const char *values = nullptr;
  size_t nvalues = 0;
  const uint32_t *value_end = nullptr;
  const uint32_t *flags = nullptr;
  const uint32_t *expiry = nullptr;
  const uint64_t *cas = nullptr;
  const uint64_t *delta = nullptr;
  const uint64_t *initial = nullptr;
  const int32_t *aux = nullptr;
};

}  // namespace cbrx
