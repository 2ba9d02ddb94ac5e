// Stats: the key is the stat group ('' = default). One response per stat per server, text
// "host:port\tname", data = value; libcouchbase ends with an empty response, so the last real
// one is held back and handed over flagged final.
#include "../lcb_private.h"
#include "ops.h"

namespace cbrx {
namespace ops {

lcb_STATUS schedule_stats(lcb_INSTANCE *instance, const Cmd &c) {
  lcb_CMDSTATS *cmd = nullptr;
  lcb_STATUS rc = lcb_cmdstats_create(&cmd);
  if (rc != LCB_SUCCESS) return rc;
  rc = lcb_cmdstats_key(cmd, c.key, c.nkey);
  if (rc == LCB_SUCCESS) rc = lcb_stats(instance, seq_cookie(c.seq), cmd);
  lcb_cmdstats_destroy(cmd);
  return rc;
}

static void on_stats(lcb_INSTANCE *instance, int, const lcb_RESPBASE *base) {
  const auto *resp = reinterpret_cast<const lcb_RESPSTATS *>(base);
  void *cookie = nullptr;
  lcb_respstats_cookie(resp, &cookie);
  Connection *conn = connection_of(instance);
  Response r;
  r.seq = cookie_seq(cookie);
  r.rc = lcb_respstats_status(resp);
  const char *server = nullptr;
  size_t nserver = 0;
  lcb_respstats_server(resp, &server, &nserver);
  if (server == nullptr) {  // the closing response of the broadcast
    const lcb_KEY_VALUE_ERROR_CONTEXT *ctx = nullptr;
    if (r.rc != LCB_SUCCESS && lcb_respstats_error_context(resp, &ctx) == LCB_SUCCESS) {
      Connection::set_error_text(r, ctx);
    }
    conn->on_multi_final(r.seq, r.rc, r.has_text ? &r.text : nullptr);
    return;
  }
  const char *key = nullptr;
  size_t nkey = 0;
  lcb_respstats_key(resp, &key, &nkey);
  if (nkey == 0 && r.rc == LCB_SUCCESS) return;  // a server's end marker
  r.text.assign(server, nserver);
  r.text.push_back('\t');
  if (key) r.text.append(key, nkey);
  r.has_text = true;
  lcb_respstats_value(resp, &r.data, &r.ndata);
  conn->on_multi_response(r, false);
}

void install_stats(lcb_INSTANCE *instance) { lcb_install_callback(instance, LCB_CALLBACK_STATS, on_stats); }

}  // namespace ops
}  // namespace cbrx
