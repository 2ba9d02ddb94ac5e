// The responses of one loop iteration, column by column, and their JS form
// (NativeResponses in src/binding.ts): the numeric columns share one ArrayBuffer.
#include <cstring>

#include "connection.h"
#include "one_block.h"

namespace cbrx {

// Builds a NativeResponses from one ArrayBuffer holding every column and the value bytes. The
// views and the object are made in JS: from C++ each typed array and each property would be a
// runtime call (about 2,000 instructions apiece, measured with callgrind), from optimized JS they
// are inline allocations. The constructors are captured once, so later changes to the globals
// do not reach it.
const char kMakeResponses[] = R"js(
(function (U32, I32, U64, U8, Buffer) {
  return function makeResponses(n, ab, text, oCas, oU64, oSeq, oRc, oFlags, oAux, oEnd, oFinal, oData, nData) {
    return {
      count: n,
      seq: new U32(ab, oSeq, n),
      rc: new I32(ab, oRc, n),
      cas: new U64(ab, oCas, n),
      flags: new U32(ab, oFlags, n),
      u64: new U64(ab, oU64, n),
      aux: new I32(ab, oAux, n),
      final: new U8(ab, oFinal, n),
      data: Buffer.from(ab, oData, nData),
      dataEnd: new U32(ab, oEnd, n),
      text: text,
    };
  };
})(Uint32Array, Int32Array, BigUint64Array, Uint8Array, Buffer)
)js";

Napi::FunctionReference make_responses_factory(Napi::Env env) {
  napi_value source = nullptr, fn = nullptr;
  if (napi_create_string_utf8(env, kMakeResponses, sizeof(kMakeResponses) - 1, &source) != napi_ok ||
      napi_run_script(env, source, &fn) != napi_ok) {
    return Napi::FunctionReference();
  }
  return Napi::Persistent(Napi::Function(env, fn));
}

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
}  // namespace

Napi::Object ResponseBuffer::to_js(Napi::Env env, const Napi::FunctionReference &make) const {
  const size_t n = size();
  // 8-byte columns first, then 4-byte, then 1-byte: every view stays aligned; the value bytes last.
  const size_t bytes = n * (8 + 8 + 4 + 4 + 4 + 4 + 4 + 1) + data.size();
  // Every creation may fail once the environment is terminating (worker.terminate()): then
  // nothing is delivered, and no empty handle may be used (node-addon-api would abort).
  napi_value make_fn = nullptr;
  if (make.IsEmpty() || napi_get_reference_value(env, make, &make_fn) != napi_ok || make_fn == nullptr) return Napi::Object();
  napi_value ab = nullptr;
  void *raw_data = nullptr;
  if (napi_create_arraybuffer(env, bytes ? bytes : 1, &raw_data, &ab) != napi_ok || ab == nullptr) return Napi::Object();
  auto *base = static_cast<uint8_t *>(raw_data);
  size_t o_cas = 0;
  size_t o_u64 = put(base, o_cas, cas);
  size_t o_seq = put(base, o_u64, u64);
  size_t o_rc = put(base, o_seq, seq);
  size_t o_flags = put(base, o_rc, rc);
  size_t o_aux = put(base, o_flags, flags);
  size_t o_end = put(base, o_aux, aux);
  size_t o_final = put(base, o_end, data_end);
  size_t o_data = put(base, o_final, final);
  put(base, o_data, data);

  napi_value undefined = nullptr;
  napi_get_undefined(env, &undefined);
  // Mostly no response has a text (gets, stores): then an array of n holes reads as undefined.
  napi_value texts = nullptr;
  if (napi_create_array_with_length(env, n, &texts) != napi_ok) return Napi::Object();
  if (!text.empty()) {
    for (size_t i = 0; i < n; i++) {
      napi_value t = undefined;
      if (has_text[i]) napi_create_string_utf8(env, text[i].data(), text[i].size(), &t);
      napi_set_element(env, texts, static_cast<uint32_t>(i), t ? t : undefined);
    }
  }
  const double numbers[] = {static_cast<double>(n), static_cast<double>(o_cas), static_cast<double>(o_u64),
                            static_cast<double>(o_seq), static_cast<double>(o_rc), static_cast<double>(o_flags),
                            static_cast<double>(o_aux), static_cast<double>(o_end), static_cast<double>(o_final),
                            static_cast<double>(o_data), static_cast<double>(data.size())};
  napi_value args[13];
  args[1] = ab;
  args[2] = texts;
  const int slots[] = {0, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
    if (napi_create_double(env, numbers[i], &args[slots[i]]) != napi_ok) return Napi::Object();
  }
  napi_value out = nullptr;
  if (napi_call_function(env, undefined, make_fn, 13, args, &out) != napi_ok || out == nullptr) {
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
      napi_value ignored = nullptr;
      napi_get_and_clear_last_exception(env, &ignored);
    }
    return Napi::Object();
  }
  return Napi::Object(env, out);
}

bool ResponseBuffer::one_into(Napi::Env env, uint8_t *block, napi_value scratch, napi_value &data_out, napi_value &text_out) const {
  namespace ob = one_block;
  ob::write<uint64_t>(block, ob::kRespCas, cas[0]);
  ob::write<uint64_t>(block, ob::kRespU64, u64[0]);
  ob::write<uint32_t>(block, ob::kRespSeq, seq[0]);
  ob::write<int32_t>(block, ob::kRespRc, rc[0]);
  ob::write<uint32_t>(block, ob::kRespFlags, flags[0]);
  ob::write<int32_t>(block, ob::kRespAux, aux[0]);
  ob::write<uint32_t>(block, ob::kRespFinal, final[0]);
  ob::write<uint32_t>(block, ob::kRespDataLength, static_cast<uint32_t>(data.size()));
  void *raw = nullptr;
  size_t room = 0;
  if (data.empty()) {
    if (napi_get_undefined(env, &data_out) != napi_ok) return false;
  } else if (scratch != nullptr && napi_get_arraybuffer_info(env, scratch, &raw, &room) == napi_ok && raw != nullptr &&
             room > data.size()) {
    // The connection's scratch buffer (checked each time: JS could have detached it): the
    // callee reads the bytes during the call, so no ArrayBuffer is made per response.
    // Strictly bigger than the bytes, so that one of exactly their size is never the scratch.
    std::memcpy(raw, data.data(), data.size());
    data_out = scratch;
  } else {
    if (napi_create_arraybuffer(env, data.size(), &raw, &data_out) != napi_ok || raw == nullptr) return false;
    std::memcpy(raw, data.data(), data.size());
  }
  if (!text.empty() && has_text[0]) {
    return napi_create_string_utf8(env, text[0].data(), text[0].size(), &text_out) == napi_ok;
  }
  return napi_get_undefined(env, &text_out) == napi_ok;
}

}  // namespace cbrx
