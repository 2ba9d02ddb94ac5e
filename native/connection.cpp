// Connection: owns one lcb_INSTANCE (libuv IO plugin on node's loop) and two unref'd uv
// handles: a uv_prepare that flushes what was scheduled since the last iteration (implicit
// flush is off after bootstrap), and a uv_check that hands every response buffered in this
// iteration to JS in one call. JS is only ever called from those uv callbacks, never from
// inside a libcouchbase frame.
#include "connection.h"

#include <libcouchbase/vbucket.h>
#include "uv_plugin.h"

#include "addon.h"
#include "js_args.h"
#include "lcb_private.h"
#include "ops/ops.h"

namespace cbrx {

namespace {

// The scratch buffer of single-response deliveries: values up to this size (most documents)
// are passed in it, bigger ones in an ArrayBuffer of their own.
constexpr size_t kScratchBytes = 64 * 1024;

// libcouchbase's default (best effort) retries a locked key and a temporary failure until the
// operation times out; the SDK's semantics are to fail those at once (TemporaryFailError) and
// let the application decide (retryTransient). Everything else retries as before.
lcb_RETRY_ACTION retry_strategy(lcb_RETRY_REQUEST *req, lcb_RETRY_REASON reason) {
  lcb_RETRY_ACTION action{0, 0};
  if (reason == LCB_RETRY_REASON_KV_LOCKED || reason == LCB_RETRY_REASON_KV_TEMPORARY_FAILURE) return action;
  if (lcb_retry_request_is_idempotent(req) || lcb_retry_reason_allows_non_idempotent_retry(reason)) {
    action.should_retry = 1;
  }
  return action;
}

}  // namespace

Napi::Function Connection::define(Napi::Env env) {
  return DefineClass(env, "Connection",
                     {
                         InstanceMethod<&Connection::connect>("connect"),
                         InstanceMethod<&Connection::submit>("submit"),
                         InstanceMethod<&Connection::submit_columns>("submitColumns"),
                         InstanceMethod<&Connection::bind_one>("bindOne"),
                         InstanceMethod<&Connection::set_operation_timeout>("setOperationTimeout"),
                         InstanceMethod<&Connection::server_nodes>("serverNodes"),
                         InstanceMethod<&Connection::close>("close"),
                         InstanceMethod<&Connection::stats>("stats"),
                         InstanceMethod<&Connection::view_query>("viewQuery"),
                         InstanceMethod<&Connection::http>("http"),
                     });
}

Connection::Connection(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Connection>(info) {
  Napi::Env env = info.Env();
  addon_ = addon_of(env);
  loop_ = nullptr;
  if (!info.IsConstructCall()) {
    Napi::TypeError::New(env, "Connection must be called with new").ThrowAsJavaScriptException();
    return;
  }
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) {
    Napi::TypeError::New(env, "new Connection(options, onResponses): options must be an object and onResponses a function")
        .ThrowAsJavaScriptException();
    return;
  }
  if (napi_get_uv_event_loop(env, &loop_) != napi_ok || loop_ == nullptr) {
    Napi::Error::New(env, "no uv loop for this environment").ThrowAsJavaScriptException();
    return;
  }
  Napi::Object options = info[0].As<Napi::Object>();
  std::string connstr, username, password;
  uint32_t op_timeout = 0, config_timeout = 0;
  if (!read_string(options, "options", "connstr", true, connstr) ||
      !read_string(options, "options", "username", false, username) ||
      !read_string(options, "options", "password", false, password) ||
      !to_timeout_us(env, options.Get("operationTimeoutUs"), "options.operationTimeoutUs", op_timeout) ||
      !to_timeout_us(env, options.Get("configTimeoutUs"), "options.configTimeoutUs", config_timeout)) {
    return;
  }
  {
    Napi::Value m = options.Get("maxOutstanding");
    if (!m.IsUndefined()) {
      double d = m.IsNumber() ? m.As<Napi::Number>().DoubleValue() : -1;
      if (!(d >= 1 && d <= 0xffffffffu) || d != static_cast<double>(static_cast<uint32_t>(d))) {
        Napi::TypeError::New(env, "options.maxOutstanding must be an integer >= 1").ThrowAsJavaScriptException();
        return;
      }
      max_inflight_ = static_cast<uint32_t>(d);
    }
  }
  if (connstr.find('\0') != std::string::npos) {
    Napi::TypeError::New(env, "options.connstr must not contain NUL").ThrowAsJavaScriptException();
    return;
  }
  on_responses_ = Napi::Persistent(info[1].As<Napi::Function>());
  make_responses_ = make_responses_factory(env);
  if (napi_async_init(env, Value(), Napi::String::New(env, "couchbase-rx:Connection"), &async_context_) != napi_ok) {
    async_context_ = nullptr;
  }

  uv_prepare_init(loop_, &flush_prep_);
  uv_check_init(loop_, &deliver_check_);
  uv_idle_init(loop_, &deliver_idle_);
  flush_prep_.data = this;
  deliver_check_.data = this;
  deliver_idle_.data = this;
  uv_unref(reinterpret_cast<uv_handle_t *>(&flush_prep_));
  uv_unref(reinterpret_cast<uv_handle_t *>(&deliver_check_));
  handles_open_ = 3;
  addon_->add(this);
  Ref();  // alive until close() completes (or the environment goes away)

  // libcouchbase instance
  lcb_CREATEOPTS *copts = nullptr;
  lcb_createopts_create(&copts, LCB_TYPE_BUCKET);
  lcb_createopts_connstr(copts, connstr.data(), connstr.size());
  if (!username.empty() || !password.empty()) {
    lcb_createopts_credentials(copts, username.data(), username.size(), password.data(), password.size());
  }
  lcbmetrics_meter_create(&meter_, nullptr);
  lcbmetrics_meter_value_recorder_callback(meter_, find_recorder);
  lcb_createopts_meter(copts, meter_);
  lcbuv_options_t uvopts{};
  uvopts.version = 0;
  uvopts.v.v0.loop = loop_;
  uvopts.v.v0.startsop_noop = 1;  // never run a nested loop (lcb_wait/destroy)
  lcb_io_opt_t io = nullptr;
  lcb_STATUS rc = cbrx_create_uv_io_opts(&io, &uvopts, this);
  if (rc == LCB_SUCCESS) {
    io->v.base.need_cleanup = 1;  // the instance frees the IO table when it is destroyed
    lcb_createopts_io(copts, io);
    rc = lcb_create(&instance_, copts);
    if (rc != LCB_SUCCESS) {
      instance_ = nullptr;
      lcb_destroy_io_ops(io);
    }
  }
  lcb_createopts_destroy(copts);
  if (rc != LCB_SUCCESS) {
    destroy_meter();
    create_rc_ = rc;
    create_detail_ = lcb_strerror_long(rc);
    return;
  }
  {
    int off = 0;  // no per-operation metrics (a lookup per op) either
    lcb_cntl(instance_, LCB_CNTL_SET, LCB_CNTL_ENABLE_OP_METRICS, &off);
  }
  if (connstr.find("enable_tracing") == std::string::npos) {
    // The threshold-logging tracer costs a span per operation and runs a periodic timer
    // from creation on, which would keep the loop alive for a connection never connected.
    int off = 0;
    lcb_cntl(instance_, LCB_CNTL_SET, LCB_CNTL_ENABLE_TRACING, &off);
  }
  lcb_retry_strategy(instance_, retry_strategy);
  lcb_set_cookie(instance_, this);
  ops::install_callbacks(instance_);
  lcb_set_bootstrap_callback(instance_, bootstrap_cb);
  lcb_set_destroy_callback(instance_, destroy_cb);
  op_timeout_us_ = op_timeout;
  config_timeout_us_ = config_timeout;
  lcb_cntl(instance_, LCB_CNTL_SET, LCB_CNTL_OP_TIMEOUT, &op_timeout);
  lcb_cntl(instance_, LCB_CNTL_SET, LCB_CNTL_CONFIGURATION_TIMEOUT, &config_timeout);
}

// libcouchbase caches the recorders it asks for and destroys them itself.
const lcbmetrics_VALUERECORDER *Connection::find_recorder(const lcbmetrics_METER *, const char *,
                                                           const lcbmetrics_TAG *, size_t) {
  lcbmetrics_VALUERECORDER *recorder = nullptr;
  lcbmetrics_valuerecorder_create(&recorder, nullptr);
  lcbmetrics_valuerecorder_record_value_callback(recorder, [](const lcbmetrics_VALUERECORDER *, uint64_t) {});
  return recorder;
}

void Connection::destroy_meter() {
  if (meter_) lcbmetrics_meter_destroy(meter_);
  meter_ = nullptr;
}

Connection::~Connection() {
  destroy_meter();
  // Normally everything is closed long before: close() or the env cleanup hook. A Connection
  // whose constructor threw never linked itself.
  if (addon_ && linked_) addon_->remove(this);
  if (async_context_) {
    napi_async_destroy(Env(), async_context_);
    async_context_ = nullptr;
  }
}

// ---------------------------------------------------------------------------------------
// connect / bootstrap

Napi::Value Connection::connect(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) {
    Napi::TypeError::New(env, "connect(done): done must be a function").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (state_ != State::Created || !on_connect_.IsEmpty()) {
    Napi::TypeError::New(env, "connect() was already called on this connection").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  on_connect_ = Napi::Persistent(info[0].As<Napi::Function>());
  lcb_STATUS rc = create_rc_;
  if (rc == LCB_SUCCESS) {
    state_ = State::Connecting;  // before lcb_connect: its bootstrap callback may run inside it
    rc = lcb_connect(instance_);
  }
  if (rc != LCB_SUCCESS && state_ != State::Failed) {
    state_ = State::Failed;
    connect_rc_ = rc;
    if (create_detail_.empty()) create_detail_ = lcb_strerror_long(rc);
    connect_done_pending_ = true;
    schedule_delivery();
  }
  return env.Undefined();
}

void Connection::bootstrap_cb(lcb_INSTANCE *instance, lcb_STATUS err) {
  auto *conn = static_cast<Connection *>(const_cast<void *>(lcb_get_cookie(instance)));
  if (conn == nullptr || conn->state_ != State::Connecting) return;
  if (err == LCB_SUCCESS) {
    lcbvb_CONFIG *cfg = nullptr;
    if (lcb_cntl(instance, LCB_CNTL_GET, LCB_CNTL_VBCONFIG, &cfg) == LCB_SUCCESS && cfg != nullptr) {
      conn->ketama_ = lcbvb_get_distmode(cfg) == LCBVB_DIST_KETAMA;
    }
    if (conn->ketama_ && conn->start_probe()) return;
  }
  conn->connect_finished(err);
}

bool Connection::start_probe() {
  lcbvb_CONFIG *cfg = nullptr;
  if (lcb_cntl(instance_, LCB_CNTL_GET, LCB_CNTL_VBCONFIG, &cfg) != LCB_SUCCESS || cfg == nullptr) return false;
  lcb_CMDNOOP *cmd = nullptr;
  if (lcb_cmdnoop_create(&cmd) != LCB_SUCCESS) return false;
  lcb_install_callback(instance_, LCB_CALLBACK_NOOP, probe_cb);
  // one callback per server, then a closing one
  probe_remaining_ = lcbvb_get_nservers(cfg) + 1;
  probe_rc_ = LCB_SUCCESS;
  probe_ok_ = false;
  // bounded by the bootstrap timeout, not the operation timeout (implicit flush is still on)
  lcb_cntl(instance_, LCB_CNTL_SET, LCB_CNTL_OP_TIMEOUT, &config_timeout_us_);
  lcb_STATUS rc = lcb_noop(instance_, nullptr, cmd);
  lcb_cntl(instance_, LCB_CNTL_SET, LCB_CNTL_OP_TIMEOUT, &op_timeout_us_);
  lcb_cmdnoop_destroy(cmd);
  if (rc != LCB_SUCCESS) {
    probe_remaining_ = 0;
    connect_finished(rc);
  }
  return true;
}

void Connection::probe_cb(lcb_INSTANCE *instance, int, const lcb_RESPBASE *base) {
  auto *conn = static_cast<Connection *>(const_cast<void *>(lcb_get_cookie(instance)));
  if (conn == nullptr || conn->state_ != State::Connecting || conn->probe_remaining_ == 0) return;
  // Like a couchbase:// bootstrap, one server that answers is enough; else the first error.
  lcb_STATUS rc = lcb_respnoop_status(reinterpret_cast<const lcb_RESPNOOP *>(base));
  if (rc == LCB_SUCCESS) conn->probe_ok_ = true;
  if (rc != LCB_SUCCESS && conn->probe_rc_ == LCB_SUCCESS) conn->probe_rc_ = rc;
  if (--conn->probe_remaining_ == 0) conn->connect_finished(conn->probe_ok_ ? LCB_SUCCESS : conn->probe_rc_);
}

void Connection::connect_finished(lcb_STATUS err) {
  connect_rc_ = err;
  if (err == LCB_SUCCESS) {
    state_ = State::Connected;
    int off = 0;  // from now on every scheduled command waits for the prepare-phase flush
    lcb_cntl(instance_, LCB_CNTL_SET, LCB_CNTL_SCHED_IMPLICIT_FLUSH, &off);
  } else {
    state_ = State::Failed;
    create_detail_ = lcb_strerror_long(err);
  }
  connect_done_pending_ = true;
  schedule_delivery();
}

// ---------------------------------------------------------------------------------------
// responses

void Connection::set_error_text(Response &r, const lcb_KEY_VALUE_ERROR_CONTEXT *ctx) {
  if (ctx == nullptr) return;
  const char *text = nullptr;
  size_t ntext = 0;
  if (lcb_errctx_kv_context(ctx, &text, &ntext) == LCB_SUCCESS && text && ntext) {
    r.text.assign(text, ntext);
    r.has_text = true;
  }
}

lcb_STATUS Connection::refusal() const {
  if (state_ == State::Closing || state_ == State::Closed) return LCB_ERR_REQUEST_CANCELED;
  if (instance_ == nullptr) return create_rc_ != LCB_SUCCESS ? create_rc_ : LCB_ERR_NO_CONFIGURATION;
  if (state_ == State::Created) return LCB_ERR_NO_CONFIGURATION;
  if (state_ == State::Failed) return connect_rc_ != LCB_SUCCESS ? connect_rc_ : LCB_ERR_NO_CONFIGURATION;
  return LCB_SUCCESS;
}

bool Connection::accepting_responses() const { return state_ == State::Connecting || state_ == State::Connected || state_ == State::Failed; }

void Connection::on_response(const Response &r, bool is_final) {
  if (!accepting_responses()) return;  // already failed by close()
  buffer_.push(r, is_final);
  if (is_final) untrack(r.seq);
  schedule_delivery();
}

void Connection::push_held(Held &h, bool is_final) {
  h.r.data = h.data.data();
  h.r.ndata = h.data.size();
  buffer_.push(h.r, is_final);
}

void Connection::on_multi_response(const Response &r, bool keep_all) {
  if (!accepting_responses()) return;
  std::vector<Held> &held = held_[r.seq];
  if (!keep_all && !held.empty()) {
    push_held(held.front(), false);
    held.clear();
    schedule_delivery();
  }
  held.push_back(Held{r, std::string(r.data ? r.data : "", r.ndata)});
}

void Connection::on_multi_final(uint32_t seq, int32_t rc, const std::string *text) {
  if (!accepting_responses()) return;
  std::vector<Held> held;
  auto it = held_.find(seq);
  if (it != held_.end()) {
    held = std::move(it->second);
    held_.erase(it);
  }
  // The last real response carries `final`, unless the command ended with an error of its own.
  bool error_after = rc != LCB_SUCCESS || held.empty();
  for (size_t i = 0; i < held.size(); i++) push_held(held[i], !error_after && i + 1 == held.size());
  if (error_after) {
    Response r;
    r.seq = seq;
    r.rc = rc;
    if (text) r.text = *text, r.has_text = true;
    buffer_.push(r, true);
  }
  untrack(seq);
  schedule_delivery();
}

void Connection::track(uint32_t seq) {
  ++outstanding_[seq];
  if (++inflight_ > inflight_high_) inflight_high_ = inflight_;
}

void Connection::untrack(uint32_t seq) {
  auto it = outstanding_.find(seq);
  if (it == outstanding_.end()) return;
  if (--it->second == 0) outstanding_.erase(it);
  --inflight_;
  if (!queue_.empty()) request_flush();  // room for a queued command: the prepare phase schedules it
}

void Connection::schedule_delivery() {
  if (reading_ > 0) {
    delivery_due_ = true;
    return;
  }
  auto *check = reinterpret_cast<uv_handle_t *>(&deliver_check_);
  if (uv_is_active(check) || uv_is_closing(check)) return;
  uv_check_start(&deliver_check_, check_cb);
  // Responses that arrive outside the poll phase (timeouts fire from timers, the bootstrap
  // callback may run inside lcb_connect) must not wait for the next I/O event.
  uv_idle_start(&deliver_idle_, idle_cb);
}

void Connection::idle_cb(uv_idle_t *) {}

}  // namespace cbrx

// When a read leaves nothing in flight (the reply to code that awaits each call), the reply is
// handed to JS at the end of that read, in the poll phase, as node's own sockets do: waiting for
// the check phase would only add the rest of the poll and a handle start and stop per reply to
// the time between the reply and the request that follows it. While more is awaited, responses
// still gather until the check phase, so that bulk replies and view rows that come in many
// reads of one iteration cross into JS in few calls: at most one per kRowBatchBytes of rows.
void cbrx_reading(void *reader, int starting) {
  auto *conn = static_cast<cbrx::Connection *>(reader);
  if (starting) {
    ++conn->reading_;
    return;
  }
  if (--conn->reading_ > 0 || !conn->delivery_due_) return;
  conn->delivery_due_ = false;
  if ((conn->inflight_ == 0 && conn->requests_.empty()) || conn->rows_due()) {
    conn->deliver_events();
  } else {
    conn->schedule_delivery();
  }
}

namespace cbrx {

bool Connection::rows_due() const {
  for (uint32_t id : pending_requests_) {
    auto it = requests_.find(id);
    if (it != requests_.end() && it->second->rows.size() >= kRowBatchBytes) return true;
  }
  return false;
}

void Connection::check_cb(uv_check_t *handle) {
  auto *conn = static_cast<Connection *>(handle->data);
  uv_check_stop(handle);
  uv_idle_stop(&conn->deliver_idle_);
  conn->deliver_events();
}

void Connection::call_js(Napi::FunctionReference &fn, std::initializer_list<napi_value> args) {
  if (env_teardown_ || fn.IsEmpty()) return;
  napi_value fn_value = nullptr;
  if (napi_get_reference_value(Env(), fn.operator napi_ref(), &fn_value) != napi_ok) return;
  call_js(fn_value, args);
}

void Connection::call_js(napi_value fn_value, std::initializer_list<napi_value> args) {
  if (env_teardown_ || fn_value == nullptr) return;
  Napi::Env env = Env();
  napi_value recv = nullptr;
  napi_get_global(env, &recv);  // napi_make_callback wants an object as receiver
  napi_value result = nullptr;
  for (napi_value arg : args) {
    if (arg == nullptr) return;  // a creation failed: the environment is going away
  }
  napi_status st = napi_make_callback(env, async_context_, recv, fn_value, args.size(), args.begin(), &result);
  if (st != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value error = nullptr;
      if (napi_get_and_clear_last_exception(env, &error) == napi_ok && error != nullptr) {
        napi_fatal_exception(env, error);  // 'uncaughtException', as for any JS callback
      }
    }
  }
}

void Connection::deliver_events() {
  if (env_teardown_) return;
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  if (connect_done_pending_) {
    connect_done_pending_ = false;
    Napi::FunctionReference done = std::move(on_connect_);
    Napi::Number rc = Napi::Number::New(env, connect_rc_);
    Napi::String detail = Napi::String::New(env, connect_rc_ == LCB_SUCCESS ? "" : create_detail_);
    call_js(done, {rc, detail});
  }
  if (buffer_.size() == 1 && one_block_ != nullptr) {
    // Everything the call needs is in the block or made into JS values first, so the buffer is
    // free again (and keeps its room) before JS runs; nothing is moved.
    if (scratch_.IsEmpty()) scratch_ = Napi::Persistent(Napi::ArrayBuffer::New(env, kScratchBytes));
    napi_value data = nullptr, text = nullptr;
    const bool ok = buffer_.one_into(env, one_block_, scratch_.IsEmpty() ? nullptr : static_cast<napi_value>(scratch_.Value()), data, text);
    buffer_.clear();
    if (ok) call_js(on_response_, {data, text});
  } else if (buffer_.size() > 0) {
    ResponseBuffer out;
    std::swap(out, buffer_);
    Napi::Object js = out.to_js(env, make_responses_);
    if (!js.IsEmpty()) call_js(on_responses_, {js});
    // keep the capacity of the columns for the next iteration
    out.clear();
    if (buffer_.size() == 0) std::swap(out, buffer_);
  }
  if (!pending_requests_.empty()) deliver_requests(env);
}

// ---------------------------------------------------------------------------------------
// flush

void Connection::request_flush() {
  if (state_ != State::Connected) return;  // before bootstrap libcouchbase flushes by itself
  if (!flush_pending_) {
    flush_pending_ = true;
    uv_prepare_start(&flush_prep_, prepare_cb);
  }
}

void Connection::prepare_cb(uv_prepare_t *handle) {
  auto *conn = static_cast<Connection *>(handle->data);
  uv_prepare_stop(handle);
  conn->flush_pending_ = false;
  if (conn->instance_ && conn->state_ == State::Connected) {
    conn->drain_queue();
    lcb_sched_flush(conn->instance_);
  }
}

// ---------------------------------------------------------------------------------------
// small methods

Napi::Value Connection::set_operation_timeout(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  uint32_t us = 0;
  if (info.Length() < 1 || !to_timeout_us(env, info[0], "setOperationTimeout(us): us", us)) {
    if (!env.IsExceptionPending()) Napi::TypeError::New(env, "setOperationTimeout(us): us must be a number").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (instance_ && state_ != State::Closing && state_ != State::Closed) {
    op_timeout_us_ = us;
    lcb_cntl(instance_, LCB_CNTL_SET, LCB_CNTL_OP_TIMEOUT, &us);
  }
  return env.Undefined();
}

Napi::Value Connection::stats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("inflight", Napi::Number::New(env, inflight_));
  out.Set("queued", Napi::Number::New(env, static_cast<double>(queued_)));
  out.Set("maxInflight", Napi::Number::New(env, inflight_high_));
  out.Set("bound", Napi::Number::New(env, max_inflight_));
  return out;
}

Napi::Value Connection::server_nodes(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env);
  if (!instance_ || state_ != State::Connected) return out;
  lcbvb_CONFIG *cfg = nullptr;
  if (lcb_cntl(instance_, LCB_CNTL_GET, LCB_CNTL_VBCONFIG, &cfg) != LCB_SUCCESS || cfg == nullptr) return out;
  unsigned n = lcbvb_get_nservers(cfg);
  uint32_t j = 0;
  for (unsigned i = 0; i < n; i++) {
    const char *hp = lcbvb_get_hostport(cfg, i, LCBVB_SVCTYPE_DATA, LCBVB_SVCMODE_PLAIN);
    if (hp == nullptr) hp = lcbvb_get_hostport(cfg, i, LCBVB_SVCTYPE_DATA, LCBVB_SVCMODE_SSL);
    if (hp != nullptr) out.Set(j++, Napi::String::New(env, hp));
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// close

Napi::Value Connection::close(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) {
    Napi::TypeError::New(env, "close(done): done must be a function").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (state_ == State::Closed) {
    // Already closed: done still runs asynchronously, like the first time.
    Napi::Value set_immediate = env.Global().Get("setImmediate");
    if (set_immediate.IsFunction()) set_immediate.As<Napi::Function>().Call({info[0]});
    return env.Undefined();
  }
  on_close_.push_back(Napi::Persistent(info[0].As<Napi::Function>()));
  begin_close();
  return env.Undefined();
}

void Connection::shutdown_for_env_teardown() {
  env_teardown_ = true;
  begin_close();
}

void Connection::begin_close() {
  if (state_ == State::Closing || state_ == State::Closed) return;
  State prev = state_;
  state_ = State::Closing;
  if (prev == State::Connecting || (prev == State::Created && !on_connect_.IsEmpty())) {
    connect_rc_ = LCB_ERR_REQUEST_CANCELED;
    create_detail_ = "the connection was closed before it was established";
    connect_done_pending_ = true;
  }
  // Fail whatever is outstanding: every command still gets its final response.
  for (auto &entry : held_) {
    for (auto &h : entry.second) push_held(h, false);
  }
  held_.clear();
  for (auto &o : outstanding_) {
    Response r;
    r.seq = o.first;
    r.rc = LCB_ERR_REQUEST_CANCELED;
    for (uint32_t k = 0; k < o.second; k++) buffer_.push(r, true);
  }
  outstanding_.clear();
  inflight_ = 0;
  fail_queue(LCB_ERR_REQUEST_CANCELED);
  fail_requests(LCB_ERR_REQUEST_CANCELED);
  if (flush_pending_) {
    flush_pending_ = false;
    uv_prepare_stop(&flush_prep_);
  }
  if (instance_) {
    // The destroy callback fires once libcouchbase has released everything (sockets,
    // timers, the IO table); only then are our own handles closed.
    lcb_destroy_async(instance_, this);
  } else {
    close_handles();
  }
}

void Connection::destroy_cb(const void *cookie) {
  auto *conn = static_cast<Connection *>(const_cast<void *>(cookie));
  if (conn == nullptr) return;
  conn->instance_ = nullptr;
  conn->destroy_meter();
  conn->close_handles();
}

void Connection::close_handles() {
  uv_close(reinterpret_cast<uv_handle_t *>(&flush_prep_), handle_closed_cb);
  uv_close(reinterpret_cast<uv_handle_t *>(&deliver_check_), handle_closed_cb);
  uv_close(reinterpret_cast<uv_handle_t *>(&deliver_idle_), handle_closed_cb);
}

void Connection::handle_closed_cb(uv_handle_t *handle) {
  auto *conn = static_cast<Connection *>(handle->data);
  if (--conn->handles_open_ > 0) return;
  conn->on_closed();
}

void Connection::on_closed() {
  state_ = State::Closed;
  bool teardown = env_teardown_;
  if (!teardown) {
    // Outside every libcouchbase frame: hand over the failed commands, then say done.
    deliver_events();
    Napi::HandleScope scope(Env());
    std::vector<Napi::FunctionReference> callbacks;
    std::swap(callbacks, on_close_);
    for (auto &cb : callbacks) call_js(cb, {});
  }
  on_close_.clear();
  buffer_.clear();
  requests_.clear();
  pending_requests_.clear();
  addon_->remove(this);  // may let a pending env teardown finish
  if (!teardown) Unref();
}

}  // namespace cbrx
