// http(spec, done) through libcouchbase's HTTP API (lcb_http), for design documents: type
// 'view' goes to a views node of the cluster map (paths relative to the bucket, _design/...),
// 'management' to the cluster's REST port (/pools/default/buckets/<b>/ddocs). Not streamed: one
// callback with the whole body.
#include "../js_args.h"
#include "ops.h"

namespace cbrx {

namespace {

void on_http(lcb_INSTANCE *instance, int, const lcb_RESPBASE *base) {
  const auto *resp = reinterpret_cast<const lcb_RESPHTTP *>(base);
  void *cookie = nullptr;
  lcb_resphttp_cookie(resp, &cookie);
  Connection *conn = connection_of(instance);
  const uint32_t id = cookie_seq(cookie);
  Request *req = conn->live_request(id);
  if (req == nullptr || req->kind != Request::Kind::Http || !lcb_resphttp_is_final(resp)) return;
  req->ended = true;
  req->http = nullptr;  // libcouchbase frees the request after this callback
  req->rc = lcb_resphttp_status(resp);
  uint16_t status = 0;
  lcb_resphttp_http_status(resp, &status);
  req->http_status = status;
  const char *body = nullptr;
  size_t nbody = 0;
  if (lcb_resphttp_body(resp, &body, &nbody) == LCB_SUCCESS && body) req->body.assign(body, nbody);
  conn->request_progress(id, *req);
}

bool parse_type(const std::string &s, lcb_HTTP_TYPE &out) {
  if (s == "view") out = LCB_HTTP_TYPE_VIEW;
  else if (s == "management") out = LCB_HTTP_TYPE_MANAGEMENT;
  else return false;
  return true;
}

bool parse_method(const std::string &s, lcb_HTTP_METHOD &out) {
  if (s == "GET") out = LCB_HTTP_METHOD_GET;
  else if (s == "POST") out = LCB_HTTP_METHOD_POST;
  else if (s == "PUT") out = LCB_HTTP_METHOD_PUT;
  else if (s == "DELETE") out = LCB_HTTP_METHOD_DELETE;
  else return false;
  return true;
}

}  // namespace

namespace ops {
void install_http(lcb_INSTANCE *instance) { lcb_install_callback(instance, LCB_CALLBACK_HTTP, on_http); }
}  // namespace ops

Napi::Value Connection::http(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) {
    Napi::TypeError::New(env, "http(spec, done): spec must be an object and done a function").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object spec = info[0].As<Napi::Object>();
  std::string type_name, method_name, path, body, content_type;
  uint32_t timeout_us = 0;
  if (!read_string(spec, "spec", "type", true, type_name) || !read_string(spec, "spec", "method", true, method_name) ||
      !read_string(spec, "spec", "path", true, path) || !read_string(spec, "spec", "body", false, body) ||
      !read_string(spec, "spec", "contentType", false, content_type)) {
    return env.Undefined();
  }
  lcb_HTTP_TYPE type;
  lcb_HTTP_METHOD method;
  if (!parse_type(type_name, type)) {
    Napi::TypeError::New(env, "spec.type must be 'view' or 'management'").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!parse_method(method_name, method)) {
    Napi::TypeError::New(env, "spec.method must be GET, POST, PUT or DELETE").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Value t = spec.Get("timeoutUs");
  if (!t.IsUndefined() && !to_timeout_us(env, t, "spec.timeoutUs", timeout_us)) return env.Undefined();

  auto [id, req] = add_request(Request::Kind::Http, info[1].As<Napi::Function>());
  Napi::Value handle = request_handle(env, id);
  lcb_STATUS rc = refusal();
  if (rc == LCB_SUCCESS) {
    lcb_CMDHTTP *cmd = nullptr;
    rc = lcb_cmdhttp_create(&cmd, type);
    if (rc == LCB_SUCCESS) {
      lcb_cmdhttp_method(cmd, method);
      lcb_cmdhttp_path(cmd, path.data(), path.size());
      if (!body.empty()) lcb_cmdhttp_body(cmd, body.data(), body.size());
      if (!content_type.empty()) lcb_cmdhttp_content_type(cmd, content_type.data(), content_type.size());
      if (timeout_us > 0) lcb_cmdhttp_timeout(cmd, timeout_us);
      lcb_cmdhttp_handle(cmd, &req->http);
      rc = lcb_http(instance_, seq_cookie(id), cmd);
      lcb_cmdhttp_destroy(cmd);
      if (rc != LCB_SUCCESS) req->http = nullptr;
    }
  }
  if (rc != LCB_SUCCESS) end_request(id, *req, rc);
  return handle;
}

}  // namespace cbrx
