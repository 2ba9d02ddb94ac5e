// Observe: one response per node holding the key's vBucket, in the order they arrive (the
// TypeScript layer orders them), aux = status byte | 0x100 on the master, text = "host:port".
//
// OBSERVE has no public API in libcouchbase 3.x. When we build libcouchbase ourselves
// (CBRX_HAVE_LCB_INTERNALS) we use its internal multi-command context (lcb_observe3_ctxnew,
// src/internalstructs.h), which is compiled from the very same source tree, so the
// structure layouts match. With an installed libcouchbase those layouts are not ours to
// assume, so observe answers LCB_ERR_UNSUPPORTED_OPERATION. See docs/native.md.
#include "ops.h"

#ifdef CBRX_HAVE_LCB_INTERNALS
#include <string>

#include "internalstructs.h"
#include "capi/cmd_observe.hh"
#endif

namespace cbrx {
namespace ops {

#ifdef CBRX_HAVE_LCB_INTERNALS

lcb_STATUS schedule_observe(lcb_INSTANCE *instance, const Cmd &c) {
  if (c.nkey == 0) return LCB_ERR_EMPTY_KEY;
  lcb_MULTICMD_CTX *mctx = lcb_observe3_ctxnew(instance);
  if (mctx == nullptr) return LCB_ERR_NO_CONFIGURATION;
  lcb_CMDOBSERVE cmd{};
  cmd.key.type = LCB_KV_COPY;
  cmd.key.contig.bytes = c.key;
  cmd.key.contig.nbytes = c.nkey;
  lcb_STATUS rc = mctx->add_observe(mctx, &cmd);
  if (rc != LCB_SUCCESS) {
    mctx->fail(mctx);
    return rc;
  }
  return mctx->done(mctx, seq_cookie(c.seq));
}

static void on_observe(lcb_INSTANCE *instance, int, const lcb_RESPBASE *base) {
  const auto *resp = reinterpret_cast<const lcb_RESPOBSERVE *>(base);
  Connection *conn = connection_of(instance);
  Response r;
  r.seq = cookie_seq(resp->cookie);
  r.rc = resp->ctx.rc;
  if (resp->rflags & LCB_RESP_F_FINAL) {
    conn->on_multi_final(r.seq, r.rc, nullptr);
    return;
  }
  r.cas = resp->ctx.cas;
  r.aux = resp->status | (resp->ismaster ? 0x100 : 0);
  if (!resp->ctx.endpoint.empty()) {
    r.text = resp->ctx.endpoint;
    r.has_text = true;
  }
  conn->on_multi_response(r, true);
}

void install_observe(lcb_INSTANCE *instance) {
  lcb_install_callback(instance, LCB_CALLBACK_OBSERVE, on_observe);
}

#else

lcb_STATUS schedule_observe(lcb_INSTANCE *, const Cmd &) { return LCB_ERR_UNSUPPORTED_OPERATION; }
void install_observe(lcb_INSTANCE *) {}

#endif

}  // namespace ops
}  // namespace cbrx
