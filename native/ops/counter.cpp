// Incr and decr: delta is the amount, aux = 1 creates the counter with `initial` when missing.
#include "ops.h"

#include <limits>

namespace cbrx {
namespace ops {

lcb_STATUS schedule_counter(lcb_INSTANCE *instance, const Cmd &c) {
  // libcouchbase takes a signed delta; the magnitude must fit.
  if (c.delta > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return LCB_ERR_INVALID_ARGUMENT;
  int64_t delta = static_cast<int64_t>(c.delta);
  if (c.op == OP_DECR) delta = -delta;
  lcb_CMDCOUNTER *cmd = nullptr;
  lcb_STATUS rc = lcb_cmdcounter_create(&cmd);
  if (rc != LCB_SUCCESS) return rc;
  if (c.timeout_us) lcb_cmdcounter_timeout(cmd, c.timeout_us);
  rc = lcb_cmdcounter_key(cmd, c.key, c.nkey);
  if (rc == LCB_SUCCESS) rc = lcb_cmdcounter_delta(cmd, delta);
  if (rc == LCB_SUCCESS && c.aux == 1) {
    rc = lcb_cmdcounter_initial(cmd, c.initial);
    if (rc == LCB_SUCCESS && c.expiry) rc = lcb_cmdcounter_expiry(cmd, c.expiry);
  }
  if (rc == LCB_SUCCESS) rc = lcb_counter(instance, seq_cookie(c.seq), cmd);
  lcb_cmdcounter_destroy(cmd);
  return rc;
}

static void on_counter(lcb_INSTANCE *instance, int, const lcb_RESPBASE *base) {
  const auto *resp = reinterpret_cast<const lcb_RESPCOUNTER *>(base);
  Response r = read_common<lcb_RESPCOUNTER, &lcb_respcounter_cookie, &lcb_respcounter_status, &lcb_respcounter_cas, &lcb_respcounter_error_context>(resp);
  if (r.rc == LCB_SUCCESS) {
    lcb_respcounter_value(resp, &r.u64);
  }
  connection_of(instance)->on_response(r, true);
}

void install_counter(lcb_INSTANCE *instance) { lcb_install_callback(instance, LCB_CALLBACK_COUNTER, on_counter); }

}  // namespace ops
}  // namespace cbrx
