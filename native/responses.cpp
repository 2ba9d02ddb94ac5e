// The responses of one loop iteration, column by column, and their JS form
// (NativeResponses in src/binding.ts): the numeric columns share one ArrayBuffer.
#include <cstring>

#include "connection.h"

namespace cbrx {

void ResponseBuffer::push(const Response &r, bool is_final) {
  seq.push_back(r.seq);
  rc.push_back(r.rc);
  cas.push_back(r.cas);
  flags.push_back(r.flags);
  u64.push_back(r.u64);
  aux.push_back(r.aux);
  final.push_back(is_final ? 1 : 0);
  if (r.ndata) data.insert(data.end(), r.data, r.data + r.ndata);
  data_end.push_back(static_cast<uint32_t>(data.size()));
  has_text.push_back(r.has_text ? 1 : 0);
  if (r.has_text) {
    text.resize(seq.size());
    text.back() = r.text;
  }
}

void ResponseBuffer::clear() {
  seq.clear();
  rc.clear();
  cas.clear();
  flags.clear();
  u64.clear();
  aux.clear();
  final.clear();
  data.clear();
  data_end.clear();
  text.clear();
  has_text.clear();
}

namespace {
template <typename T>
size_t put(uint8_t *base, size_t offset, const std::vector<T> &column) {
  if (!column.empty()) std::memcpy(base + offset, column.data(), column.size() * sizeof(T));
  return offset + column.size() * sizeof(T);
}

template <typename T>
Napi::TypedArrayOf<T> view(Napi::Env env, Napi::ArrayBuffer &ab, size_t offset, size_t n, napi_typedarray_type type) {
  return Napi::TypedArrayOf<T>::New(env, n, ab, offset, type);
}
}  // namespace

Napi::Object ResponseBuffer::to_js(Napi::Env env) const {
  const size_t n = size();
  // 8-byte columns first, then 4-byte, then 1-byte: every view stays aligned.
  const size_t bytes = n * (8 + 8 + 4 + 4 + 4 + 4 + 4 + 1);
  // Every creation may fail once the environment is terminating (worker.terminate()): then
  // nothing is delivered, and no empty handle may be used (node-addon-api would abort).
  napi_value raw_ab = nullptr;
  void *raw_data = nullptr;
  if (napi_create_arraybuffer(env, bytes ? bytes : 1, &raw_data, &raw_ab) != napi_ok || raw_ab == nullptr) {
    return Napi::Object();
  }
  Napi::ArrayBuffer ab(env, raw_ab);
  auto *base = static_cast<uint8_t *>(raw_data);
  size_t o_cas = 0;
  size_t o_u64 = put(base, o_cas, cas);
  size_t o_seq = put(base, o_u64, u64);
  size_t o_rc = put(base, o_seq, seq);
  size_t o_flags = put(base, o_rc, rc);
  size_t o_aux = put(base, o_flags, flags);
  size_t o_end = put(base, o_aux, aux);
  size_t o_final = put(base, o_end, data_end);
  put(base, o_final, final);

  Napi::Object out = Napi::Object::New(env);
  out.Set("count", Napi::Number::New(env, static_cast<double>(n)));
  out.Set("seq", view<uint32_t>(env, ab, o_seq, n, napi_uint32_array));
  out.Set("rc", view<int32_t>(env, ab, o_rc, n, napi_int32_array));
  out.Set("cas", view<uint64_t>(env, ab, o_cas, n, napi_biguint64_array));
  out.Set("flags", view<uint32_t>(env, ab, o_flags, n, napi_uint32_array));
  out.Set("u64", view<uint64_t>(env, ab, o_u64, n, napi_biguint64_array));
  out.Set("aux", view<int32_t>(env, ab, o_aux, n, napi_int32_array));
  out.Set("final", view<uint8_t>(env, ab, o_final, n, napi_uint8_array));
  out.Set("data", Napi::Buffer<char>::Copy(env, data.empty() ? "" : data.data(), data.size()));
  out.Set("dataEnd", view<uint32_t>(env, ab, o_end, n, napi_uint32_array));

  // Mostly no response has a text (gets, stores): then an array of n holes reads as undefined.
  Napi::Array texts = Napi::Array::New(env, n);
  if (!text.empty()) {
    Napi::Value undefined = env.Undefined();
    for (size_t i = 0; i < n; i++) {
      texts.Set(static_cast<uint32_t>(i), has_text[i] ? Napi::String::New(env, text[i]) : undefined);
    }
  }
  out.Set("text", texts);
  return out;
}

}  // namespace cbrx
