// Delete.
#include "ops.h"

namespace cbrx {
namespace ops {

lcb_STATUS schedule_remove(lcb_INSTANCE *instance, const Cmd &c) {
  lcb_CMDREMOVE *cmd = nullptr;
  lcb_STATUS rc = lcb_cmdremove_create(&cmd);
  if (rc != LCB_SUCCESS) return rc;
  if (c.timeout_us) lcb_cmdremove_timeout(cmd, c.timeout_us);
  rc = lcb_cmdremove_key(cmd, c.key, c.nkey);
  if (rc == LCB_SUCCESS && c.cas) rc = lcb_cmdremove_cas(cmd, c.cas);
  if (rc == LCB_SUCCESS) rc = lcb_remove(instance, seq_cookie(c.seq), cmd);
  lcb_cmdremove_destroy(cmd);
  return rc;
}

static void on_remove(lcb_INSTANCE *instance, int, const lcb_RESPBASE *base) {
  const auto *resp = reinterpret_cast<const lcb_RESPREMOVE *>(base);
  Response r = read_common<lcb_RESPREMOVE, &lcb_respremove_cookie, &lcb_respremove_status, &lcb_respremove_cas, &lcb_respremove_error_context>(resp);
  connection_of(instance)->on_response(r, true);
}

void install_remove(lcb_INSTANCE *instance) { lcb_install_callback(instance, LCB_CALLBACK_REMOVE, on_remove); }

}  // namespace ops
}  // namespace cbrx
