// Replica reads: aux -1 = first replica to answer, -2 = every replica, n >= 0 = replica n.
#include "ops.h"

namespace cbrx {
namespace ops {

lcb_STATUS schedule_get_replica(lcb_INSTANCE *instance, const Cmd &c) {
  lcb_REPLICA_MODE mode;
  if (c.aux == -1) {
    mode = LCB_REPLICA_MODE_ANY;
  } else if (c.aux == -2) {
    mode = LCB_REPLICA_MODE_ALL;
  } else if (c.aux >= 0 && c.aux <= 2) {
    mode = static_cast<lcb_REPLICA_MODE>(LCB_REPLICA_MODE_IDX0 + c.aux);
  } else {
    return LCB_ERR_INVALID_ARGUMENT;
  }
  lcb_CMDGETREPLICA *cmd = nullptr;
  lcb_STATUS rc = lcb_cmdgetreplica_create(&cmd, mode);
  if (rc != LCB_SUCCESS) return rc;
  if (c.timeout_us) lcb_cmdgetreplica_timeout(cmd, c.timeout_us);
  rc = lcb_cmdgetreplica_key(cmd, c.key, c.nkey);
  if (rc == LCB_SUCCESS) rc = lcb_getreplica(instance, seq_cookie(c.seq), cmd);
  lcb_cmdgetreplica_destroy(cmd);
  return rc;
}

static void on_get_replica(lcb_INSTANCE *instance, int, const lcb_RESPBASE *base) {
  const auto *resp = reinterpret_cast<const lcb_RESPGETREPLICA *>(base);
  Response r = read_common<lcb_RESPGETREPLICA, &lcb_respgetreplica_cookie, &lcb_respgetreplica_status, &lcb_respgetreplica_cas, &lcb_respgetreplica_error_context>(resp);
  if (r.rc == LCB_SUCCESS) {
    lcb_respgetreplica_flags(resp, &r.flags);
    lcb_respgetreplica_value(resp, &r.data, &r.ndata);
  }
  connection_of(instance)->on_response(r, lcb_respgetreplica_is_final(resp) != 0);
}

void install_get_replica(lcb_INSTANCE *instance) {
  lcb_install_callback(instance, LCB_CALLBACK_GETREPLICA, on_get_replica);
}

}  // namespace ops
}  // namespace cbrx
