// Set, add, replace, append, prepend.
#include "ops.h"

namespace cbrx {
namespace ops {

lcb_STATUS schedule_store(lcb_INSTANCE *instance, const Cmd &c) {
  lcb_STORE_OPERATION operation;
  switch (c.op) {
    // libcouchbase 3 refuses an upsert with a CAS; a CAS means the item must exist, which is a
    // replace (the Python SDK's set(cas=...) semantics).
    case OP_SET: operation = c.cas ? LCB_STORE_REPLACE : LCB_STORE_UPSERT; break;
    case OP_ADD: operation = LCB_STORE_INSERT; break;
    case OP_REPLACE: operation = LCB_STORE_REPLACE; break;
    case OP_APPEND: operation = LCB_STORE_APPEND; break;
    case OP_PREPEND: operation = LCB_STORE_PREPEND; break;
    default: return LCB_ERR_INVALID_ARGUMENT;
  }
  lcb_CMDSTORE *cmd = nullptr;
  lcb_STATUS rc = lcb_cmdstore_create(&cmd, operation);
  if (rc != LCB_SUCCESS) return rc;
  if (c.timeout_us) lcb_cmdstore_timeout(cmd, c.timeout_us);
  rc = lcb_cmdstore_key(cmd, c.key, c.nkey);
  if (rc == LCB_SUCCESS) rc = lcb_cmdstore_value(cmd, c.value, c.nvalue);
  if (rc == LCB_SUCCESS && c.op != OP_APPEND && c.op != OP_PREPEND) {
    rc = lcb_cmdstore_flags(cmd, c.flags);
    if (rc == LCB_SUCCESS && c.expiry) rc = lcb_cmdstore_expiry(cmd, c.expiry);
  }
  if (rc == LCB_SUCCESS && c.cas) rc = lcb_cmdstore_cas(cmd, c.cas);
  if (rc == LCB_SUCCESS) rc = lcb_store(instance, seq_cookie(c.seq), cmd);
  lcb_cmdstore_destroy(cmd);
  return rc;
}

static void on_store(lcb_INSTANCE *instance, int, const lcb_RESPBASE *base) {
  const auto *resp = reinterpret_cast<const lcb_RESPSTORE *>(base);
  Response r = read_common<lcb_RESPSTORE, &lcb_respstore_cookie, &lcb_respstore_status, &lcb_respstore_cas, &lcb_respstore_error_context>(resp);
  connection_of(instance)->on_response(r, true);
}

void install_store(lcb_INSTANCE *instance) { lcb_install_callback(instance, LCB_CALLBACK_STORE, on_store); }

}  // namespace ops
}  // namespace cbrx
