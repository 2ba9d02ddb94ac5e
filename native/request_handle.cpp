// See request_handle.h. The class is not exported: handles are made by the connection only
// (one made from JS through `handle.constructor` is bound to nothing and cancels nothing).
#include "request_handle.h"

#include "connection.h"

namespace cbrx {

Napi::Function RequestHandle::define(Napi::Env env) {
  return DefineClass(env, "RequestHandle", {InstanceMethod<&RequestHandle::cancel>("cancel")});
}

RequestHandle::RequestHandle(const Napi::CallbackInfo &info) : Napi::ObjectWrap<RequestHandle>(info) {}

void RequestHandle::bind(const Napi::Object &connection, uint32_t id) {
  connection_ = Napi::Weak(connection);
  id_ = id;
}

Napi::Value RequestHandle::cancel(const Napi::CallbackInfo &info) {
  if (!connection_.IsEmpty()) {
    Napi::Object conn = connection_.Value();
    if (!conn.IsEmpty()) {
      Connection *c = Connection::Unwrap(conn);
      if (c != nullptr) c->cancel_request(id_);
    }
  }
  return info.Env().Undefined();
}

}  // namespace cbrx
