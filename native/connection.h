// One libcouchbase instance on node's own loop, and the JS object that owns it.
// See docs/native.md for the contract (src/binding.ts) and the lifetimes.
#pragma once

#include <napi.h>
#include <uv.h>
#include <libcouchbase/couchbase.h>
#include <libcouchbase/metrics.h>

#include "cmd.h"
#include "uv_plugin.h"

#include <cstdint>
#include <deque>
#include <initializer_list>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace cbrx {

struct Addon;

// Op codes of NativeOp (src/binding.ts).
enum Op : uint8_t {
  OP_GET = 1,
  OP_GET_AND_LOCK = 2,
  OP_GET_REPLICA = 3,
  OP_SET = 10,
  OP_ADD = 11,
  OP_REPLACE = 12,
  OP_APPEND = 13,
  OP_PREPEND = 14,
  OP_DELETE = 20,
  OP_INCR = 21,
  OP_DECR = 22,
  OP_TOUCH = 23,
  OP_UNLOCK = 24,
  OP_OBSERVE = 30,
  OP_STATS = 31,
};

// One response as the ops read it from libcouchbase, before it joins the buffer.
struct Response {
  uint32_t seq = 0;
  int32_t rc = 0;
  uint64_t cas = 0;
  uint32_t flags = 0;
  uint64_t u64 = 0;
  int32_t aux = 0;
  const char *data = nullptr;
  size_t ndata = 0;
  std::string text;
  bool has_text = false;
};

// Responses of one loop iteration, column by column (the NativeResponses shape).
struct ResponseBuffer {
  std::vector<uint32_t> seq;
  std::vector<int32_t> rc;
  std::vector<uint64_t> cas;
  std::vector<uint32_t> flags;
  std::vector<uint64_t> u64;
  std::vector<int32_t> aux;
  std::vector<uint8_t> final;
  std::vector<char> data;
  std::vector<uint32_t> data_end;
  std::vector<std::string> text;
  std::vector<uint8_t> has_text;

  size_t size() const { return seq.size(); }
  void push(const Response &r, bool is_final);
  void clear();
  // `make` is the function make_responses_factory() returns.
  Napi::Object to_js(Napi::Env env, const Napi::FunctionReference &make) const;
  // The only response: its numbers into the one-command block, its value bytes into `scratch`
  // when they fit (else an ArrayBuffer of their own) as `data`, its text as `text`; false when a
  // creation failed.
  bool one_into(Napi::Env env, uint8_t *block, napi_value scratch, napi_value &data, napi_value &text) const;
};

// The JS function that turns one ArrayBuffer of columns into a NativeResponses (responses.cpp).
Napi::FunctionReference make_responses_factory(Napi::Env env);

// The queued part of one submit: one copy of its keys and values, one deadline for all.
struct QueuedBatch {
  uint64_t deadline_ns = 0;  // uv_hrtime() at submit + the operation timeout
  // The keys and values of the queued commands, which point into these copies.
  std::string keys;
  std::string values;
  std::vector<Cmd> cmds;
  size_t next = 0;  // cmds[next..] are still waiting
};

// A view query or HTTP request (native/requests.cpp): its JS callback, libcouchbase's handle
// while libcouchbase may still call back, and what waits for the next delivery.
struct Request {
  enum class Kind : uint8_t { View, Http };
  Kind kind = Kind::View;
  Napi::FunctionReference callback;
  lcb_VIEW_HANDLE *view = nullptr;  // null once the view's final callback has run
  lcb_HTTP_HANDLE *http = nullptr;  // null once the response's callback has run
  // View rows since the last delivery, as the start of a JSON array: "[row,row" (empty: none).
  std::string rows;
  bool ended = false;
  bool pending = false;  // listed for the next delivery
  int32_t rc = 0;
  uint16_t http_status = 0;
  // View: the response without its rows when it was complete, else the error body received.
  // HTTP: the response body.
  std::string body;
  std::string error_code;  // view: the server's first error, as libcouchbase read it
  std::string error_message;
};

// Default bound on commands handed to libcouchbase per connection (bench/native-throughput.ts).
constexpr uint32_t kDefaultMaxInflight = 512;

class Connection : public Napi::ObjectWrap<Connection> {
 public:
  static Napi::Function define(Napi::Env env);
  Connection(const Napi::CallbackInfo &info);
  ~Connection() override;

  // --- used by the ops (native/ops/*.cpp) ---
  // A response of a single-response command, or one of several (final says which).
  void on_response(const Response &r, bool is_final);
  // For commands with several responses whose end libcouchbase marks with an empty "final"
  // callback (stats, observe): responses are held back so that the last real one can carry
  // `final`. Stats keeps only the latest; observe keeps all, in the order they arrived.
  void on_multi_response(const Response &r, bool keep_all);
  void on_multi_final(uint32_t seq, int32_t rc, const std::string *text);
  // libcouchbase's error context text of a failed response, if any.
  static void set_error_text(Response &r, const lcb_KEY_VALUE_ERROR_CONTEXT *ctx);

  // Called by the addon's env cleanup hook: tear down without calling into JS.
  void shutdown_for_env_teardown();

  // --- view queries and HTTP requests (native/requests.cpp, native/ops/view.cpp, http.cpp) ---
  // The request `id` if it is still live (not canceled, connection not closing), else null.
  Request *live_request(uint32_t id);
  // Lists the request for the next delivery (one JS call per loop iteration per request).
  void request_progress(uint32_t id, Request &req);
  // Ends the request with `rc` and no response (a refusal, a failed start).
  void end_request(uint32_t id, Request &req, int32_t rc);
  // RequestHandle.cancel(): no callback after it; libcouchbase's request is stopped.
  void cancel_request(uint32_t id);

 private:
  enum class State { Created, Connecting, Connected, Failed, Closing, Closed };

  Napi::Value connect(const Napi::CallbackInfo &info);
  Napi::Value submit(const Napi::CallbackInfo &info);          // native/batch.cpp
  Napi::Value submit_columns(const Napi::CallbackInfo &info);  // native/batch.cpp
  Napi::Value bind_one(const Napi::CallbackInfo &info);        // native/batch.cpp
  Napi::Value submit_one(const Napi::CallbackInfo &info);      // native/batch.cpp
  static napi_value submit_one_bound(napi_env env, napi_callback_info info);
  Napi::Value set_operation_timeout(const Napi::CallbackInfo &info);
  Napi::Value server_nodes(const Napi::CallbackInfo &info);
  Napi::Value close(const Napi::CallbackInfo &info);
  Napi::Value stats(const Napi::CallbackInfo &info);
  Napi::Value view_query(const Napi::CallbackInfo &info);  // native/ops/view.cpp
  Napi::Value http(const Napi::CallbackInfo &info);        // native/ops/http.cpp

  // Why nothing can be scheduled now (closed, not connected), or LCB_SUCCESS.
  lcb_STATUS refusal() const;
  // Schedules a checked batch (or queues its tail beyond the in-flight bound); one rc per command.
  void schedule_batch(const BatchView &b, int32_t *out);  // native/batch.cpp
  // A new request with its JS callback, and the handle JS gets for it.
  std::pair<uint32_t, Request *> add_request(Request::Kind kind, const Napi::Function &callback);
  Napi::Value request_handle(Napi::Env env, uint32_t id);
  // The arguments of the request's next callback (view: rows, end; HTTP: rc, status, body) into
  // `args`; returns how many, 0 when the environment is going away.
  size_t callback_args(Napi::Env env, Request &req, napi_value *args);
  void deliver_requests(Napi::Env env);
  // close(): stops every request and ends it with `rc`.
  void fail_requests(int32_t rc);

  bool accepting_responses() const;
  void track(uint32_t seq);
  void untrack(uint32_t seq);
  void schedule_delivery();
  void deliver_events();  // connect result, then every buffered response in one call
  // A listed view request holds kRowBatchBytes of rows or more.
  bool rows_due() const;
  friend void ::cbrx_reading(void *reader, int starting);
  void call_js(Napi::FunctionReference &fn, std::initializer_list<napi_value> args);
  void call_js(napi_value fn, std::initializer_list<napi_value> args);
  void request_flush();
  // Hands queued commands to libcouchbase while there is room (prepare phase; native/batch.cpp).
  void drain_queue();
  // Fails every queued command with `rc` (close).
  void fail_queue(int32_t rc);
  void begin_close();
  void close_handles();
  void on_closed();

  static void bootstrap_cb(lcb_INSTANCE *instance, lcb_STATUS err);
  // memcached:// bootstraps from a static config without touching the network: connect then
  // sends one NOOP to every server, so that an unreachable memcached fails connect.
  bool start_probe();
  static void probe_cb(lcb_INSTANCE *instance, int cbtype, const lcb_RESPBASE *resp);
  void connect_finished(lcb_STATUS rc);
  static void destroy_cb(const void *cookie);
  static void prepare_cb(uv_prepare_t *handle);
  static void check_cb(uv_check_t *handle);
  static void idle_cb(uv_idle_t *handle);
  static void handle_closed_cb(uv_handle_t *handle);

  Addon *addon_ = nullptr;
  uv_loop_t *loop_ = nullptr;
  lcb_INSTANCE *instance_ = nullptr;
  // A meter that records nothing: without one libcouchbase installs its logging meter, whose
  // 10-minute report timer runs from lcb_create on (and would keep the loop alive).
  lcbmetrics_METER *meter_ = nullptr;
  static const lcbmetrics_VALUERECORDER *find_recorder(const lcbmetrics_METER *meter, const char *name,
                                                       const lcbmetrics_TAG *tags, size_t ntags);
  void destroy_meter();
  lcb_STATUS create_rc_ = LCB_SUCCESS;
  std::string create_detail_;
  State state_ = State::Created;
  bool env_teardown_ = false;
  // memcached:// or a memcached bucket (ketama distribution): connect probes the servers.
  bool ketama_ = false;
  bool flush_pending_ = false;
  // Inside a read of one of our sockets (cbrx_reading, native/uv_plugin.h): what it produces is
  // delivered when the read ends, or from the check phase while more is awaited.
  int reading_ = 0;
  bool delivery_due_ = false;
  // View rows are handed on at the end of the read that brings a request's batch to this size,
  // not only from the check phase: a page that comes in one burst (many reads in one iteration)
  // crossed into JS whole, every row of it live at once in the young heap, and V8 grew its young
  // generation from the survivors (bench/views.ts --only stream, a million rows read by a plain
  // `for await`: peak RSS 69-74 MB with 16 KiB, 80 MB with one batch per loop iteration).
  static constexpr size_t kRowBatchBytes = 16 * 1024;
  bool connect_done_pending_ = false;
  lcb_STATUS connect_rc_ = LCB_SUCCESS;
  uint32_t op_timeout_us_ = 0;
  uint32_t config_timeout_us_ = 0;
  unsigned probe_remaining_ = 0;
  lcb_STATUS probe_rc_ = LCB_SUCCESS;
  bool probe_ok_ = false;
  int handles_open_ = 0;

  uv_prepare_t flush_prep_;
  uv_check_t deliver_check_;
  // Active (and referenced) only while a delivery is pending: it keeps poll from blocking
  // and the loop alive until the check phase has handed the responses over.
  uv_idle_t deliver_idle_;

  Napi::FunctionReference make_responses_;
  Napi::FunctionReference on_responses_;
  Napi::FunctionReference on_response_;  // from bindOne: deliveries of exactly one response
  Napi::Reference<Napi::ArrayBuffer> one_block_ref_;  // from bindOne (native/one_block.h)
  uint8_t *one_block_ = nullptr;                      // its bytes
  std::string one_key_, one_value_;  // submitOne's UTF-8 copies of string keys and values (room kept)
  Napi::Reference<Napi::ArrayBuffer> scratch_;  // onResponse's value bytes, reused (made on first use)
  Napi::FunctionReference on_connect_;
  std::vector<Napi::FunctionReference> on_close_;
  napi_async_context async_context_ = nullptr;

  ResponseBuffer buffer_;
  // seq -> commands with that seq still waiting for their final response; what is left
  // when the connection closes is failed with LCB_ERR_REQUEST_CANCELED.
  std::unordered_map<uint32_t, uint32_t> outstanding_;
  // Commands scheduled in libcouchbase and not final yet (the sum of outstanding_), bounded by
  // max_inflight_; the rest wait in queue_ (submit order) and are scheduled as room frees.
  uint32_t inflight_ = 0;
  uint32_t max_inflight_ = kDefaultMaxInflight;
  std::deque<std::unique_ptr<QueuedBatch>> queue_;
  size_t queued_ = 0;           // commands waiting in queue_
  uint32_t inflight_high_ = 0;  // the most ever in flight at once (stats)
  // View queries and HTTP requests by id (the cookie given to libcouchbase), and the ids with
  // something to deliver, in the order it came.
  std::unordered_map<uint32_t, std::unique_ptr<Request>> requests_;
  std::vector<uint32_t> pending_requests_;
  uint32_t next_request_id_ = 1;
  // Multi-response commands (stats, observe): the last response not yet handed over.
  struct Held {
    Response r;
    std::string data;  // a copy: libcouchbase's buffer is gone after the callback
  };
  std::unordered_map<uint32_t, std::vector<Held>> held_;
  void push_held(Held &h, bool is_final);

  // The addon's list of live connections. A connection leaves it when fully closed, so its
  // destructor (possibly run at env teardown, after the Addon is gone) never touches the Addon.
  bool linked_ = false;
  Connection *next_ = nullptr;
  Connection *prev_ = nullptr;
  friend struct Addon;
};

}  // namespace cbrx
