// Module init: Connection, lcbVersion, strerror (and the unexported RequestHandle class).
// Context-aware: every environment (main thread, each worker) gets its own Addon, registered as
// instance data with a cleanup hook.
#include "addon.h"

#include <libcouchbase/couchbase.h>

#include "connection.h"
#include "request_handle.h"

namespace cbrx {

Addon::Addon(napi_env e) : env(e) {}
Addon::~Addon() = default;

Addon *addon_of(Napi::Env env) { return env.GetInstanceData<Addon>(); }

void Addon::add(Connection *conn) {
  conn->linked_ = true;
  conn->prev_ = nullptr;
  conn->next_ = head;
  if (head) head->prev_ = conn;
  head = conn;
}

void Addon::remove(Connection *conn) {
  if (!conn->linked_) return;
  conn->linked_ = false;
  if (conn->prev_) conn->prev_->next_ = conn->next_;
  if (conn->next_) conn->next_->prev_ = conn->prev_;
  if (head == conn) head = conn->next_;
  conn->next_ = conn->prev_ = nullptr;
  if (tearing_down) maybe_finish_cleanup();
}

void Addon::async_cleanup(napi_async_cleanup_hook_handle handle, void *arg) {
  auto *addon = static_cast<Addon *>(arg);
  addon->tearing_down = true;
  // shutdown may finish synchronously for a connection that never had an instance, which
  // unlinks it: walk a snapshot.
  for (Connection *c = addon->head; c != nullptr;) {
    Connection *next = c->next_;
    c->shutdown_for_env_teardown();
    c = next;
  }
  addon->maybe_finish_cleanup();
}

void Addon::maybe_finish_cleanup() {
  if (head == nullptr && cleanup_handle != nullptr) {
    napi_async_cleanup_hook_handle h = cleanup_handle;
    cleanup_handle = nullptr;
    napi_remove_async_cleanup_hook(h);
  }
}

static Napi::Value strerror(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "strerror(rc): rc must be a number").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  double d = info[0].As<Napi::Number>().DoubleValue();
  if (!(d >= -2147483648.0 && d <= 2147483647.0) || d != static_cast<double>(static_cast<int32_t>(d))) {
    Napi::TypeError::New(env, "strerror(rc): rc must be a 32-bit integer").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto rc = static_cast<lcb_STATUS>(static_cast<int32_t>(d));
  const char *name = nullptr;
  const char *description = nullptr;
  switch (rc) {
#define X(n, code, type, flags, desc) \
  case n:                             \
    name = #n;                        \
    description = desc;               \
    break;
    LCB_XERROR(X)
#undef X
    default:
      name = "LCB_ERR_UNKNOWN";
      description = lcb_strerror_long(rc);
      break;
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("name", Napi::String::New(env, name));
  out.Set("description", Napi::String::New(env, description ? description : ""));
  return out;
}

static Napi::Object init(Napi::Env env, Napi::Object exports) {
  auto *addon = new Addon(env);
  env.SetInstanceData<Addon>(addon);  // deleted by node when the environment goes away
  if (napi_add_async_cleanup_hook(env, Addon::async_cleanup, addon, &addon->cleanup_handle) != napi_ok) {
    addon->cleanup_handle = nullptr;
  }
  addon->request_handle_class = Napi::Persistent(RequestHandle::define(env));
  exports.Set("Connection", Connection::define(env));
  exports.Set("lcbVersion", Napi::String::New(env, lcb_get_version(nullptr)));
  exports.Set("strerror", Napi::Function::New(env, strerror, "strerror"));
  return exports;
}

}  // namespace cbrx

static Napi::Object InitCouchbaseRx(Napi::Env env, Napi::Object exports) { return cbrx::init(env, exports); }
NODE_API_MODULE(couchbase_rx, InitCouchbaseRx)
