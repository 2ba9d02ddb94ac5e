// Unlock: cas (from the get-and-lock) is required.
#include "ops.h"

namespace cbrx {
namespace ops {

lcb_STATUS schedule_unlock(lcb_INSTANCE *instance, const Cmd &c) {
  if (c.cas == 0) return LCB_ERR_INVALID_ARGUMENT;
  lcb_CMDUNLOCK *cmd = nullptr;
  lcb_STATUS rc = lcb_cmdunlock_create(&cmd);
  if (rc != LCB_SUCCESS) return rc;
  rc = lcb_cmdunlock_key(cmd, c.key, c.nkey);
  if (rc == LCB_SUCCESS) rc = lcb_cmdunlock_cas(cmd, c.cas);
  if (rc == LCB_SUCCESS) rc = lcb_unlock(instance, seq_cookie(c.seq), cmd);
  lcb_cmdunlock_destroy(cmd);
  return rc;
}

static void on_unlock(lcb_INSTANCE *instance, int, const lcb_RESPBASE *base) {
  const auto *resp = reinterpret_cast<const lcb_RESPUNLOCK *>(base);
  void *cookie = nullptr;
  lcb_respunlock_cookie(resp, &cookie);
  Response r;
  r.seq = cookie_seq(cookie);
  r.rc = lcb_respunlock_status(resp);
  lcb_respunlock_cas(resp, &r.cas);
  if (r.rc != LCB_SUCCESS) {
    const lcb_KEY_VALUE_ERROR_CONTEXT *ctx = nullptr;
    if (lcb_respunlock_error_context(resp, &ctx) == LCB_SUCCESS) Connection::set_error_text(r, ctx);
  }
  connection_of(instance)->on_response(r, true);
}

void install_unlock(lcb_INSTANCE *instance) { lcb_install_callback(instance, LCB_CALLBACK_UNLOCK, on_unlock); }

}  // namespace ops
}  // namespace cbrx
