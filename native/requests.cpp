// View queries and HTTP requests in flight: their bookkeeping, cancellation and delivery.
// libcouchbase's callbacks (native/ops/view.cpp, native/ops/http.cpp) only append to a request
// and list it; the check phase, or the end of a read that brought 16 KiB of rows
// (kRowBatchBytes), hands each listed request to JS in one call (deliver_requests), so a view
// streaming thousands of rows costs a JS call per batch of rows, never one per row.
#include <algorithm>

#include "addon.h"
#include "connection.h"
#include "request_handle.h"

namespace cbrx {

namespace {

// Stops libcouchbase's side of a request: no callback for it after this.
void stop_in_lcb(lcb_INSTANCE *instance, Request &req) {
  if (instance == nullptr) return;
  if (req.view != nullptr) lcb_view_cancel(instance, req.view);
  if (req.http != nullptr) lcb_http_cancel(instance, req.http);
  req.view = nullptr;
  req.http = nullptr;
}

}  // namespace

std::pair<uint32_t, Request *> Connection::add_request(Request::Kind kind, const Napi::Function &callback) {
  uint32_t id = next_request_id_;
  while (id == 0 || requests_.count(id) != 0) ++id;
  next_request_id_ = id + 1;
  auto req = std::make_unique<Request>();
  req->kind = kind;
  req->callback = Napi::Persistent(callback);
  Request *raw = req.get();
  requests_.emplace(id, std::move(req));
  return {id, raw};
}

Napi::Value Connection::request_handle(Napi::Env env, uint32_t id) {
  Napi::Object handle = addon_->request_handle_class.New({});
  if (handle.IsEmpty()) return env.Undefined();  // the environment is going away
  RequestHandle::Unwrap(handle)->bind(Value(), id);
  return handle;
}

Request *Connection::live_request(uint32_t id) {
  if (!accepting_responses()) return nullptr;  // already failed by close()
  auto it = requests_.find(id);
  return it == requests_.end() ? nullptr : it->second.get();
}

void Connection::request_progress(uint32_t id, Request &req) {
  if (!req.pending) {
    req.pending = true;
    pending_requests_.push_back(id);
  }
  schedule_delivery();
}

void Connection::end_request(uint32_t id, Request &req, int32_t rc) {
  req.ended = true;
  req.rc = rc;
  req.view = nullptr;
  req.http = nullptr;
  if (state_ != State::Closed) {
    request_progress(id, req);
    return;
  }
  // A closed connection has no loop handles left: the callback still runs asynchronously.
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  napi_value args[4] = {req.callback.Value(), nullptr, nullptr, nullptr};
  const size_t n = callback_args(env, req, args + 1);
  requests_.erase(id);
  Napi::Value set_immediate = env.Global().Get("setImmediate");
  if (n > 0 && set_immediate.IsFunction()) set_immediate.As<Napi::Function>().Call(n + 1, args);
}

void Connection::cancel_request(uint32_t id) {
  auto it = requests_.find(id);
  if (it == requests_.end()) return;  // ended and delivered, or canceled before
  std::unique_ptr<Request> req = std::move(it->second);
  requests_.erase(it);
  stop_in_lcb(instance_, *req);
}

void Connection::fail_requests(int32_t rc) {
  for (auto &entry : requests_) {
    Request &req = *entry.second;
    if (req.ended) continue;  // its own end is waiting for delivery
    stop_in_lcb(instance_, req);
    req.ended = true;
    req.rc = rc;
    if (!req.pending) {
      req.pending = true;
      pending_requests_.push_back(entry.first);
    }
  }
  // All of them are delivered together when the close completes: in the order they started.
  std::sort(pending_requests_.begin(), pending_requests_.end());
}

size_t Connection::callback_args(Napi::Env env, Request &req, napi_value *args) {
  if (req.kind == Request::Kind::Http) {
    args[0] = Napi::Number::New(env, req.rc);
    args[1] = Napi::Number::New(env, req.http_status);
    args[2] = Napi::String::New(env, req.body);
    return 3;
  }
  if (req.rows.empty()) req.rows.push_back('[');
  req.rows.push_back(']');
  args[0] = Napi::String::New(env, req.rows.data(), req.rows.size());
  req.rows.clear();
  args[1] = env.Undefined();
  if (req.ended) {
    Napi::Object end = Napi::Object::New(env);
    if (end.IsEmpty()) return 0;  // the environment is going away
    end.Set("rc", Napi::Number::New(env, req.rc));
    end.Set("httpStatus", Napi::Number::New(env, req.http_status));
    end.Set("meta", Napi::String::New(env, req.body));
    if (!req.error_code.empty()) end.Set("errorCode", Napi::String::New(env, req.error_code));
    if (!req.error_message.empty()) end.Set("errorMessage", Napi::String::New(env, req.error_message));
    args[1] = end;
  }
  return 2;
}

void Connection::deliver_requests(Napi::Env env) {
  std::vector<uint32_t> ids;
  std::swap(ids, pending_requests_);
  for (uint32_t id : ids) {
    auto it = requests_.find(id);
    if (it == requests_.end()) continue;  // canceled since it was listed
    Request &req = *it->second;
    req.pending = false;
    if (req.kind == Request::Kind::Http && !req.ended) continue;  // delivered once, when it has ended
    Napi::HandleScope scope(env);
    napi_value fn = req.callback.Value();
    napi_value args[3] = {nullptr, nullptr, nullptr};
    const size_t n = callback_args(env, req, args);
    if (n == 0) return;
    // An ended request leaves the connection before its callback runs, and a callback that
    // cancels its own request only drops it: nothing of `req` is used after the call.
    std::unique_ptr<Request> done;
    if (req.ended) {
      done = std::move(it->second);
      requests_.erase(it);
    }
    if (n == 3) {
      call_js(fn, {args[0], args[1], args[2]});
    } else {
      call_js(fn, {args[0], args[1]});
    }
  }
}

}  // namespace cbrx
