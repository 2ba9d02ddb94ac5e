// submit(batch): decodes the flat NativeBatch (src/binding.ts), checks every array before
// anything is scheduled (bad input throws TypeError and schedules nothing), then schedules
// the whole batch inside one lcb_sched_enter/lcb_sched_leave. submitColumns and submitOne are
// the same batch in other forms. Keys and values are copied by
// libcouchbase while scheduling, so JS may reuse the arrays as soon as submit returns.
#include <string>

#include "connection.h"
#include "one_block.h"
#include "ops/ops.h"

namespace cbrx {

namespace ops {

void install_callbacks(lcb_INSTANCE *instance) {
  install_get(instance);
  install_get_replica(instance);
  install_store(instance);
  install_remove(instance);
  install_counter(instance);
  install_touch(instance);
  install_unlock(instance);
  install_observe(instance);
  install_stats(instance);
  install_http(instance);
}

}  // namespace ops

namespace {

constexpr uint32_t kMaxBatch = 1u << 24;

const char *type_name(napi_typedarray_type t) {
  switch (t) {
    case napi_uint8_array: return "Uint8Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_int32_array: return "Int32Array";
    case napi_biguint64_array: return "BigUint64Array";
    default: return "typed array";
  }
}

// A column (batch[name]) must be a typed array of `type` with at least `min_len` elements.
bool typed(Napi::Env env, const Napi::Value &v, const char *name, napi_typedarray_type type, size_t min_len,
           const void **out, size_t *len) {
  bool ok = v.IsTypedArray();
  napi_typedarray_type actual = napi_int8_array;
  size_t length = 0;
  void *data = nullptr;
  if (ok) {
    napi_value ab;
    size_t offset;
    ok = napi_get_typedarray_info(env, v, &actual, &length, &data, &ab, &offset) == napi_ok && actual == type;
  }
  if (!ok || length < min_len) {
    std::string msg = std::string("batch.") + name + " must be a " + type_name(type) +
                      (ok ? " of at least batch.count elements" : "");
    Napi::TypeError::New(env, msg).ThrowAsJavaScriptException();
    return false;
  }
  static const char empty = 0;
  *out = data ? data : &empty;
  if (len) *len = length;
  return true;
}

// keyEnd/valueEnd: non-decreasing offsets inside the concatenated bytes.
bool check_ends(Napi::Env env, const uint32_t *ends, uint32_t count, size_t total, const char *name) {
  uint32_t prev = 0;
  for (uint32_t i = 0; i < count; i++) {
    if (ends[i] < prev || ends[i] > total) {
      Napi::TypeError::New(env, std::string("batch.") + name + "[" + std::to_string(i) +
                                    "] is not a non-decreasing offset inside the bytes")
          .ThrowAsJavaScriptException();
      return false;
    }
    prev = ends[i];
  }
  return true;
}

bool known_op(uint8_t op) {
  switch (op) {
    case OP_GET: case OP_GET_AND_LOCK: case OP_GET_REPLICA:
    case OP_SET: case OP_ADD: case OP_REPLACE: case OP_APPEND: case OP_PREPEND:
    case OP_DELETE: case OP_INCR: case OP_DECR: case OP_TOUCH: case OP_UNLOCK:
    case OP_OBSERVE: case OP_STATS:
      return true;
    default:
      return false;
  }
}

// Offsets inside the bytes, known op codes: what both forms check once the pointers are known.
bool check_batch(Napi::Env env, const BatchView &b) {
  if (!check_ends(env, b.key_end, b.count, b.nkeys, "keyEnd") ||
      !check_ends(env, b.value_end, b.count, b.nvalues, "valueEnd")) {
    return false;
  }
  for (uint32_t i = 0; i < b.count; i++) {
    if (!known_op(b.op[i])) {
      Napi::TypeError::New(env, "batch.op[" + std::to_string(i) + "] = " + std::to_string(b.op[i]) +
                                    " is not a NativeOp code")
          .ThrowAsJavaScriptException();
      return false;
    }
  }
  return true;
}

// The named columns of a batch object (submit), in the order decode_columns reads them.
constexpr const char *kColumns[] = {"seq", "op", "keys", "keyEnd", "values", "valueEnd", "flags",
                                    "expiry", "cas", "delta", "initial", "aux"};
constexpr size_t kNumColumns = sizeof(kColumns) / sizeof(kColumns[0]);

bool decode_columns(Napi::Env env, napi_value count, const napi_value *cols, BatchView &b) {
  Napi::Value c_value(env, count);
  double c = c_value.IsNumber() ? c_value.As<Napi::Number>().DoubleValue() : -1;
  if (!(c >= 0 && c <= kMaxBatch) || c != static_cast<double>(static_cast<uint32_t>(c))) {
    Napi::TypeError::New(env, "batch.count must be an integer between 0 and 2^24").ThrowAsJavaScriptException();
    return false;
  }
  b.count = static_cast<uint32_t>(c);
  const size_t n = b.count;
  const void *p = nullptr;
  size_t len = 0;
  size_t col = 0;
#define TYPED(field, type, ctype, min_len)                                               \
  if (!typed(env, Napi::Value(env, cols[col]), kColumns[col], type, min_len, &p, &len)) \
    return false;                                                                        \
  b.field = static_cast<const ctype *>(p);                                               \
  col++;
  TYPED(seq, napi_uint32_array, uint32_t, n)
  TYPED(op, napi_uint8_array, uint8_t, n)
  TYPED(keys, napi_uint8_array, char, 0)
  b.nkeys = len;
  TYPED(key_end, napi_uint32_array, uint32_t, n)
  TYPED(values, napi_uint8_array, char, 0)
  b.nvalues = len;
  TYPED(value_end, napi_uint32_array, uint32_t, n)
  TYPED(flags, napi_uint32_array, uint32_t, n)
  TYPED(expiry, napi_uint32_array, uint32_t, n)
  TYPED(cas, napi_biguint64_array, uint64_t, n)
  TYPED(delta, napi_biguint64_array, uint64_t, n)
  TYPED(initial, napi_biguint64_array, uint64_t, n)
  TYPED(aux, napi_int32_array, int32_t, n)
#undef TYPED
  return check_batch(env, b);
}

// The object form: batch.count and the named columns.
bool decode(Napi::Env env, const Napi::Value &arg, BatchView &b) {
  if (!arg.IsObject()) {
    Napi::TypeError::New(env, "submit(batch): batch must be an object").ThrowAsJavaScriptException();
    return false;
  }
  Napi::Object batch = arg.As<Napi::Object>();
  Napi::Value count = batch.Get("count");
  if (env.IsExceptionPending()) return false;
  napi_value cols[kNumColumns];
  for (size_t i = 0; i < kNumColumns; i++) {
    cols[i] = batch.Get(kColumns[i]);
    if (env.IsExceptionPending()) return false;
  }
  return decode_columns(env, count, cols, b);
}

constexpr size_t kBytesPerCommand = 49;  // BATCH_BYTES_PER_COMMAND in src/binding.ts

// The packed form (submitColumns): pointers into one ArrayBuffer of columns, checked like the rest.
bool decode_packed(Napi::Env env, const Napi::Value &count, const Napi::Value &columns, const Napi::Value &capacity,
                   const Napi::Value &keys, const Napi::Value &values, BatchView &b) {
  double c = count.IsNumber() ? count.As<Napi::Number>().DoubleValue() : -1;
  double cap = capacity.IsNumber() ? capacity.As<Napi::Number>().DoubleValue() : -1;
  if (!(c >= 0 && c <= kMaxBatch) || c != static_cast<double>(static_cast<uint32_t>(c)) || !(cap >= c && cap <= kMaxBatch) ||
      cap != static_cast<double>(static_cast<uint32_t>(cap))) {
    Napi::TypeError::New(env, "submitColumns: count and capacity must be integers, 0 <= count <= capacity <= 2^24")
        .ThrowAsJavaScriptException();
    return false;
  }
  void *base = nullptr;
  size_t bytes = 0;
  if (!columns.IsArrayBuffer() || napi_get_arraybuffer_info(env, columns, &base, &bytes) != napi_ok ||
      bytes < static_cast<size_t>(cap) * kBytesPerCommand || (base == nullptr && cap > 0) ||
      reinterpret_cast<uintptr_t>(base) % 8 != 0) {
    Napi::TypeError::New(env, "submitColumns: columns must be an ArrayBuffer of capacity * 49 bytes")
        .ThrowAsJavaScriptException();
    return false;
  }
  b.count = static_cast<uint32_t>(c);
  const size_t n = static_cast<size_t>(cap);
  auto *p = static_cast<const uint8_t *>(base);
  b.cas = reinterpret_cast<const uint64_t *>(p);
  b.delta = reinterpret_cast<const uint64_t *>(p + 8 * n);
  b.initial = reinterpret_cast<const uint64_t *>(p + 16 * n);
  b.seq = reinterpret_cast<const uint32_t *>(p + 24 * n);
  b.key_end = reinterpret_cast<const uint32_t *>(p + 28 * n);
  b.value_end = reinterpret_cast<const uint32_t *>(p + 32 * n);
  b.flags = reinterpret_cast<const uint32_t *>(p + 36 * n);
  b.expiry = reinterpret_cast<const uint32_t *>(p + 40 * n);
  b.aux = reinterpret_cast<const int32_t *>(p + 44 * n);
  b.op = p + 48 * n;
  const void *data = nullptr;
  size_t len = 0;
  if (!typed(env, keys, "keys", napi_uint8_array, 0, &data, &len)) return false;
  b.keys = static_cast<const char *>(data);
  b.nkeys = len;
  if (!typed(env, values, "values", napi_uint8_array, 0, &data, &len)) return false;
  b.values = static_cast<const char *>(data);
  b.nvalues = len;
  return check_batch(env, b);
}

// Command i of the batch; its key and value bytes are at `key` and `value` (in the batch, or in
// a queue's copy of them).
Cmd command_at(const BatchView &b, uint32_t i, const char *key, const char *value) {
  Cmd cmd;
  cmd.seq = b.seq[i];
  cmd.op = b.op[i];
  cmd.key = key;
  cmd.nkey = b.key_end[i] - (i ? b.key_end[i - 1] : 0);
  cmd.value = value;
  cmd.nvalue = b.value_end[i] - (i ? b.value_end[i - 1] : 0);
  cmd.flags = b.flags[i];
  cmd.expiry = b.expiry[i];
  cmd.cas = b.cas[i];
  cmd.delta = b.delta[i];
  cmd.initial = b.initial[i];
  cmd.aux = b.aux[i];
  return cmd;
}

lcb_STATUS schedule(lcb_INSTANCE *instance, const Cmd &cmd) {
  switch (cmd.op) {
    case OP_GET:
    case OP_GET_AND_LOCK: return ops::schedule_get(instance, cmd);
    case OP_GET_REPLICA: return ops::schedule_get_replica(instance, cmd);
    case OP_SET:
    case OP_ADD:
    case OP_REPLACE:
    case OP_APPEND:
    case OP_PREPEND: return ops::schedule_store(instance, cmd);
    case OP_DELETE: return ops::schedule_remove(instance, cmd);
    case OP_INCR:
    case OP_DECR: return ops::schedule_counter(instance, cmd);
    case OP_TOUCH: return ops::schedule_touch(instance, cmd);
    case OP_UNLOCK: return ops::schedule_unlock(instance, cmd);
    case OP_OBSERVE: return ops::schedule_observe(instance, cmd);
    case OP_STATS: return ops::schedule_stats(instance, cmd);
    default: return LCB_ERR_INVALID_ARGUMENT;
  }
}

}  // namespace

Napi::Value Connection::submit(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  BatchView b;
  if (!decode(env, info.Length() > 0 ? info[0] : env.Undefined(), b)) return env.Undefined();
  Napi::Int32Array rcs = Napi::Int32Array::New(env, b.count);
  if (rcs.IsEmpty() || (b.count > 0 && rcs.Data() == nullptr)) return env.Undefined();  // env terminating
  schedule_batch(b, rcs.Data());
  return rcs;
}

// submitColumns(rcs, count, columns, capacity, keys, values): the fixed-width columns in one
// ArrayBuffer laid out by capacity (batchColumnOffsets in src/binding.ts: cas, delta, initial,
// then seq, keyEnd, valueEnd, flags, expiry, aux, then op), one rc per command written into
// `rcs` (reused by the caller): no property lookups, four buffers, no result array per call.
Napi::Value Connection::submit_columns(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  BatchView b;
  if (!decode_packed(env, info[1], info[2], info[3], info[4], info[5], b)) return env.Undefined();
  const void *out = nullptr;
  if (!typed(env, info[0], "rcs", napi_int32_array, b.count, &out, nullptr)) return env.Undefined();
  schedule_batch(b, static_cast<int32_t *>(const_cast<void *>(out)));
  return env.Undefined();
}

namespace {

bool throw_type_error(napi_env env, const std::string &message) {
  napi_throw_type_error(env, nullptr, message.c_str());
  return false;
}

// Key or value bytes: a string (written as UTF-8 into `store`) or a Uint8Array (read in place);
// undefined when `optional` (no bytes).
bool bytes_arg(napi_env env, napi_value v, const char *name, bool optional, std::string &store, const char **data, size_t *len) {
  static const char empty = 0;
  napi_valuetype t = napi_undefined;
  napi_typeof(env, v, &t);
  *data = &empty;
  *len = 0;
  if (t == napi_string) {
    size_t n = 0;
    if (napi_get_value_string_utf8(env, v, nullptr, 0, &n) != napi_ok) return false;
    store.resize(n);
    size_t written = 0;
    if (napi_get_value_string_utf8(env, v, store.data(), n + 1, &written) != napi_ok) return false;
    *data = store.data();
    *len = written;
    return true;
  }
  bool is_typed = false;
  if (t == napi_object && napi_is_typedarray(env, v, &is_typed) == napi_ok && is_typed) {
    napi_typedarray_type type = napi_int8_array;
    size_t length = 0;
    void *bytes = nullptr;
    if (napi_get_typedarray_info(env, v, &type, &length, &bytes, nullptr, nullptr) == napi_ok && type == napi_uint8_array) {
      if (bytes != nullptr) *data = static_cast<const char *>(bytes);
      *len = length;
      return true;
    }
  }
  if (optional && t == napi_undefined) return true;
  return throw_type_error(env, std::string("submitOne: ") + name + " must be a string or a Uint8Array" + (optional ? ", or undefined" : ""));
}

}  // namespace

// bindOne(block, onResponse): the one-command block (native/one_block.h) and the callback of
// deliveries of exactly one response. The block stays referenced, so its memory stays put.
// Returns submitOne: a plain function bound to this connection rather than a method, so that a
// call does not pay for finding the connection behind `this` (napi_unwrap, about a fifth of the
// call). It holds the connection's object, so the connection lives as long as it does.
Napi::Value Connection::bind_one(const Napi::CallbackInfo &info) {
  napi_env env = info.Env();
  void *data = nullptr;
  size_t bytes = 0;
  if (info.Length() < 2 || !info[0].IsArrayBuffer() || napi_get_arraybuffer_info(env, info[0], &data, &bytes) != napi_ok ||
      data == nullptr || bytes < one_block::kBytes || reinterpret_cast<uintptr_t>(data) % 8 != 0 || !info[1].IsFunction()) {
    throw_type_error(env, "bindOne(block, onResponse): block must be an ArrayBuffer of " + std::to_string(one_block::kBytes) +
                              " bytes and onResponse a function");
    return info.Env().Undefined();
  }
  napi_value submit = nullptr;
  if (napi_create_function(env, "submitOne", NAPI_AUTO_LENGTH, submit_one_bound, this, &submit) != napi_ok) return info.Env().Undefined();
  const napi_property_descriptor holds = {"connection", nullptr, nullptr, nullptr, nullptr, info.This(), napi_default, nullptr};
  if (napi_define_properties(env, submit, 1, &holds) != napi_ok) return info.Env().Undefined();
  one_block_ref_ = Napi::Persistent(info[0].As<Napi::ArrayBuffer>());
  one_block_ = static_cast<uint8_t *>(data);
  on_response_ = Napi::Persistent(info[1].As<Napi::Function>());
  return Napi::Value(env, submit);
}

napi_value Connection::submit_one_bound(napi_env env, napi_callback_info cbinfo) {
  Napi::CallbackInfo info(env, cbinfo);
  return static_cast<Connection *>(info.Data())->submit_one(info);
}

// submitOne(key, value): a batch of one command, its numbers (and its key, unless the block
// says it is the argument) in the bound block: a tick with one operation is the common case of
// code that awaits each call. Returns the command's rc.
Napi::Value Connection::submit_one(const Napi::CallbackInfo &info) {
  napi_env env = info.Env();
  namespace ob = one_block;
  const uint8_t *block = one_block_;
  const uint32_t key_length = ob::read<uint32_t>(block, ob::kKeyLength);
  const char *key = nullptr, *value = nullptr;
  size_t nkey = 0, nvalue = 0;
  if (key_length == ob::kKeyInArgument) {
    if (!bytes_arg(env, info[0], "key", false, one_key_, &key, &nkey)) return info.Env().Undefined();
  } else if (key_length <= ob::kKeyRoom) {
    key = reinterpret_cast<const char *>(block + ob::kKey);
    nkey = key_length;
  } else {
    throw_type_error(env, "submitOne: the block's key length is more than its key room");
    return info.Env().Undefined();
  }
  if (!bytes_arg(env, info[1], "value", true, one_value_, &value, &nvalue)) return info.Env().Undefined();
  const uint32_t seq = ob::read<uint32_t>(block, ob::kSeq), flags = ob::read<uint32_t>(block, ob::kFlags);
  const uint32_t expiry = ob::read<uint32_t>(block, ob::kExpiry), op = ob::read<uint32_t>(block, ob::kOp);
  const int32_t aux = ob::read<int32_t>(block, ob::kAux);
  const uint64_t cas = ob::read<uint64_t>(block, ob::kCas), delta = ob::read<uint64_t>(block, ob::kDelta),
                 initial = ob::read<uint64_t>(block, ob::kInitial);
  if (op > 0xff) {
    throw_type_error(env, "submitOne: the block's op is not a NativeOp code");
    return info.Env().Undefined();
  }
  const uint8_t op8 = static_cast<uint8_t>(op);
  const uint32_t key_end = static_cast<uint32_t>(nkey), value_end = static_cast<uint32_t>(nvalue);
  BatchView b;
  b.count = 1;
  b.seq = &seq;
  b.op = &op8;
  b.keys = key;
  b.nkeys = nkey;
  b.key_end = &key_end;
  b.values = value;
  b.nvalues = nvalue;
  b.value_end = &value_end;
  b.flags = &flags;
  b.expiry = &expiry;
  b.cas = &cas;
  b.delta = &delta;
  b.initial = &initial;
  b.aux = &aux;
  if (!check_batch(info.Env(), b)) return info.Env().Undefined();
  int32_t rc = 0;
  schedule_batch(b, &rc);
  return Napi::Number::New(info.Env(), rc);
}

void Connection::schedule_batch(const BatchView &b, int32_t *out) {
  const lcb_STATUS refuse = refusal();
  if (refuse != LCB_SUCCESS) {
    for (uint32_t i = 0; i < b.count; i++) out[i] = refuse;
    return;
  }
  if (b.count == 0) return;
  // Commands go to libcouchbase while fewer than max_inflight_ are outstanding there and
  // nothing is queued ahead of them; the rest (always a tail of the batch) go to one
  // QueuedBatch with one copy of their keys and values (rc 0: their responses follow), and are
  // scheduled from the prepare phase as responses free room.
  QueuedBatch *qb = nullptr;
  size_t qb_key_base = 0, qb_value_base = 0;  // where the copied tail starts in the batch's bytes
  lcb_sched_enter(instance_);
  for (uint32_t i = 0; i < b.count; i++) {
    const uint32_t key_start = i ? b.key_end[i - 1] : 0, value_start = i ? b.value_end[i - 1] : 0;
    if (qb == nullptr && queue_.empty() && inflight_ < max_inflight_) {
      Cmd cmd = command_at(b, i, b.keys + key_start, b.values + value_start);
      out[i] = schedule(instance_, cmd);
      if (out[i] == LCB_SUCCESS) track(cmd.seq);
      continue;
    }
    if (qb == nullptr) {
      queue_.push_back(std::make_unique<QueuedBatch>());
      qb = queue_.back().get();
      qb->deadline_ns = uv_hrtime() + static_cast<uint64_t>(op_timeout_us_) * 1000;
      qb->cmds.reserve(b.count - i);
      qb_key_base = key_start;
      qb_value_base = value_start;
      qb->keys.assign(b.keys + key_start, b.key_end[b.count - 1] - key_start);
      qb->values.assign(b.values + value_start, b.value_end[b.count - 1] - value_start);
    }
    qb->cmds.push_back(command_at(b, i, qb->keys.data() + (key_start - qb_key_base),
                                  qb->values.data() + (value_start - qb_value_base)));
    ++queued_;
    out[i] = LCB_SUCCESS;
  }
  lcb_sched_leave(instance_);
  // Written now, at the end of the JS tick that made the batch, not in the next prepare phase:
  // what the loop does after this (the rest of the delivery, timers) then overlaps the round
  // trip instead of delaying the request. Queued commands go from the prepare phase.
  if (state_ == State::Connected) lcb_sched_flush(instance_);
  if (!queue_.empty()) request_flush();
}

void Connection::drain_queue() {
  if (queue_.empty()) return;
  const uint64_t now = uv_hrtime();
  bool entered = false;
  while (!queue_.empty()) {
    QueuedBatch &qb = *queue_.front();
    // Less than a millisecond left counts as expired: libuv timers have millisecond resolution, and
    // libcouchbase's timeout timer re-armed at 0 ms keeps the loop in its timer phase.
    const bool expired = now + 1000000 >= qb.deadline_ns;
    // Expired commands fail whether or not there is room; the others wait for room.
    if (!expired && inflight_ >= max_inflight_) break;
    if (qb.next == qb.cmds.size()) {
      queue_.pop_front();
      continue;
    }
    Cmd &cmd = qb.cmds[qb.next++];
    --queued_;
    lcb_STATUS rc = LCB_ERR_TIMEOUT;
    if (!expired) {
      // what is left of the timeout, counted from submit
      cmd.timeout_us = static_cast<uint32_t>((qb.deadline_ns - now) / 1000);
      if (!entered) {
        lcb_sched_enter(instance_);
        entered = true;
      }
      rc = schedule(instance_, cmd);
    }
    if (rc == LCB_SUCCESS) {
      track(cmd.seq);
    } else {
      Response r;
      r.seq = cmd.seq;
      r.rc = rc;
      buffer_.push(r, true);
      schedule_delivery();
    }
  }
  if (!queue_.empty() && queue_.front()->next == queue_.front()->cmds.size()) queue_.pop_front();
  if (entered) lcb_sched_leave(instance_);
}

void Connection::fail_queue(int32_t rc) {
  for (auto &qb : queue_) {
    for (size_t i = qb->next; i < qb->cmds.size(); i++) {
      Response r;
      r.seq = qb->cmds[i].seq;
      r.rc = rc;
      buffer_.push(r, true);
    }
  }
  queue_.clear();
  queued_ = 0;
}

}  // namespace cbrx
