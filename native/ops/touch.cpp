// Touch: expiry is the new TTL.
#include "ops.h"

namespace cbrx {
namespace ops {

lcb_STATUS schedule_touch(lcb_INSTANCE *instance, const Cmd &c) {
  lcb_CMDTOUCH *cmd = nullptr;
  lcb_STATUS rc = lcb_cmdtouch_create(&cmd);
  if (rc != LCB_SUCCESS) return rc;
  if (c.timeout_us) lcb_cmdtouch_timeout(cmd, c.timeout_us);
  rc = lcb_cmdtouch_key(cmd, c.key, c.nkey);
  if (rc == LCB_SUCCESS) rc = lcb_cmdtouch_expiry(cmd, c.expiry);
  if (rc == LCB_SUCCESS) rc = lcb_touch(instance, seq_cookie(c.seq), cmd);
  lcb_cmdtouch_destroy(cmd);
  return rc;
}

static void on_touch(lcb_INSTANCE *instance, int, const lcb_RESPBASE *base) {
  const auto *resp = reinterpret_cast<const lcb_RESPTOUCH *>(base);
  Response r = read_common<lcb_RESPTOUCH, &lcb_resptouch_cookie, &lcb_resptouch_status, &lcb_resptouch_cas, &lcb_resptouch_error_context>(resp);
  connection_of(instance)->on_response(r, true);
}

void install_touch(lcb_INSTANCE *instance) { lcb_install_callback(instance, LCB_CALLBACK_TOUCH, on_touch); }

}  // namespace ops
}  // namespace cbrx
