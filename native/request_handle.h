// What viewQuery() and http() return: `cancel()` stops that request. The handle holds its
// connection weakly, so once the connection object is gone cancel() does nothing.
#pragma once

#include <napi.h>

#include <cstdint>

namespace cbrx {

class RequestHandle : public Napi::ObjectWrap<RequestHandle> {
 public:
  static Napi::Function define(Napi::Env env);
  explicit RequestHandle(const Napi::CallbackInfo &info);
  void bind(const Napi::Object &connection, uint32_t id);

 private:
  Napi::Value cancel(const Napi::CallbackInfo &info);

  Napi::ObjectReference connection_;
  uint32_t id_ = 0;
};

}  // namespace cbrx
