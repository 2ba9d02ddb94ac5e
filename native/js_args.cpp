// See js_args.h.
#include "js_args.h"

#include <cmath>
#include <limits>

namespace cbrx {

bool read_string(const Napi::Object &obj, const char *what, const char *name, bool required, std::string &out) {
  Napi::Value v = obj.Get(name);
  if (obj.Env().IsExceptionPending()) return false;
  if ((v.IsUndefined() || v.IsNull()) && !required) return true;
  if (!v.IsString()) {
    Napi::TypeError::New(obj.Env(), std::string(what) + "." + name + " must be a string").ThrowAsJavaScriptException();
    return false;
  }
  out = v.As<Napi::String>().Utf8Value();
  return true;
}

bool to_timeout_us(Napi::Env env, Napi::Value v, const char *what, uint32_t &out) {
  if (!v.IsNumber()) {
    Napi::TypeError::New(env, std::string(what) + " must be a number of microseconds").ThrowAsJavaScriptException();
    return false;
  }
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || std::isnan(d)) {
    Napi::TypeError::New(env, std::string(what) + " must be >= 0").ThrowAsJavaScriptException();
    return false;
  }
  constexpr double max = std::numeric_limits<uint32_t>::max();
  out = d > max ? std::numeric_limits<uint32_t>::max() : static_cast<uint32_t>(d);
  return true;
}

}  // namespace cbrx
