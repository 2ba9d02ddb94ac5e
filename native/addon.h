// Per-environment state of the addon (one per main thread / worker thread; no globals).
#pragma once

#include <napi.h>

namespace cbrx {

class Connection;

struct Addon {
  explicit Addon(napi_env env);
  ~Addon();

  // Live connections: those that still own a libcouchbase instance or uv handles.
  void add(Connection *conn);
  void remove(Connection *conn);

  // Env teardown (process exit, worker termination): closes every live connection without
  // calling into JS, and lets the environment go only once their handles are closed.
  static void async_cleanup(napi_async_cleanup_hook_handle handle, void *arg);
  void maybe_finish_cleanup();

  napi_env env;
  // The class of the handles viewQuery() and http() return (not exported).
  Napi::FunctionReference request_handle_class;
  Connection *head = nullptr;
  napi_async_cleanup_hook_handle cleanup_handle = nullptr;
  bool tearing_down = false;
};

Addon *addon_of(Napi::Env env);

}  // namespace cbrx
