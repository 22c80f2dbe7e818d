#include "sandbox/agent_isolate.h"

#include <algorithm>
#include <optional>
#include <thread>
#include <tuple>

#include "common/log.h"
#include "common/redact.h"
#include "sandbox/bootstrap_source.h"
#include "sandbox/capped_allocator.h"
#include "sandbox/response_convert.h"
#include "sandbox/v8_runtime.h"
#include "sandbox/v8_util.h"

namespace agentgate {
namespace {

using v8::Local;
using v8::Value;
using Clock = std::chrono::steady_clock;

constexpr size_t kMaxTimersPerInvocation = 1000;
constexpr uint32_t kEntriesPerTaskCheck = 16;
// Heap granted past the limit so V8 can finish the allocation that hit it and unwind the terminated
// script instead of aborting the process. The first grant covers V8's largest single object (about
// 1 GiB: a maximal array or string); the isolate is discarded right after.
constexpr size_t kFirstHeapGraceBytes = size_t{2} << 30;
constexpr size_t kHeapGraceBytes = size_t{64} << 20;

AgentIsolate* agent_of(v8::Isolate* isolate) { return static_cast<AgentIsolate*>(IsolateHost::of(isolate)); }

// The owner-console code of a failed invocation.
std::string_view console_code(InvokeStatus status) {
  switch (status) {
    case InvokeStatus::kOk: return "OK";
    case InvokeStatus::kHandlerError: return "HANDLER_ERROR";
    case InvokeStatus::kInvalidResponse: return "INVALID_RESPONSE_HEADER";
    case InvokeStatus::kStartupError: return "STARTUP_ERROR";
    case InvokeStatus::kCpuLimit: return "CPU_LIMIT";
    case InvokeStatus::kWallLimit: return "WALL_LIMIT";
    case InvokeStatus::kHeapLimit: return "HEAP_LIMIT";
    case InvokeStatus::kIsolateRestarted: return "ISOLATE_RESTARTED";
  }
  return "FAILED";
}

// The start-up source is ASCII (esbuild escapes the rest), so V8 can read it in place.
class StaticAsciiSource final : public v8::String::ExternalOneByteStringResource {
 public:
  explicit StaticAsciiSource(std::string_view text) : text_(text) {}
  const char* data() const override { return text_.data(); }
  size_t length() const override { return text_.size(); }

 private:
  std::string_view text_;
};

Local<v8::String> bootstrap_string(v8::Isolate* isolate) {
  std::string_view source = bootstrap_source();
  static const bool ascii = std::all_of(source.begin(), source.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (!ascii) return v8util::str(isolate, source);
  // V8 deletes the resource when the string dies; the text itself is static.
  return v8::String::NewExternalOneByte(isolate, new StaticAsciiSource(source)).ToLocalChecked();
}

Error module_error(std::string message) { return Error{"MODULE_ERROR", std::move(message)}; }

// "./b.js" imported from "lib/a.js" -> "lib/b.js"; nullopt for bare or escaping specifiers.
std::optional<std::string> resolve_specifier(const std::string& referrer, const std::string& specifier) {
  if (specifier.rfind("./", 0) != 0 && specifier.rfind("../", 0) != 0) return std::nullopt;
  std::vector<std::string> parts;
  size_t slash = referrer.rfind('/');
  std::string base = slash == std::string::npos ? "" : referrer.substr(0, slash);
  std::string joined = base.empty() ? specifier : base + "/" + specifier;
  size_t pos = 0;
  while (pos <= joined.size()) {
    size_t end = joined.find('/', pos);
    if (end == std::string::npos) end = joined.size();
    std::string part = joined.substr(pos, end - pos);
    if (part == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    pos = end + 1;
  }
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : "/") + part;
  return out;
}

v8::MaybeLocal<v8::Module> resolve_module(Local<v8::Context> context, Local<v8::String> specifier,
                                          Local<v8::FixedArray>, Local<v8::Module> referrer);

}  // namespace

AgentIsolate::AgentIsolate(AgentSpecPtr spec, Environment env)
    : spec_(std::move(spec)), env_(env), allocator_(std::make_unique<CappedArrayBufferAllocator>(env_.limits.heap_bytes)) {
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator_.get();
  params.constraints.ConfigureDefaultsFromHeapSize(0, env_.limits.heap_bytes);
  isolate_ = v8::Isolate::New(params);
  isolate_->SetData(0, static_cast<IsolateHost*>(this));
  isolate_->SetMicrotasksPolicy(v8::MicrotasksPolicy::kExplicit);
  isolate_->AddNearHeapLimitCallback(&AgentIsolate::on_near_heap_limit, this);
}

AgentIsolate::~AgentIsolate() {
  if (wall_timer_ != 0) env_.loop.cancel_timer(wall_timer_);
  for (auto& [id, timer] : timers_) env_.loop.cancel_timer(timer.loop_timer);
  {
    v8::Isolate::Scope isolate_scope(isolate_);
    timers_.clear();
    host_promises_.clear();
    entries_.clear();
    flatten_response_.Reset();
    subscribe_.Reset();
    hooks_.Reset();
    modules_.clear();
    context_.Reset();
  }
  isolate_->RemoveNearHeapLimitCallback(&AgentIsolate::on_near_heap_limit, 0);
  isolate_->Dispose();
}

Result<std::shared_ptr<AgentIsolate>> AgentIsolate::create(AgentSpecPtr spec, Environment env) {
  std::shared_ptr<AgentIsolate> agent(new AgentIsolate(std::move(spec), env));
  if (auto loaded = agent->load(env.limits.startup_cpu_time); !loaded) return loaded.error();
  return agent;
}

Status AgentIsolate::load(std::chrono::milliseconds cpu_budget) {
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope handle_scope(isolate_);
  Local<v8::Context> context = v8::Context::New(isolate_);
  context_.Reset(isolate_, context);
  v8::Context::Scope context_scope(context);

  if (auto booted = run_bootstrap(); !booted) return booted;
  for (const FunctionSpec& function : spec_->functions) {
    if (auto compiled = compile_module_graph(function.module); !compiled) return compiled;
  }
  return evaluate_modules(cpu_budget);
}

Status AgentIsolate::run_bootstrap() {
  Local<v8::Context> context = isolate_->GetCurrentContext();
  v8::TryCatch try_catch(isolate_);
  v8::ScriptOrigin origin(isolate_, v8util::str(isolate_, "agentgate:bootstrap"));
  V8Runtime::CodeCache cache = V8Runtime::bootstrap_code_cache();
  auto* cached_data = cache ? new v8::ScriptCompiler::CachedData(cache->data(), static_cast<int>(cache->size()),
                                                                 v8::ScriptCompiler::CachedData::BufferNotOwned)
                            : nullptr;
  v8::ScriptCompiler::Source source(bootstrap_string(isolate_), origin, cached_data);  // owns cached_data
  Local<v8::Script> script;
  Local<Value> prelude;
  Local<Value> hooks;
  Local<v8::Object> native = make_native_bindings(isolate_, context);
  // The C++ ends of hooks.subscribe, made once: a function made per pending request (with its id
  // as data) cost more than the rest of a kv write's round trip.
  v8util::define(isolate_, native, "handlerFulfilled", v8::Function::New(context, &AgentIsolate::on_fulfilled).ToLocalChecked());
  v8util::define(isolate_, native, "handlerRejected", v8::Function::New(context, &AgentIsolate::on_rejected).ToLocalChecked());
  Local<Value> native_value = native;
  auto options = cache ? v8::ScriptCompiler::kConsumeCodeCache : v8::ScriptCompiler::kNoCompileOptions;
  if (!v8::ScriptCompiler::Compile(context, &source, options).ToLocal(&script) ||
      !script->Run(context).ToLocal(&prelude) ||
      !prelude.As<v8::Function>()->Call(context, v8::Undefined(isolate_), 1, &native_value).ToLocal(&hooks) ||
      !hooks->IsObject()) {
    return Error{"INTERNAL", "isolate start-up code failed: " + v8util::describe_exception(isolate_, context, try_catch)};
  }
  hooks_.Reset(isolate_, hooks.As<v8::Object>());
  Local<Value> flatten;
  if (!hooks.As<v8::Object>()->Get(context, v8util::str(isolate_, "flattenResponse")).ToLocal(&flatten) ||
      !flatten->IsFunction()) {
    return Error{"INTERNAL", "isolate start-up code has no flattenResponse"};
  }
  flatten_response_.Reset(isolate_, flatten.As<v8::Function>());
  Local<Value> subscribe;
  if (!hooks.As<v8::Object>()->Get(context, v8util::str(isolate_, "subscribe")).ToLocal(&subscribe) ||
      !subscribe->IsFunction()) {
    return Error{"INTERNAL", "isolate start-up code has no subscribe"};
  }
  subscribe_.Reset(isolate_, subscribe.As<v8::Function>());
  if (!cache) {
    // Made after running, so it holds the functions start-up compiled lazily too.
    std::unique_ptr<v8::ScriptCompiler::CachedData> made(v8::ScriptCompiler::CreateCodeCache(script->GetUnboundScript()));
    if (made) {
      V8Runtime::set_bootstrap_code_cache(
          std::make_shared<const std::vector<uint8_t>>(made->data, made->data + made->length));
    }
  } else if (source.GetCachedData()->rejected) {
    log::warn("V8 rejected the start-up code cache; compiling from source");
  }
  return Ok{};
}

Status AgentIsolate::compile_module_graph(const std::string& name) {
  if (modules_.contains(name)) return Ok{};
  auto file = spec_->files.find(name);
  if (file == spec_->files.end()) return module_error(name + ": file is not in the bundle");
  Local<v8::Context> context = isolate_->GetCurrentContext();
  v8::TryCatch try_catch(isolate_);
  v8::ScriptOrigin origin(isolate_, v8util::str(isolate_, name), 0, 0, false, -1, Local<Value>(), false, false,
                          /*is_module=*/true);
  v8::ScriptCompiler::Source source(v8util::str(isolate_, file->second), origin);
  Local<v8::Module> module;
  if (!v8::ScriptCompiler::CompileModule(isolate_, &source).ToLocal(&module)) {
    return module_error(name + ": does not compile: " + v8util::describe_exception(isolate_, context, try_catch));
  }
  modules_.emplace(name, v8::Global<v8::Module>(isolate_, module));
  module_names_[module->GetIdentityHash()] = name;

  Local<v8::FixedArray> requests = module->GetModuleRequests();
  for (int i = 0; i < requests->Length(); ++i) {
    Local<v8::ModuleRequest> request = requests->Get(context, i).As<v8::ModuleRequest>();
    std::string specifier = v8util::to_string(isolate_, request->GetSpecifier());
    auto resolved = resolve_specifier(name, specifier);
    if (!resolved || !spec_->files.contains(*resolved)) {
      return module_error(name + ": import '" + specifier +
                          "' must be a relative path (./ or ../) to a file of the bundle");
    }
    if (auto compiled = compile_module_graph(*resolved); !compiled) return compiled;
  }
  return Ok{};
}

namespace {
v8::MaybeLocal<v8::Module> resolve_module(Local<v8::Context> context, Local<v8::String> specifier,
                                          Local<v8::FixedArray>, Local<v8::Module> referrer) {
  v8::Isolate* isolate = context->GetIsolate();
  return agent_of(isolate)->resolve_import(referrer, v8util::to_string(isolate, specifier));
}
}  // namespace

v8::MaybeLocal<v8::Module> AgentIsolate::resolve_import(Local<v8::Module> referrer, const std::string& specifier) {
  auto referrer_name = module_names_.find(referrer->GetIdentityHash());
  if (referrer_name != module_names_.end()) {
    if (auto resolved = resolve_specifier(referrer_name->second, specifier)) {
      if (auto module = modules_.find(*resolved); module != modules_.end()) return module->second.Get(isolate_);
    }
  }
  isolate_->ThrowException(v8::Exception::Error(v8util::str(isolate_, "cannot resolve import '" + specifier + "'")));
  return {};
}

Status AgentIsolate::evaluate_modules(std::chrono::milliseconds cpu_budget) {
  Local<v8::Context> context = isolate_->GetCurrentContext();
  Status status = Ok{};
  std::string evaluating;  // the module being evaluated, to name it if a limit stops it
  env_.watchdog.arm(isolate_, Clock::now() + cpu_budget);
  {
    v8::TryCatch try_catch(isolate_);
    for (const FunctionSpec& function : spec_->functions) {
      evaluating = function.module;
      Local<v8::Module> module = modules_.at(function.module).Get(isolate_);
      Local<Value> evaluated;
      if (module->GetStatus() < v8::Module::kInstantiated &&
          !module->InstantiateModule(context, resolve_module).FromMaybe(false)) {
        status = module_error(function.module + ": cannot link: " + v8util::describe_exception(isolate_, context, try_catch));
        break;
      }
      if (!module->Evaluate(context).ToLocal(&evaluated)) {
        status = module_error(function.module + ": top-level code threw: " +
                              v8util::describe_exception(isolate_, context, try_catch));
        break;
      }
      isolate_->PerformMicrotaskCheckpoint();
      if (module->GetStatus() == v8::Module::kErrored) {
        status = module_error(function.module + ": top-level code threw: " +
                              v8util::to_string(isolate_, module->GetException()));
        break;
      }
      if (evaluated->IsPromise() && evaluated.As<v8::Promise>()->State() == v8::Promise::kPending) {
        status = module_error(function.module + ": top-level await did not settle during start-up");
        break;
      }
      Local<Value> handler;
      Local<v8::Object> exports = module->GetModuleNamespace().As<v8::Object>();
      if (!exports->Get(context, v8util::str(isolate_, "default")).ToLocal(&handler) || !handler->IsFunction()) {
        status = module_error(function.module + ": must `export default` the handler function (function \"" +
                              function.name + "\")");
        break;
      }
      Local<Value> factory, entry;
      Local<Value> factory_args[] = {handler, v8util::str(isolate_, spec_->id), v8util::str(isolate_, spec_->slug),
                                     v8util::str(isolate_, function.name), v8util::str(isolate_, "/agents/" + spec_->id)};
      if (!hooks_.Get(isolate_)->Get(context, v8util::str(isolate_, "functionEntry")).ToLocal(&factory) ||
          !factory.As<v8::Function>()->Call(context, v8::Undefined(isolate_), 5, factory_args).ToLocal(&entry)) {
        status = Error{"INTERNAL", "function entry could not be made"};
        break;
      }
      entries_.emplace_back(isolate_, entry.As<v8::Function>());
    }
  }
  bool fired = env_.watchdog.disarm();
  if (fired || isolate_->IsExecutionTerminating()) {
    isolate_->CancelTerminateExecution();
    status = module_error(evaluating + ": top-level code exceeded the start-up CPU limit (--startup-cpu-limit-ms)");
  }
  if (heap_exhausted_) status = module_error(evaluating + ": top-level code exceeded the heap limit (--heap-limit-mb)");
  return status;
}

template <class Body>
void AgentIsolate::run_js(InvocationId attributed, Body&& body) {
  auto self = shared_from_this();  // a completion may drop the pool's reference; stay alive until we return
  {
    v8::Isolate::Scope isolate_scope(isolate_);
    v8::HandleScope handle_scope(isolate_);
    Local<v8::Context> context = context_.Get(isolate_);
    v8::Context::Scope context_scope(context);

    auto invocation = invocations_.find(attributed);
    auto budget = std::chrono::duration_cast<Clock::duration>(env_.limits.cpu_time);
    if (invocation != invocations_.end()) budget -= invocation->second.cpu_used;
    budget = std::max(budget, Clock::duration(std::chrono::milliseconds(1)));

    // V8 carries this value into the promise jobs that code run now triggers, so continuations
    // (and the timers and logs they start) are attributed to the request that resolved them.
    context->SetContinuationPreservedEmbedderData(v8::Number::New(isolate_, static_cast<double>(attributed)));
    auto start = Clock::now();
    env_.watchdog.arm(isolate_, start + budget);
    ++js_depth_;
    body(context);
    if (!isolate_->IsExecutionTerminating()) isolate_->PerformMicrotaskCheckpoint();
    --js_depth_;
    bool fired = env_.watchdog.disarm();
    auto elapsed = Clock::now() - start;
    InvocationId culprit = fired ? current_invocation(context) : attributed;
    if (culprit == 0) culprit = attributed;
    context->SetContinuationPreservedEmbedderData(v8::Undefined(isolate_));
    if (fired || isolate_->IsExecutionTerminating()) isolate_->CancelTerminateExecution();

    auto charged = invocations_.find(attributed);
    if (charged != invocations_.end()) charged->second.cpu_used += elapsed;
    if (heap_exhausted_) {
      finish(culprit, InvokeOutcome{InvokeStatus::kHeapLimit, {}, "heap limit reached; isolate discarded"});
      condemn(InvokeStatus::kIsolateRestarted, "isolate discarded after another request exhausted its heap");
    } else if (!fired && charged != invocations_.end() && charged->second.cpu_used >= env_.limits.cpu_time) {
      // Spent in slices (each under the watchdog's deadline): nothing was terminated, so only this
      // request ends.
      finish(attributed, InvokeOutcome{InvokeStatus::kCpuLimit, {}, "CPU time limit exceeded (across awaits)"});
    } else if (fired) {
      // Termination drops V8's pending promise jobs, which may belong to other requests, and can
      // leave module state half-updated: the culprit gets its 503, the isolate is replaced.
      finish(culprit, InvokeOutcome{InvokeStatus::kCpuLimit, {}, "CPU time limit exceeded"});
      condemn(InvokeStatus::kIsolateRestarted, "isolate discarded after another request exceeded its CPU limit");
    }
    // V8's foreground tasks (GC follow-ups) tolerate a short delay; checking for them costs two
    // locks, so not on every entry.
    if (++entries_since_tasks_ >= kEntriesPerTaskCheck) {
      entries_since_tasks_ = 0;
      V8Runtime::run_pending_tasks(isolate_);
    }
  }
  deliver_ready();
}

void AgentIsolate::invoke(size_t function_index, HandlerRequest request, InvokeCompletion done) {
  if (condemned_) {
    done(InvokeOutcome{InvokeStatus::kIsolateRestarted, {}, "isolate already discarded"});
    return;
  }
  InvocationId id = ++next_invocation_;
  Invocation& invocation = invocations_[id];
  invocation.function_index = function_index;
  invocation.request_id = request.request_id;
  invocation.body = std::move(request.body);
  invocation.user_id = std::move(request.user_id);
  for (const auto& [name, value] : request.headers) {
    if (name == "cookie") invocation.cookies += value + ";";
  }
  invocation.done = std::move(done);
  invocation.deadline = Clock::now() + env_.limits.wall_time;
  if (wall_timer_ == 0) arm_wall_timer(invocation.deadline);
  run_js(id, [&](Local<v8::Context> context) { start_handler(id, context, request); });
}

void AgentIsolate::start_handler(InvocationId id, Local<v8::Context> context, const HandlerRequest& request) {
  v8::TryCatch try_catch(isolate_);
  Local<Value> result;
  if (!call_entry(context, id, request).ToLocal(&result)) {
    if (!try_catch.HasTerminated()) {
      finish(id, InvokeOutcome{InvokeStatus::kHandlerError, {}, "handler threw: " +
                                                                  v8util::describe_exception(isolate_, context, try_catch)});
    }
    return;
  }
  if (!result->IsPromise()) {
    complete(id, context, result);
    return;
  }
  Local<v8::Promise> promise = result.As<v8::Promise>();
  // An async handler that never awaited has already settled: take the result before running
  // other requests' promise jobs.
  if (promise->State() == v8::Promise::kPending) isolate_->PerformMicrotaskCheckpoint();
  if (!isolate_->IsExecutionTerminating()) settle(id, context, promise);
}

// Reads a settled promise at once (the common case: no await on real I/O), or subscribes.
void AgentIsolate::settle(InvocationId id, Local<v8::Context> context, Local<v8::Promise> promise) {
  switch (promise->State()) {
    case v8::Promise::kFulfilled:
      complete(id, context, promise->Result());
      return;
    case v8::Promise::kRejected: {
      promise->MarkAsHandled();
      v8::Local<v8::Value> reason = promise->Result();
      std::string detail = reason->IsNativeError()
                               ? v8util::to_string(isolate_, reason.As<v8::Object>()->Get(context, v8util::str(isolate_, "stack")).FromMaybe(Local<Value>()))
                               : v8util::to_string(isolate_, reason);
      finish(id, InvokeOutcome{InvokeStatus::kHandlerError, {}, "handler rejected: " + detail});
      return;
    }
    case v8::Promise::kPending: {
      // Only handlers that await real work get here: on_fulfilled or on_rejected runs later, with
      // the id (hooks.subscribe in the prelude).
      Local<Value> args[] = {promise, v8::Number::New(isolate_, static_cast<double>(id))};
      v8::TryCatch try_catch(isolate_);
      if (!subscribe_.Get(isolate_)->Call(context, v8::Undefined(isolate_), 2, args).IsEmpty()) return;
      if (try_catch.HasTerminated()) {
        try_catch.ReThrow();
        return;
      }
      // Agent code broke `then` for its own promise (a throwing Promise[Symbol.species]): fail now
      // rather than at the wall-time limit.
      finish(id, InvokeOutcome{InvokeStatus::kHandlerError, {},
                               "the handler's promise cannot be awaited: " + v8util::to_string(isolate_, try_catch.Exception())});
      return;
    }
  }
}

// Header values are nearly always ASCII: a one-byte string skips UTF-8 decoding.
static Local<v8::String> header_string(v8::Isolate* isolate, std::string_view text) {
  bool ascii = std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (!ascii) return v8util::str(isolate, text);
  return v8::String::NewFromOneByte(isolate, reinterpret_cast<const uint8_t*>(text.data()), v8::NewStringType::kNormal,
                                    static_cast<int>(text.size()))
      .ToLocalChecked();
}

v8::MaybeLocal<Value> AgentIsolate::call_entry(Local<v8::Context> context, InvocationId id, const HandlerRequest& request) {
  const Invocation& invocation = invocations_.at(id);
  std::vector<Local<Value>> header_pairs;
  header_pairs.reserve(request.headers.size() * 2);
  for (const auto& [name, value] : request.headers) {
    header_pairs.push_back(header_string(isolate_, name));
    header_pairs.push_back(header_string(isolate_, value));
  }
  Local<Value> args[] = {
      v8util::str(isolate_, request.url),
      header_string(isolate_, request.method),
      v8::Array::New(isolate_, header_pairs.data(), header_pairs.size()),
      v8util::str(isolate_, invocation.body),
      header_string(isolate_, request.request_id),
      header_string(isolate_, request.origin),
      v8::Number::New(isolate_, static_cast<double>(id)),
      // ctx.auth.userId: the same signed-in visitor the kv "visitor" permission matches.
      invocation.user_id ? Local<Value>(v8util::str(isolate_, *invocation.user_id)) : Local<Value>(v8::Null(isolate_)),
  };
  const int argc = static_cast<int>(std::size(args));
  return entries_[invocation.function_index].Get(isolate_)->Call(context, v8::Undefined(isolate_), argc, args);
}

std::unique_ptr<v8::BackingStore> AgentIsolate::new_backing_store(size_t length) {
  void* data = allocator_->Allocate(length);
  if (data == nullptr && length > 0) return nullptr;
  return v8::ArrayBuffer::NewBackingStore(
      data, length,
      [](void* bytes, size_t size, void* allocator) {
        static_cast<v8::ArrayBuffer::Allocator*>(allocator)->Free(bytes, size);
      },
      allocator_.get());
}

// The JS side names its invocation, but agent code can forge that number (new
// ctx.request.constructor(...)): only the invocation the running JS works for is honoured.
bool AgentIsolate::is_running(uint64_t invocation) const {
  return invocation != 0 && invocation == current_invocation(isolate_->GetCurrentContext());
}

std::string_view AgentIsolate::request_body(uint64_t invocation) {
  if (!is_running(invocation)) return {};
  auto it = invocations_.find(invocation);
  return it == invocations_.end() ? std::string_view() : std::string_view(it->second.body);
}

std::vector<std::string> AgentIsolate::Invocation::redactions() const {
  std::vector<std::string> secrets = cookie_values(cookies);
  secrets.insert(secrets.end(), secrets_read.begin(), secrets_read.end());
  return secrets;
}

std::optional<KvCallContext> AgentIsolate::kv_context(uint64_t invocation) {
  if (!is_running(invocation)) return std::nullopt;
  auto it = invocations_.find(invocation);
  if (it == invocations_.end()) return std::nullopt;
  const Invocation& live = it->second;
  std::optional<std::string_view> visitor;
  if (live.user_id) visitor = *live.user_id;
  return KvCallContext{env_.services.kv, env_.limits.kv,
                       KvCaller{spec_->id, visitor, spec_->functions[live.function_index].kv}, spec_->deployed_at_ms,
                       live.host_promises.size()};
}

Result<std::optional<std::string>> AgentIsolate::read_secret(uint64_t invocation, const std::string& name) {
  auto live = is_running(invocation) ? invocations_.find(invocation) : invocations_.end();
  if (live == invocations_.end()) {
    return Error{"INVALID_STATE", "ctx.secrets can only be used by its own request, while that request is being handled"};
  }
  if (!env_.services.secrets) return Error{"SECRETS_UNAVAILABLE", "secrets are not configured on this server"};
  auto value = env_.services.secrets->get(spec_->id, name);
  if (!value) {
    log::error("agent=", spec_->slug, " secret '", name, "' could not be read: ", value.error().message);
    return Error{value.error().code, "the secret '" + name + "' could not be read"};
  }
  if (*value) live->second.secrets_read.push_back(**value);
  return value;
}

std::optional<HostPromise> AgentIsolate::new_host_promise(uint64_t invocation) {
  auto owner = invocations_.find(invocation);
  if (owner == invocations_.end()) return std::nullopt;
  Local<v8::Promise::Resolver> resolver;
  if (!v8::Promise::Resolver::New(isolate_->GetCurrentContext()).ToLocal(&resolver)) return std::nullopt;
  uint64_t id = ++next_host_promise_;
  host_promises_.emplace(id, PendingHostPromise{invocation, v8::Global<v8::Promise::Resolver>(isolate_, resolver)});
  owner->second.host_promises.push_back(id);

  auto settle = [weak = weak_from_this(), id, inbox = inbox_, loop = &env_.loop,
                 thread = std::this_thread::get_id()](HostResult result) {
    if (std::this_thread::get_id() == thread) {
      // Only this thread may touch (or drop the last reference to) the isolate.
      if (auto self = weak.lock(); self && self->js_depth_ > 0) {
        self->settle_host_promise(id, result);
        return;
      }
    }
    bool first = false;
    {
      std::lock_guard lock(inbox->mutex);
      first = inbox->settlements.empty();
      inbox->settlements.emplace_back(id, std::move(result));
    }
    // One wake-up however many settlements arrive before the loop gets to it (a group commit
    // finishes many writes at once).
    if (first) {
      loop->post([weak] {
        if (auto self = weak.lock()) self->drain_inbox();
      });
    }
  };
  return HostPromise{resolver->GetPromise(), std::move(settle), id};
}

Result<StartedFetch> AgentIsolate::start_fetch(OutboundRequest request, FetchToJs to_js) {
  InvocationId invocation = current_invocation(isolate_->GetCurrentContext());
  auto owner = invocations_.find(invocation);
  if (owner == invocations_.end()) {
    return Error{"INVALID_STATE", "fetch can only be called while a request is being handled"};
  }
  if (!env_.services.fetcher) return Error{"FETCH_UNAVAILABLE", "fetch is not available on this server"};
  const FetchLimits& limits = env_.limits.fetch;
  if (owner->second.fetches_started >= limits.max_per_invocation) {
    return Error{"LIMIT_EXCEEDED", "fetch: at most " + std::to_string(limits.max_per_invocation) +
                                       " fetches per request; this request has made them all"};
  }
  if (request.body.size() > limits.max_request_bytes) {
    return Error{"LIMIT_EXCEEDED", "fetch: the request body is " + std::to_string(request.body.size()) +
                                       " bytes; the limit is " + std::to_string(limits.max_request_bytes)};
  }
  auto promise = new_host_promise(invocation);
  if (!promise) return Error{"INVALID_STATE", "fetch can only be called while a request is being handled"};
  ++owner->second.fetches_started;
  uint64_t host_promise = promise->id;
  // The fetcher never calls back inside start(), so the id is known by the time the callback runs.
  auto id = std::make_shared<Fetcher::Id>(0);
  *id = env_.services.fetcher->start(
      std::move(request), [weak = weak_from_this(), invocation, id, settle = std::move(promise->settle),
                           to_js = std::move(to_js)](Result<OutboundResponse> result) {
        if (auto self = weak.lock()) {
          if (auto owner = self->invocations_.find(invocation); owner != self->invocations_.end()) {
            std::erase_if(owner->second.fetches, [&](const auto& fetch) { return fetch.first == *id; });
            if (!result && result.error().code == fetch_error::kEgressDenied) {
              self->report(owner->second, "warn", fetch_error::kEgressDenied, result.error().message);
            }
          }
        }
        settle(to_js(std::move(result)));
      });
  owner->second.fetches.emplace_back(*id, host_promise);
  return StartedFetch{promise->promise, *id};
}

void AgentIsolate::cancel_fetch(uint64_t id) {
  auto owner = invocations_.find(current_invocation(isolate_->GetCurrentContext()));
  if (owner == invocations_.end() || !env_.services.fetcher) return;
  // Only the running request's own fetches: an id is a small integer, easy to guess.
  auto& fetches = owner->second.fetches;
  auto fetch = std::find_if(fetches.begin(), fetches.end(), [&](const auto& entry) { return entry.first == id; });
  if (fetch == fetches.end()) return;
  env_.services.fetcher->cancel(id);
  // Its promise will never settle: forget it now rather than when the request ends.
  host_promises_.erase(fetch->second);
  std::erase(owner->second.host_promises, fetch->second);
  fetches.erase(fetch);
}

void AgentIsolate::report(const Invocation& invocation, std::string_view level, std::string_view code, std::string text) {
  const std::string& function = spec_->functions[invocation.function_index].name;
  log::at(level == "error" ? log::Level::kError : log::Level::kWarn, "agent=", spec_->slug, " fn=", function,
          " req=", invocation.request_id, " ", code, ": ", log::escaped(text));
  if (env_.services.console) {
    env_.services.console->append(spec_->id, ConsoleEntry{0, 0, std::string(level), std::string(code),
                                                          invocation.request_id, function, std::move(text)});
  }
}

void AgentIsolate::drain_inbox() {
  std::vector<std::pair<uint64_t, HostResult>> settlements;
  {
    std::lock_guard lock(inbox_->mutex);
    settlements.swap(inbox_->settlements);
  }
  for (auto& [id, result] : settlements) {
    auto pending = host_promises_.find(id);
    if (pending == host_promises_.end()) continue;  // its request has ended
    run_js(pending->second.invocation, [&](Local<v8::Context>) { settle_host_promise(id, result); });
  }
}

void AgentIsolate::settle_host_promise(uint64_t id, const HostResult& result) {
  auto pending = host_promises_.find(id);
  if (pending == host_promises_.end()) return;
  Local<v8::Context> context = isolate_->GetCurrentContext();
  Local<v8::Promise::Resolver> resolver = pending->second.resolver.Get(isolate_);
  InvocationId invocation = pending->second.invocation;
  host_promises_.erase(pending);
  if (auto owner = invocations_.find(invocation); owner != invocations_.end()) {
    std::erase(owner->second.host_promises, id);
  }
  v8::TryCatch try_catch(isolate_);
  Local<Value> value;
  if (result(isolate_, context).ToLocal(&value)) {
    std::ignore = resolver->Resolve(context, value);
  } else if (try_catch.HasCaught() && !try_catch.HasTerminated()) {
    Local<Value> error = try_catch.Exception();
    try_catch.Reset();
    std::ignore = resolver->Reject(context, error);
  }
}

void AgentIsolate::drop_host_promises(const Invocation& invocation) {
  for (uint64_t id : invocation.host_promises) host_promises_.erase(id);
}

// handlerFulfilled(id, value) and handlerRejected(id, reason), called only by hooks.subscribe (the
// prelude drops `native` before agent code runs). An id that is not a live invocation is ignored.
void AgentIsolate::on_fulfilled(const v8::FunctionCallbackInfo<Value>& info) {
  AgentIsolate* self = agent_of(info.GetIsolate());
  if (!info[0]->IsNumber()) return;
  auto id = static_cast<InvocationId>(info[0].As<v8::Number>()->Value());
  self->complete(id, info.GetIsolate()->GetCurrentContext(), info[1]);
}

void AgentIsolate::on_rejected(const v8::FunctionCallbackInfo<Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  AgentIsolate* self = agent_of(isolate);
  if (!info[0]->IsNumber()) return;
  auto id = static_cast<InvocationId>(info[0].As<v8::Number>()->Value());
  if (!self->invocations_.contains(id)) return;
  Local<Value> reason = info[1];
  Local<Value> stack;
  if (reason->IsNativeError() &&
      reason.As<v8::Object>()->Get(isolate->GetCurrentContext(), v8util::str(isolate, "stack")).ToLocal(&stack)) {
    reason = stack;
  }
  self->finish(id, InvokeOutcome{InvokeStatus::kHandlerError, {}, "handler rejected: " + v8util::to_string(isolate, reason)});
}

void AgentIsolate::complete(InvocationId id, Local<v8::Context> context, Local<Value> value) {
  if (!invocations_.contains(id)) return;
  v8::TryCatch try_catch(isolate_);
  Local<Value> flattened;
  if (!flatten_response_.Get(isolate_)->Call(context, v8::Undefined(isolate_), 1, &value).ToLocal(&flattened)) {
    if (try_catch.HasTerminated()) return;
    finish(id, InvokeOutcome{InvokeStatus::kHandlerError, {}, "malformed return value: reading it threw: " +
                                                                v8util::describe_exception(isolate_, context, try_catch)});
    return;
  }
  auto response = to_handler_response(isolate_, context, flattened);
  if (try_catch.HasTerminated()) return;
  if (!response) {
    InvokeStatus status =
        response.error().code == "INVALID_RESPONSE_HEADER" ? InvokeStatus::kInvalidResponse : InvokeStatus::kHandlerError;
    finish(id, InvokeOutcome{status, {}, "malformed return value: " + response.error().message});
    return;
  }
  finish(id, InvokeOutcome{InvokeStatus::kOk, std::move(*response), {}});
}

void AgentIsolate::finish(InvocationId id, InvokeOutcome outcome) {
  auto it = invocations_.find(id);
  if (it == invocations_.end()) return;  // already finished: the first outcome wins
  Invocation invocation = std::move(it->second);
  invocations_.erase(it);
  drop_host_promises(invocation);
  if (env_.services.fetcher) {
    for (const auto& [fetch, promise] : invocation.fetches) env_.services.fetcher->cancel(fetch);
  }
  for (uint32_t timer_id : invocation.timers) {
    if (auto timer = timers_.find(timer_id); timer != timers_.end()) {
      env_.loop.cancel_timer(timer->second.loop_timer);
      timers_.erase(timer);
    }
  }
  if (outcome.status != InvokeStatus::kOk) {
    const std::string& function = spec_->functions[invocation.function_index].name;
    outcome.detail = redact(std::move(outcome.detail), invocation.redactions());
    log::warn("agent=", spec_->slug, " fn=", function, " req=", invocation.request_id, " failed: ", outcome.detail);
    if (env_.services.console) {
      env_.services.console->append(spec_->id, ConsoleEntry{0, 0, "error", std::string(console_code(outcome.status)),
                                                   invocation.request_id, function, outcome.detail});
    }
  }
  ready_.emplace_back(std::move(invocation.done), std::move(outcome));
}

void AgentIsolate::condemn(InvokeStatus status, const std::string& detail) {
  condemned_ = true;
  std::vector<InvocationId> live;
  for (const auto& [id, invocation] : invocations_) live.push_back(id);
  for (InvocationId id : live) finish(id, InvokeOutcome{status, {}, detail});
}

AgentIsolate::InvocationId AgentIsolate::current_invocation(Local<v8::Context> context) const {
  Local<Value> data = context->GetContinuationPreservedEmbedderData();
  return data->IsNumber() ? static_cast<InvocationId>(data.As<v8::Number>()->Value()) : 0;
}

void AgentIsolate::deliver_ready() {
  while (!ready_.empty()) {
    auto batch = std::move(ready_);
    ready_.clear();
    for (auto& [done, outcome] : batch) done(std::move(outcome));
  }
}

void AgentIsolate::arm_wall_timer(Clock::time_point deadline) {
  auto delay = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
  wall_timer_ = env_.loop.start_timer(std::max(delay, std::chrono::milliseconds(0)), [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->on_wall_timer();
  });
}

void AgentIsolate::on_wall_timer() {
  wall_timer_ = 0;
  auto now = Clock::now();
  std::vector<InvocationId> expired;
  std::optional<Clock::time_point> earliest;
  for (const auto& [id, invocation] : invocations_) {
    if (invocation.deadline <= now) {
      expired.push_back(id);
    } else if (!earliest || invocation.deadline < *earliest) {
      earliest = invocation.deadline;
    }
  }
  if (!expired.empty()) {
    v8::Isolate::Scope isolate_scope(isolate_);
    for (InvocationId id : expired) finish(id, InvokeOutcome{InvokeStatus::kWallLimit, {}, "wall-time limit exceeded"});
  }
  if (earliest) arm_wall_timer(*earliest);
  deliver_ready();
}

uint32_t AgentIsolate::start_timer(Local<v8::Function> callback, std::chrono::milliseconds delay) {
  InvocationId owner = current_invocation(isolate_->GetCurrentContext());
  auto invocation = invocations_.find(owner);
  if (invocation == invocations_.end()) {
    v8util::throw_type_error(isolate_, "setTimeout is only available while handling a request (not at module top level or after its response)");
    return 0;
  }
  if (invocation->second.timers.size() >= kMaxTimersPerInvocation) {
    v8util::throw_coded_error(isolate_, "LIMIT_EXCEEDED", "setTimeout: at most 1000 pending timers per request");
    return 0;
  }
  uint32_t id = ++next_timer_;
  if (id == 0) id = ++next_timer_;
  Timer& timer = timers_[id];
  timer.invocation = owner;
  timer.callback.Reset(isolate_, callback);
  timer.loop_timer = env_.loop.start_timer(delay, [weak = weak_from_this(), id] {
    if (auto self = weak.lock()) self->fire_timer(id);
  });
  invocation->second.timers.push_back(id);
  return id;
}

void AgentIsolate::clear_timer(uint32_t id) {
  auto timer = timers_.find(id);
  if (timer == timers_.end()) return;
  env_.loop.cancel_timer(timer->second.loop_timer);
  forget_timer(timer->second.invocation, id);
  timers_.erase(timer);
}

void AgentIsolate::forget_timer(InvocationId owner, uint32_t timer_id) {
  if (auto invocation = invocations_.find(owner); invocation != invocations_.end()) {
    std::erase(invocation->second.timers, timer_id);
  }
}

void AgentIsolate::fire_timer(uint32_t timer_id) {
  auto timer = timers_.find(timer_id);
  if (timer == timers_.end() || condemned_) return;
  InvocationId owner = timer->second.invocation;
  run_js(owner, [&](Local<v8::Context> context) {
    auto it = timers_.find(timer_id);
    if (it == timers_.end()) return;
    Local<v8::Function> callback = it->second.callback.Get(isolate_);
    forget_timer(it->second.invocation, timer_id);
    timers_.erase(it);
    v8::TryCatch try_catch(isolate_);
    if (callback->Call(context, v8::Undefined(isolate_), 0, nullptr).IsEmpty() && !try_catch.HasTerminated()) {
      console_log("error", "uncaught exception in setTimeout callback: " +
                               v8util::describe_exception(isolate_, context, try_catch));
    }
  });
}

void AgentIsolate::console_log(std::string_view level, std::string_view text) {
  auto invocation = invocations_.find(current_invocation(isolate_->GetCurrentContext()));
  // Views on both branches: a "-" : std::string ternary would make a temporary string.
  bool live = invocation != invocations_.end();
  std::string_view request_id = live ? std::string_view(invocation->second.request_id) : std::string_view("-");
  std::string_view function =
      live ? std::string_view(spec_->functions[invocation->second.function_index].name) : std::string_view("-");
  // Redacted before it is cut, so a secret across the cut cannot leave its first half behind.
  std::string line(text);
  if (live) line = redact(std::move(line), invocation->second.redactions());
  bool truncated = line.size() > env_.limits.max_log_line;
  if (truncated) line.resize(env_.limits.max_log_line);
  log::Level severity = level == "error" ? log::Level::kError
                        : level == "warn" ? log::Level::kWarn
                        : level == "debug" ? log::Level::kDebug
                                           : log::Level::kInfo;
  // Escaped, so agent output cannot forge log lines (newlines, control characters).
  log::at(severity, "agent=", spec_->slug, " fn=", function, " req=", request_id, " console.", level, ": ",
          log::escaped(line), truncated ? " [truncated]" : "");
  if (env_.services.console) {
    if (truncated) line += " [truncated]";
    env_.services.console->append(spec_->id, ConsoleEntry{0, 0, std::string(level), "CONSOLE", std::string(request_id),
                                                 std::string(function), std::move(line)});
  }
}

size_t AgentIsolate::on_near_heap_limit(void* data, size_t current_limit, size_t) {
  auto* self = static_cast<AgentIsolate*>(data);
  bool first = !self->heap_exhausted_;
  self->heap_exhausted_ = true;
  self->isolate_->TerminateExecution();
  return current_limit + (first ? kFirstHeapGraceBytes : kHeapGraceBytes);
}

}  // namespace agentgate
