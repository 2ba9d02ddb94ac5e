// viewQuery(spec, onRows) through libcouchbase's view API (lcb_view), so node selection,
// authentication and retries follow the cluster map as key-value operations do. Rows are taken
// raw (no_row_parse: each row's JSON text exactly as the server sent it), appended to the
// request and handed to JS from the check phase (native/requests.cpp).
#include <libcouchbase/vbucket.h>

#include "../js_args.h"
#include "ops.h"

namespace cbrx {

namespace {

// Fills the end of a view request from libcouchbase's final callback.
void read_final(const lcb_RESPVIEW *resp, const char *meta, size_t nmeta, Request &req) {
  req.ended = true;
  req.view = nullptr;  // libcouchbase releases the handle after this callback
  req.rc = lcb_respview_status(resp);
  const lcb_VIEW_ERROR_CONTEXT *ctx = nullptr;
  lcb_respview_error_context(resp, &ctx);
  if (ctx != nullptr) {
    uint32_t status = 0;
    lcb_errctx_view_http_response_code(ctx, &status);
    req.http_status = static_cast<uint16_t>(status);
    const char *text = nullptr;
    size_t ntext = 0;
    if (lcb_errctx_view_first_error_code(ctx, &text, &ntext) == LCB_SUCCESS && text) req.error_code.assign(text, ntext);
    text = nullptr;
    ntext = 0;
    if (lcb_errctx_view_first_error_message(ctx, &text, &ntext) == LCB_SUCCESS && text) {
      req.error_message.assign(text, ntext);
    }
    if (nmeta == 0) {
      text = nullptr;
      ntext = 0;
      if (lcb_errctx_view_http_response_body(ctx, &text, &ntext) == LCB_SUCCESS && text) req.body.assign(text, ntext);
    }
  }
  if (nmeta > 0) req.body.assign(meta, nmeta);
  // libcouchbase has the meta only when the whole response was read. A 200 response cut short
  // (the views node went away mid-stream) still ends with rc 0: the transfer's own rc says why,
  // and it must never look like a complete result.
  if (req.rc == LCB_SUCCESS && nmeta == 0) {
    const lcb_RESPHTTP *http = nullptr;
    lcb_STATUS transfer = LCB_SUCCESS;
    if (lcb_respview_http_response(resp, &http) == LCB_SUCCESS && http != nullptr) transfer = lcb_resphttp_status(http);
    req.rc = transfer != LCB_SUCCESS ? transfer : LCB_ERR_PROTOCOL_ERROR;
  }
}

void on_view(lcb_INSTANCE *instance, int, const lcb_RESPVIEW *resp) {
  void *cookie = nullptr;
  lcb_respview_cookie(resp, &cookie);
  Connection *conn = connection_of(instance);
  const uint32_t id = cookie_seq(cookie);
  Request *req = conn->live_request(id);
  if (req == nullptr || req->kind != Request::Kind::View) return;
  const char *text = nullptr;
  size_t ntext = 0;
  lcb_respview_row(resp, &text, &ntext);
  if (lcb_respview_is_final(resp)) {
    read_final(resp, text, ntext, *req);
  } else if (ntext > 0) {
    req->rows.push_back(req->rows.empty() ? '[' : ',');
    req->rows.append(text, ntext);
  }
  conn->request_progress(id, *req);
}

lcb_STATUS start_view(lcb_INSTANCE *instance, uint32_t id, Request &req, const std::string &design,
                      const std::string &view, const std::string &options, const std::string *body,
                      uint32_t timeout_us) {
  // Without a configuration lcb_view defers the query and fills the handle later; there is
  // always one once connected, and this keeps it so.
  lcbvb_CONFIG *cfg = nullptr;
  if (lcb_cntl(instance, LCB_CNTL_GET, LCB_CNTL_VBCONFIG, &cfg) != LCB_SUCCESS || cfg == nullptr) {
    return LCB_ERR_NO_CONFIGURATION;
  }
  lcb_CMDVIEW *cmd = nullptr;
  lcb_STATUS rc = lcb_cmdview_create(&cmd);
  if (rc != LCB_SUCCESS) return rc;
  lcb_cmdview_callback(cmd, on_view);
  lcb_cmdview_design_document(cmd, design.data(), design.size());
  lcb_cmdview_view_name(cmd, view.data(), view.size());
  if (!options.empty()) lcb_cmdview_option_string(cmd, options.data(), options.size());
  if (body != nullptr) lcb_cmdview_post_data(cmd, body->data(), body->size());
  lcb_cmdview_no_row_parse(cmd, 1);
  if (timeout_us > 0) lcb_cmdview_timeout(cmd, timeout_us);
  lcb_cmdview_handle(cmd, &req.view);
  rc = lcb_view(instance, seq_cookie(id), cmd);
  lcb_cmdview_destroy(cmd);
  if (rc != LCB_SUCCESS) req.view = nullptr;
  return rc;
}

}  // namespace

Napi::Value Connection::view_query(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) {
    Napi::TypeError::New(env, "viewQuery(spec, onRows): spec must be an object and onRows a function")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object spec = info[0].As<Napi::Object>();
  std::string design, view, options, body;
  bool has_body = false;
  uint32_t timeout_us = 0;
  if (!read_string(spec, "spec", "design", true, design) || !read_string(spec, "spec", "view", true, view) ||
      !read_string(spec, "spec", "options", false, options)) {
    return env.Undefined();
  }
  Napi::Value b = spec.Get("body");
  if (!b.IsUndefined() && !b.IsNull()) {
    if (!read_string(spec, "spec", "body", true, body)) return env.Undefined();
    has_body = true;
  }
  Napi::Value t = spec.Get("timeoutUs");
  if (!t.IsUndefined() && !to_timeout_us(env, t, "spec.timeoutUs", timeout_us)) return env.Undefined();

  auto [id, req] = add_request(Request::Kind::View, info[1].As<Napi::Function>());
  Napi::Value handle = request_handle(env, id);
  lcb_STATUS rc = refusal();
  if (rc == LCB_SUCCESS) rc = start_view(instance_, id, *req, design, view, options, has_body ? &body : nullptr, timeout_us);
  if (rc != LCB_SUCCESS) end_request(id, *req, rc);
  return handle;
}

}  // namespace cbrx
