// Unlock: cas (from the get-and-lock) is required.
#include "ops.h"

namespace cbrx {
namespace ops {

lcb_STATUS schedule_unlock(lcb_INSTANCE *instance, const Cmd &c) {
  if (c.cas == 0) return LCB_ERR_INVALID_ARGUMENT;
  lcb_CMDUNLOCK *cmd = nullptr;
  lcb_STATUS rc = lcb_cmdunlock_create(&cmd);
  if (rc != LCB_SUCCESS) return rc;
  if (c.timeout_us) lcb_cmdunlock_timeout(cmd, c.timeout_us);
  rc = lcb_cmdunlock_key(cmd, c.key, c.nkey);
  if (rc == LCB_SUCCESS) rc = lcb_cmdunlock_cas(cmd, c.cas);
  if (rc == LCB_SUCCESS) rc = lcb_unlock(instance, seq_cookie(c.seq), cmd);
  lcb_cmdunlock_destroy(cmd);
  return rc;
}

static void on_unlock(lcb_INSTANCE *instance, int, const lcb_RESPBASE *base) {
  const auto *resp = reinterpret_cast<const lcb_RESPUNLOCK *>(base);
  Response r = read_common<lcb_RESPUNLOCK, &lcb_respunlock_cookie, &lcb_respunlock_status, &lcb_respunlock_cas, &lcb_respunlock_error_context>(resp);
  connection_of(instance)->on_response(r, true);
}

void install_unlock(lcb_INSTANCE *instance) { lcb_install_callback(instance, LCB_CALLBACK_UNLOCK, on_unlock); }

}  // namespace ops
}  // namespace cbrx
