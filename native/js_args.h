// Reading the plain JS objects the contract passes in (options, specs). A wrong type throws a
// TypeError naming the member, and the caller returns without doing anything.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

namespace cbrx {

// obj[name] as a string into `out`; absent (undefined or null) is an error only when `required`.
// `what` names the object in the message ("options", "spec").
bool read_string(const Napi::Object &obj, const char *what, const char *name, bool required, std::string &out);

// A timeout in microseconds: a finite number >= 0, clamped to what libcouchbase takes (u32).
// `what` names it in the message.
bool to_timeout_us(Napi::Env env, Napi::Value v, const char *what, uint32_t &out);

}  // namespace cbrx
