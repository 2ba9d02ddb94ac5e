// One file per operation family: each encodes its commands and reads its responses.
#pragma once

#include <libcouchbase/couchbase.h>

#include <cstddef>
#include <cstdint>

#include "../cmd.h"
#include "../connection.h"

namespace cbrx {

// The cookie of every command is its seq; the connection is the instance's cookie.
inline void *seq_cookie(uint32_t seq) { return reinterpret_cast<void *>(static_cast<uintptr_t>(seq)); }
inline uint32_t cookie_seq(const void *cookie) { return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(cookie)); }
inline Connection *connection_of(lcb_INSTANCE *instance) {
  return static_cast<Connection *>(const_cast<void *>(lcb_get_cookie(instance)));
}

namespace ops {

// What every key-value response has, read through that response type's accessors: seq (the
// cookie), rc, cas and, on failure, libcouchbase's error context text.
template <typename Resp, lcb_STATUS (*Cookie)(const Resp *, void **), lcb_STATUS (*Status)(const Resp *),
          lcb_STATUS (*Cas)(const Resp *, uint64_t *),
          lcb_STATUS (*ErrorContext)(const Resp *, const lcb_KEY_VALUE_ERROR_CONTEXT **)>
Response read_common(const Resp *resp) {
  void *cookie = nullptr;
  Cookie(resp, &cookie);
  Response r;
  r.seq = cookie_seq(cookie);
  r.rc = Status(resp);
  Cas(resp, &r.cas);
  if (r.rc != LCB_SUCCESS) {
    const lcb_KEY_VALUE_ERROR_CONTEXT *ctx = nullptr;
    if (ErrorContext(resp, &ctx) == LCB_SUCCESS) Connection::set_error_text(r, ctx);
  }
  return r;
}

lcb_STATUS schedule_get(lcb_INSTANCE *instance, const Cmd &cmd);          // Get, GetAndLock
lcb_STATUS schedule_get_replica(lcb_INSTANCE *instance, const Cmd &cmd);  // GetReplica
lcb_STATUS schedule_store(lcb_INSTANCE *instance, const Cmd &cmd);        // Set .. Prepend
lcb_STATUS schedule_remove(lcb_INSTANCE *instance, const Cmd &cmd);       // Delete
lcb_STATUS schedule_counter(lcb_INSTANCE *instance, const Cmd &cmd);      // Incr, Decr
lcb_STATUS schedule_touch(lcb_INSTANCE *instance, const Cmd &cmd);        // Touch
lcb_STATUS schedule_unlock(lcb_INSTANCE *instance, const Cmd &cmd);       // Unlock
lcb_STATUS schedule_observe(lcb_INSTANCE *instance, const Cmd &cmd);      // Observe
lcb_STATUS schedule_stats(lcb_INSTANCE *instance, const Cmd &cmd);        // Stats

// Installs every response callback on a new instance.
void install_callbacks(lcb_INSTANCE *instance);
void install_get(lcb_INSTANCE *instance);
void install_get_replica(lcb_INSTANCE *instance);
void install_store(lcb_INSTANCE *instance);
void install_remove(lcb_INSTANCE *instance);
void install_counter(lcb_INSTANCE *instance);
void install_touch(lcb_INSTANCE *instance);
void install_unlock(lcb_INSTANCE *instance);
void install_observe(lcb_INSTANCE *instance);
void install_stats(lcb_INSTANCE *instance);
void install_http(lcb_INSTANCE *instance);
}  // namespace ops
}  // namespace cbrx
