// View queries and HTTP requests in flight: their bookkeeping, cancellation and delivery.
// libcouchbase's callbacks (native/ops/view.cpp, native/ops/http.cpp) only append to a request
// and list it; the check phase hands each listed request to JS in one call (deliver_requests),
// so a view streaming thousands of rows costs one JS call per loop iteration, not one per row.
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
  request_progress(id, req);
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
}

void Connection::deliver_requests(Napi::Env env) {
  std::vector<uint32_t> ids;
  std::swap(ids, pending_requests_);
  for (uint32_t id : ids) {
    auto it = requests_.find(id);
    if (it == requests_.end()) continue;  // canceled since it was listed
    Napi::HandleScope scope(env);
    Request &req = *it->second;
    req.pending = false;
    napi_value fn = req.callback.Value();
    napi_value a0 = nullptr, a1 = nullptr, a2 = nullptr;
    if (req.kind == Request::Kind::View) {
      if (req.rows.empty()) req.rows.push_back('[');
      req.rows.push_back(']');
      a0 = Napi::String::New(env, req.rows.data(), req.rows.size());
      req.rows.clear();
      a1 = env.Undefined();
      if (req.ended) {
        Napi::Object end = Napi::Object::New(env);
        if (end.IsEmpty()) return;
        end.Set("rc", Napi::Number::New(env, req.rc));
        end.Set("httpStatus", Napi::Number::New(env, req.http_status));
        end.Set("meta", Napi::String::New(env, req.body));
        if (!req.error_code.empty()) end.Set("errorCode", Napi::String::New(env, req.error_code));
        if (!req.error_message.empty()) end.Set("errorMessage", Napi::String::New(env, req.error_message));
        a1 = end;
      }
    } else {
      if (!req.ended) continue;  // an HTTP request is delivered once, when it has ended
      a0 = Napi::Number::New(env, req.rc);
      a1 = Napi::Number::New(env, req.http_status);
      a2 = Napi::String::New(env, req.body);
    }
    // An ended request leaves the connection before its callback runs, and a callback that
    // cancels its own request only drops it: nothing of `req` is used after the call.
    std::unique_ptr<Request> done;
    if (req.ended) {
      done = std::move(it->second);
      requests_.erase(it);
    }
    if (a2 != nullptr) {
      call_js(fn, {a0, a1, a2});
    } else {
      call_js(fn, {a0, a1});
    }
  }
}

}  // namespace cbrx
