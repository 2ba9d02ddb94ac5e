// Get, get-and-touch (expiry > 0) and get-and-lock (expiry = lock time).
#include "ops.h"

namespace cbrx {
namespace ops {

lcb_STATUS schedule_get(lcb_INSTANCE *instance, const Cmd &c) {
  lcb_CMDGET *cmd = nullptr;
  lcb_STATUS rc = lcb_cmdget_create(&cmd);
  if (rc != LCB_SUCCESS) return rc;
  if (c.timeout_us) lcb_cmdget_timeout(cmd, c.timeout_us);
  rc = lcb_cmdget_key(cmd, c.key, c.nkey);
  if (rc == LCB_SUCCESS) {
    if (c.op == OP_GET_AND_LOCK) {
      rc = lcb_cmdget_locktime(cmd, c.expiry);
    } else if (c.expiry > 0) {
      rc = lcb_cmdget_expiry(cmd, c.expiry);
    }
  }
  if (rc == LCB_SUCCESS) rc = lcb_get(instance, seq_cookie(c.seq), cmd);
  lcb_cmdget_destroy(cmd);
  return rc;
}

static void on_get(lcb_INSTANCE *instance, int, const lcb_RESPBASE *base) {
  const auto *resp = reinterpret_cast<const lcb_RESPGET *>(base);
  Response r = read_common<lcb_RESPGET, &lcb_respget_cookie, &lcb_respget_status, &lcb_respget_cas, &lcb_respget_error_context>(resp);
  if (r.rc == LCB_SUCCESS) {
    lcb_respget_flags(resp, &r.flags);
    lcb_respget_value(resp, &r.data, &r.ndata);
  }
  connection_of(instance)->on_response(r, true);
}

void install_get(lcb_INSTANCE *instance) { lcb_install_callback(instance, LCB_CALLBACK_GET, on_get); }

}  // namespace ops
}  // namespace cbrx
