// Delete.
#include "ops.h"

namespace cbrx {
namespace ops {

lcb_STATUS schedule_remove(lcb_INSTANCE *instance, const Cmd &c) {
  lcb_CMDREMOVE *cmd = nullptr;
  lcb_STATUS rc = lcb_cmdremove_create(&cmd);
  if (rc != LCB_SUCCESS) return rc;
  rc = lcb_cmdremove_key(cmd, c.key, c.nkey);
  if (rc == LCB_SUCCESS && c.cas) rc = lcb_cmdremove_cas(cmd, c.cas);
  if (rc == LCB_SUCCESS) rc = lcb_remove(instance, seq_cookie(c.seq), cmd);
  lcb_cmdremove_destroy(cmd);
  return rc;
}

static void on_remove(lcb_INSTANCE *instance, int, const lcb_RESPBASE *base) {
  const auto *resp = reinterpret_cast<const lcb_RESPREMOVE *>(base);
  void *cookie = nullptr;
  lcb_respremove_cookie(resp, &cookie);
  Response r;
  r.seq = cookie_seq(cookie);
  r.rc = lcb_respremove_status(resp);
  lcb_respremove_cas(resp, &r.cas);
  if (r.rc != LCB_SUCCESS) {
    const lcb_KEY_VALUE_ERROR_CONTEXT *ctx = nullptr;
    if (lcb_respremove_error_context(resp, &ctx) == LCB_SUCCESS) Connection::set_error_text(r, ctx);
  }
  connection_of(instance)->on_response(r, true);
}

void install_remove(lcb_INSTANCE *instance) { lcb_install_callback(instance, LCB_CALLBACK_REMOVE, on_remove); }

}  // namespace ops
}  // namespace cbrx
