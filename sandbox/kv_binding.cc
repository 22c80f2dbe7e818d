#include "sandbox/kv_binding.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>

#include "common/log.h"
#include "kv/encoding.h"
#include "sandbox/globals.h"
#include "sandbox/v8_util.h"

namespace agentgate {
namespace {

using v8::FunctionCallbackInfo;
using v8::Local;
using v8::Value;

constexpr int64_t kMaxTtlSeconds = int64_t{10} * 365 * 24 * 3600;  // ten years; omit ttlSeconds to keep forever

// Errors reach JS as Error objects with a `code` ("INVALID_ARGUMENT: kv.put: key must ...").
struct CallError {
  std::string code;
  std::string message;
};

void throw_error(v8::Isolate* isolate, const CallError& error) { v8util::throw_coded_error(isolate, error.code, error.message); }

// One ctx.kv call: which method, and the request it belongs to.
struct Call {
  KvOperation operation;
  v8::Isolate* isolate;
  KvCallContext kv;
  uint64_t invocation;

  std::string method() const { return "kv." + std::string(kv_operation_name(operation)); }
  CallError invalid(std::string_view what) const { return {"INVALID_ARGUMENT", method() + ": " + std::string(what)}; }
};

// A JS string as UTF-8, refusing lone surrogates: replacing them (as WriteUtf8 would) would map two
// different JS strings to one stored key.
std::optional<std::string> well_formed_utf8(v8::Isolate* isolate, Local<v8::String> text) {
  if (text->IsOneByte()) {  // the usual ids and keys: when all ASCII, their bytes are their UTF-8
    std::string ascii(static_cast<size_t>(text->Length()), '\0');
    text->WriteOneByte(isolate, reinterpret_cast<uint8_t*>(ascii.data()), 0, static_cast<int>(ascii.size()),
                       v8::String::NO_NULL_TERMINATION);
    if (std::all_of(ascii.begin(), ascii.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) return ascii;
  } else {  // one-byte strings cannot hold surrogates; two-byte ones are checked
    v8::String::Value units(isolate, text);
    for (int i = 0; i < units.length(); ++i) {
      uint16_t unit = (*units)[i];
      if (unit >= 0xd800 && unit <= 0xdbff) {
        if (i + 1 < units.length() && (*units)[i + 1] >= 0xdc00 && (*units)[i + 1] <= 0xdfff) {
          ++i;
          continue;
        }
        return std::nullopt;
      }
      if (unit >= 0xdc00 && unit <= 0xdfff) return std::nullopt;
    }
  }
  std::string out(static_cast<size_t>(text->Utf8Length(isolate)), '\0');
  text->WriteUtf8(isolate, out.data(), static_cast<int>(out.size()), nullptr, v8::String::NO_NULL_TERMINATION);
  return out;
}

std::optional<CallError> read_text(const Call& call, Local<Value> value, std::string_view name, size_t max_bytes,
                                   bool allow_empty, std::string& out) {
  auto broken_rule = [&] {  // composed only for the error: reads are on every request's path
    return call.invalid(std::string(name) + " must be a " + (allow_empty ? "" : "non-empty ") + "string of at most " +
                        std::to_string(max_bytes) + " UTF-8 bytes");
  };
  if (!value->IsString()) return broken_rule();
  auto text = well_formed_utf8(call.isolate, value.As<v8::String>());
  if (!text) return call.invalid(std::string(name) + " contains a lone UTF-16 surrogate");
  if (text->size() > max_bytes || (!allow_empty && text->empty())) return broken_rule();
  out = std::move(*text);
  return std::nullopt;
}

std::optional<CallError> check_scope(const Call& call, Local<Value> scope) {
  if (scope->IsUndefined()) return std::nullopt;
  if (scope->IsString() && v8util::to_string(call.isolate, scope) == "agent") return std::nullopt;
  return call.invalid("scope must be 'agent' (the default)");
}

// The validated (user_id, key) of a call, after the permission check.
std::optional<CallError> read_key(const Call& call, Local<Value> user_id, Local<Value> key, Local<Value> scope,
                                  KvKey& out) {
  if (auto error = read_text(call, user_id, "user_id", call.kv.limits.max_user_id_bytes, false, out.user_id)) return error;
  if (auto error = read_text(call, key, "key", call.kv.limits.max_key_bytes, false, out.key)) return error;
  if (auto error = check_scope(call, scope)) return error;
  if (auto access = check_kv_access(call.kv.caller, out.user_id, call.operation); !access) {
    return CallError{access.error().code, access.error().message};
  }
  out.agent_id = std::string(call.kv.caller.agent_id);
  out.agent_epoch = call.kv.agent_epoch;
  return std::nullopt;
}

std::string too_large(const Call& call, std::string_view size) {
  return call.method() + ": the value serializes to " + std::string(size) + " bytes; the limit is " +
         std::to_string(call.kv.limits.max_value_bytes);
}

// Serializes into memory it caps at the value limit, so an oversized value fails as soon as it
// outgrows it instead of first being copied whole outside the isolate's heap.
class SerializerDelegate final : public v8::ValueSerializer::Delegate {
 public:
  explicit SerializerDelegate(const Call& call) : call_(call) {}
  bool threw() const { return threw_; }
  void ThrowDataCloneError(Local<v8::String> message) override {
    threw_ = true;
    if (over_limit_) {
      throw_error(call_.isolate, {"VALUE_TOO_LARGE", too_large(call_, "more than " + std::to_string(call_.kv.limits.max_value_bytes))});
      return;
    }
    throw_error(call_.isolate, call_.invalid("value cannot be stored: " + v8util::to_string(call_.isolate, message)));
  }
  void* ReallocateBufferMemory(void* old_buffer, size_t size, size_t* actual_size) override {
    // V8 asks for about twice its current capacity, so a value just under the limit may ask for
    // up to twice the limit: refuse only beyond that (the exact size is checked afterwards).
    if (size > 2 * call_.kv.limits.max_value_bytes + kGrowthSlack) {
      over_limit_ = true;
      return nullptr;  // V8 keeps (and later frees) old_buffer and reports out-of-memory
    }
    void* grown = std::realloc(old_buffer, size);
    if (grown) *actual_size = size;
    return grown;
  }
  void FreeBufferMemory(void* buffer) override { std::free(buffer); }

 private:
  static constexpr size_t kGrowthSlack = 64 * 1024;
  const Call& call_;
  bool over_limit_ = false;
  bool threw_ = false;
};

// Serializes `value` (structured clone), or throws.
std::optional<std::string> serialize(const Call& call, Local<v8::Context> context, Local<Value> value) {
  SerializerDelegate delegate(call);
  v8::ValueSerializer serializer(call.isolate, &delegate);
  serializer.WriteHeader();
  std::optional<std::string> cause;  // thrown while walking the value: a getter, or nesting past the stack
  {
    v8::TryCatch try_catch(call.isolate);
    if (serializer.WriteValue(context, value).IsNothing()) {
      if (try_catch.HasTerminated() || delegate.threw()) {
        try_catch.ReThrow();
        return std::nullopt;
      }
      cause = v8util::to_string(call.isolate, try_catch.Exception());
    }
  }
  if (cause) {  // thrown here, outside the TryCatch that would swallow it
    throw_error(call.isolate, call.invalid("value cannot be stored: " + *cause));
    return std::nullopt;
  }
  auto [data, size] = serializer.Release();
  std::unique_ptr<uint8_t, decltype(&std::free)> owned(data, &std::free);
  if (size > call.kv.limits.max_value_bytes) {
    throw_error(call.isolate, {"VALUE_TOO_LARGE", too_large(call, std::to_string(size))});
    return std::nullopt;
  }
  return std::string(reinterpret_cast<const char*>(owned.get()), size);
}

v8::MaybeLocal<Value> deserialize(v8::Isolate* isolate, Local<v8::Context> context, const std::string& bytes) {
  v8::ValueDeserializer deserializer(isolate, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (!deserializer.ReadHeader(context).FromMaybe(false)) return {};
  return deserializer.ReadValue(context);
}

v8::MaybeLocal<Value> stored_value(v8::Isolate* isolate, Local<v8::Context> context, const std::optional<KvValue>& value) {
  if (!value) return v8::Null(isolate);
  v8::TryCatch try_catch(isolate);
  Local<Value> out;
  if (deserialize(isolate, context, value->bytes).ToLocal(&out)) return out;
  if (try_catch.HasTerminated()) {
    try_catch.ReThrow();
    return {};
  }
  // Heap exhaustion aside, bytes we wrote that V8 cannot read back mean a damaged store.
  try_catch.Reset();
  log::error("kv: a stored value could not be deserialized; the database may be damaged");
  v8util::throw_coded_error(isolate, "KV_UNAVAILABLE", "a stored value could not be read back");
  return {};
}

// Turns a store result into the JS value a promise resolves with (or throws to reject it).
template <class T>
using Build = v8::MaybeLocal<Value> (*)(v8::Isolate*, Local<v8::Context>, const T&);

template <class T>
HostResult host_result(Build<T> build, Result<T> result) {
  return [build, result = std::move(result)](v8::Isolate* isolate, Local<v8::Context> context) -> v8::MaybeLocal<Value> {
    if (!result) {
      v8util::throw_coded_error(isolate, result.error().code, result.error().message);
      return {};
    }
    return build(isolate, context, result.value());
  };
}

// Returns to JS a promise already settled with `result`'s value (or rejected with what it throws).
void return_settled(v8::Isolate* isolate, const FunctionCallbackInfo<Value>& args, const HostResult& result) {
  Local<v8::Context> context = isolate->GetCurrentContext();
  Local<v8::Promise::Resolver> resolver;
  if (!v8::Promise::Resolver::New(context).ToLocal(&resolver)) return;
  v8::TryCatch try_catch(isolate);
  Local<Value> value;
  if (result(isolate, context).ToLocal(&value)) {
    std::ignore = resolver->Resolve(context, value);
  } else if (try_catch.HasTerminated()) {
    try_catch.ReThrow();
    return;
  } else if (try_catch.HasCaught()) {
    Local<Value> error = try_catch.Exception();
    try_catch.Reset();
    std::ignore = resolver->Reject(context, error);
  }
  args.GetReturnValue().Set(resolver->GetPromise());
}

// Carries one store call's result to JS. A store call that answers during the call (a RocksDB list)
// gets its promise made already settled, with no bookkeeping. Otherwise (writes, or a store that
// answers later) the result travels through a HostPromise, settled on the isolate's thread.
template <class T>
class Delivery final : public std::enable_shared_from_this<Delivery<T>> {
 public:
  explicit Delivery(Build<T> build) : build_(build) {}

  KvStore::Callback<T> callback() {
    return [self = this->shared_from_this()](Result<T> result) { self->arrive(std::move(result)); };
  }

  // Call once the store call has returned: makes the promise the native function returns.
  void finish(const Call& call, const FunctionCallbackInfo<Value>& args) {
    std::unique_lock lock(mutex_);
    if (early_) {
      lock.unlock();
      return_settled(call.isolate, args, host_result(build_, std::move(*early_)));
      return;
    }
    auto promise = IsolateHost::of(call.isolate)->new_host_promise(call.invocation);
    if (promise) {
      settle_later_ = std::move(promise->settle);
      args.GetReturnValue().Set(promise->promise);
    }
    returned_ = true;
  }

 private:
  void arrive(Result<T> result) {
    std::unique_lock lock(mutex_);
    if (!returned_) {
      early_.emplace(std::move(result));
      return;
    }
    auto settle = std::move(settle_later_);
    lock.unlock();
    if (settle) settle(host_result(build_, std::move(result)));
  }

  Build<T> build_;
  std::mutex mutex_;
  bool returned_ = false;                       // finish() ran: results go to settle_later_
  std::optional<Result<T>> early_;              // arrived during the store call
  std::function<void(HostResult)> settle_later_;
};

// Starts a store operation whose callback feeds a Delivery, then returns its promise to JS.
template <class T, class Start>
void deliver(const Call& call, const FunctionCallbackInfo<Value>& args, Build<T> build, Start start) {
  auto delivery = std::make_shared<Delivery<T>>(build);
  start(delivery->callback());
  delivery->finish(call, args);
}

v8::MaybeLocal<Value> undefined_value(v8::Isolate* isolate, Local<v8::Context>, const Ok&) { return v8::Undefined(isolate); }

v8::MaybeLocal<Value> boolean_value(v8::Isolate* isolate, Local<v8::Context>, const bool& value) {
  return v8::Boolean::New(isolate, value);
}

// Common start of every kv native: the live request and its storage, or a thrown error.
std::optional<Call> begin(const FunctionCallbackInfo<Value>& args, KvOperation operation) {
  v8::Isolate* isolate = args.GetIsolate();
  double invocation = args[0]->IsNumber() ? args[0].As<v8::Number>()->Value() : 0;
  auto kv = IsolateHost::of(isolate)->kv_context(invocation >= 1 ? static_cast<uint64_t>(invocation) : 0);
  if (!kv) {
    v8util::throw_coded_error(isolate, "INVALID_STATE",
                              "ctx.kv can only be used by its own request, while that request is being handled");
    return std::nullopt;
  }
  Call call{operation, isolate, *kv, static_cast<uint64_t>(invocation)};
  if (!call.kv.store) {
    v8util::throw_coded_error(isolate, "KV_UNAVAILABLE", call.method() + ": storage is not configured on this server");
    return std::nullopt;
  }
  if (kv_operation_writes(operation) && call.kv.pending >= call.kv.limits.max_pending_writes) {
    v8util::throw_coded_error(isolate, "LIMIT_EXCEEDED",
                              call.method() + ": at most " + std::to_string(call.kv.limits.max_pending_writes) +
                                  " kv writes in flight per request; await some first");
    return std::nullopt;
  }
  return call;
}

// kvGet(invocation, user_id, key, scope) and kvTake(...): the value or null.
template <KvOperation kOperation>
void kv_read_one(const FunctionCallbackInfo<Value>& args) {
  auto call = begin(args, kOperation);
  if (!call) return;
  KvKey key;
  if (auto error = read_key(*call, args[1], args[2], args[3], key)) return throw_error(call->isolate, *error);
  if constexpr (kOperation == KvOperation::kGet) {
    // The request path's common case: an embedded store answers now, with no callback to carry.
    if (auto answer = call->kv.store->get_now(key)) {
      return return_settled(call->isolate, args, host_result(stored_value, std::move(*answer)));
    }
  }
  deliver<std::optional<KvValue>>(*call, args, stored_value, [&](auto done) {
    if (kOperation == KvOperation::kGet) {
      call->kv.store->get(std::move(key), std::move(done));
    } else {
      call->kv.store->take(std::move(key), std::move(done));
    }
  });
}

// kvDelete(invocation, user_id, key, scope): true if a value existed.
void kv_delete(const FunctionCallbackInfo<Value>& args) {
  auto call = begin(args, KvOperation::kDelete);
  if (!call) return;
  KvKey key;
  if (auto error = read_key(*call, args[1], args[2], args[3], key)) return throw_error(call->isolate, *error);
  deliver<bool>(*call, args, boolean_value, [&](auto done) { call->kv.store->remove(std::move(key), std::move(done)); });
}

std::optional<int64_t> read_ttl(const Call& call, Local<Value> ttl) {
  if (ttl->IsNullOrUndefined()) return 0;
  double seconds = ttl->IsNumber() ? ttl.As<v8::Number>()->Value() : 0;
  if (!(seconds >= 1 && seconds <= static_cast<double>(kMaxTtlSeconds)) || std::trunc(seconds) != seconds) {
    throw_error(call.isolate, call.invalid("ttlSeconds must be a positive integer of at most " +
                                           std::to_string(kMaxTtlSeconds) + " (ten years); omit it to keep the value"));
    return std::nullopt;
  }
  return static_cast<int64_t>(seconds);
}

// kvPut(invocation, user_id, key, value, scope, ttlSeconds): undefined.
void kv_put(const FunctionCallbackInfo<Value>& args) {
  auto call = begin(args, KvOperation::kPut);
  if (!call) return;
  KvKey key;
  if (auto error = read_key(*call, args[1], args[2], args[4], key)) return throw_error(call->isolate, *error);
  if (args[3]->IsUndefined()) return throw_error(call->isolate, call->invalid("value is required (use kv.delete to remove a key)"));
  auto ttl = read_ttl(*call, args[5]);
  if (!ttl) return;
  Local<v8::Context> context = call->isolate->GetCurrentContext();
  auto bytes = serialize(*call, context, args[3]);
  if (!bytes) return;
  KvValue value{std::move(*bytes), *ttl == 0 ? 0 : call->kv.store->now_ms() + *ttl * 1000};
  deliver<Ok>(*call, args, undefined_value,
              [&](auto done) { call->kv.store->put(std::move(key), std::move(value), std::move(done)); });
}

// { items: [{ key, value, expiresAt }], cursor }
v8::MaybeLocal<Value> page_value(v8::Isolate* isolate, Local<v8::Context> context, const KvPage& page) {
  Local<v8::Array> items = v8::Array::New(isolate, static_cast<int>(page.items.size()));
  for (size_t i = 0; i < page.items.size(); ++i) {
    const KvItem& item = page.items[i];
    Local<Value> value;
    if (!stored_value(isolate, context, item.value).ToLocal(&value)) return {};
    Local<v8::Object> entry = v8::Object::New(isolate);
    Local<Value> expires_at = item.value.expires_at_ms == 0
                                  ? Local<Value>(v8::Null(isolate))
                                  : Local<Value>(v8::Number::New(isolate, static_cast<double>(item.value.expires_at_ms)));
    if (entry->CreateDataProperty(context, v8util::str(isolate, "key"), v8util::str(isolate, item.key)).IsNothing() ||
        entry->CreateDataProperty(context, v8util::str(isolate, "value"), value).IsNothing() ||
        entry->CreateDataProperty(context, v8util::str(isolate, "expiresAt"), expires_at).IsNothing()) {
      return {};
    }
    if (items->CreateDataProperty(context, static_cast<uint32_t>(i), entry).IsNothing()) return {};
  }
  Local<v8::Object> result = v8::Object::New(isolate);
  Local<Value> cursor = page.next_after ? Local<Value>(v8util::str(isolate, kv_encoding::encode_cursor(*page.next_after)))
                                        : Local<Value>(v8::Null(isolate));
  // CreateDataProperty, not Set: Set would call setters agent code defined on Object.prototype or
  // Array.prototype ('items', 'cursor', '0'), which could swallow the page's properties.
  if (result->CreateDataProperty(context, v8util::str(isolate, "items"), items).IsNothing() ||
      result->CreateDataProperty(context, v8util::str(isolate, "cursor"), cursor).IsNothing()) {
    return {};
  }
  return result;
}

// kvList(invocation, user_id, prefix, scope, limit, cursor): { items: [{ key, value, expiresAt }], cursor }.
void kv_list(const FunctionCallbackInfo<Value>& args) {
  auto call = begin(args, KvOperation::kList);
  if (!call) return;
  const KvLimits& limits = call->kv.limits;
  KvListQuery query;
  if (auto error = read_text(*call, args[1], "user_id", limits.max_user_id_bytes, false, query.user_id)) {
    return throw_error(call->isolate, *error);
  }
  if (!args[2]->IsUndefined()) {
    if (auto error = read_text(*call, args[2], "prefix", limits.max_key_bytes, true, query.prefix)) {
      return throw_error(call->isolate, *error);
    }
  }
  if (auto error = check_scope(*call, args[3])) return throw_error(call->isolate, *error);
  query.limit = limits.default_list_limit;
  if (!args[4]->IsUndefined()) {
    double limit = args[4]->IsNumber() ? args[4].As<v8::Number>()->Value() : 0;
    if (!(limit >= 1 && limit <= static_cast<double>(limits.max_list_limit)) || std::trunc(limit) != limit) {
      return throw_error(call->isolate, call->invalid("limit must be an integer from 1 to " + std::to_string(limits.max_list_limit)));
    }
    query.limit = static_cast<size_t>(limit);
  }
  if (!args[5]->IsUndefined() && !args[5]->IsNull()) {
    std::optional<std::string> after;
    if (args[5]->IsString()) {
      after = kv_encoding::list_cursor(v8util::to_string(call->isolate, args[5]), query.prefix, limits.max_key_bytes);
    }
    if (!after) {
      return throw_error(call->isolate, call->invalid("cursor must be one that kv.list returned for this user_id and prefix"));
    }
    query.start_after = std::move(after);
  }
  if (auto access = check_kv_access(call->kv.caller, query.user_id, KvOperation::kList); !access) {
    return throw_error(call->isolate, {access.error().code, access.error().message});
  }
  query.agent_id = std::string(call->kv.caller.agent_id);
  query.max_bytes = limits.max_list_page_bytes;
  deliver<KvPage>(*call, args, page_value, [&](auto done) { call->kv.store->list(std::move(query), std::move(done)); });
}

}  // namespace

void add_kv_bindings(v8::Isolate* isolate, Local<v8::Context> context, Local<v8::Object> native) {
  auto bind = [&](std::string_view name, v8::FunctionCallback callback) {
    v8util::define(isolate, native, name, v8::Function::New(context, callback).ToLocalChecked());
  };
  bind("kvGet", kv_read_one<KvOperation::kGet>);
  bind("kvTake", kv_read_one<KvOperation::kTake>);
  bind("kvPut", kv_put);
  bind("kvDelete", kv_delete);
  bind("kvList", kv_list);
}

}  // namespace agentgate
