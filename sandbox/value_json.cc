#include "sandbox/value_json.h"

#include <v8.h>

#include "sandbox/v8_util.h"

namespace agentgate {
namespace {

constexpr size_t kHeapBytes = size_t{256} << 20;

// JSON.stringify with a replacer for what structured clone keeps and JSON does not.
constexpr std::string_view kRenderer = R"JS((function render(value) {
  const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  const text = JSON.stringify(value, function (key, v) {
    const original = this[key];
    if (original instanceof Date) return { $type: 'Date', value: Number.isNaN(original.getTime()) ? null : v };
    if (v === undefined) return { $type: 'undefined' };
    if (typeof v === 'bigint') return { $type: 'BigInt', value: v.toString() };
    if (typeof v === 'number' && !Number.isFinite(v)) return { $type: 'Number', value: String(v) };
    if (v instanceof Map) return { $type: 'Map', entries: [...v] };
    if (v instanceof Set) return { $type: 'Set', values: [...v] };
    if (v instanceof RegExp) return { $type: 'RegExp', value: String(v) };
    if (v instanceof ArrayBuffer) return { $type: 'ArrayBuffer', hex: hex(new Uint8Array(v)) };
    if (ArrayBuffer.isView(v)) {
      return { $type: v.constructor.name, hex: hex(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
    }
    if (v instanceof Error) return { $type: v.name, message: v.message };
    if (v instanceof Boolean || v instanceof Number || v instanceof String) return v.valueOf();
    return v;
  });
  return text;
}))JS";

// JSON.stringify escapes a lone UTF-16 surrogate as \udXXX, which is valid JSON grammar but not
// interoperable: Boost.JSON (the admin API, the CLI) and most parsers refuse it. Replaces each unpaired
// surrogate escape with \ufffd, as a UTF-8 encoder would; paired ones (\ud83d\ude00) are kept.
void replace_lone_surrogate_escapes(std::string& json) {
  auto unit_at = [&](size_t at) -> int {  // the code unit of a \uXXXX escape at `at`, or -1
    if (at + 6 > json.size() || json[at] != '\\' || json[at + 1] != 'u') return -1;
    int unit = 0;
    for (size_t i = at + 2; i < at + 6; ++i) {
      char c = json[i];
      int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (digit < 0) return -1;
      unit = unit * 16 + digit;
    }
    return unit;
  };
  for (size_t i = 0; i < json.size(); ++i) {
    if (json[i] != '\\') continue;
    int unit = unit_at(i);
    if (unit < 0) {
      ++i;  // a two-character escape such as \\ or \"
      continue;
    }
    bool high = unit >= 0xd800 && unit <= 0xdbff;
    bool low = unit >= 0xdc00 && unit <= 0xdfff;
    if (high) {
      int next = unit_at(i + 6);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i += 11;  // the pair, kept
        continue;
      }
    }
    if (high || low) json.replace(i, 6, "\\ufffd");
    i += 5;
  }
}

size_t on_near_heap_limit(void* data, size_t current, size_t) {
  static_cast<v8::Isolate*>(data)->TerminateExecution();
  return current + (size_t{64} << 20);  // room to unwind; the isolate is disposed right after
}

}  // namespace

Result<std::vector<std::string>> serialized_values_as_json(const std::vector<std::string>& serialized) {
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator.get();
  params.constraints.ConfigureDefaultsFromHeapSize(0, kHeapBytes);
  v8::Isolate* isolate = v8::Isolate::New(params);
  isolate->AddNearHeapLimitCallback(on_near_heap_limit, isolate);
  std::vector<std::string> rendered;
  Status status = Ok{};
  {
    v8::Isolate::Scope isolate_scope(isolate);
    v8::HandleScope handle_scope(isolate);
    v8::Local<v8::Context> context = v8::Context::New(isolate);
    v8::Context::Scope context_scope(context);
    v8::TryCatch try_catch(isolate);
    v8::Local<v8::Script> script;
    v8::Local<v8::Value> renderer;
    if (!v8::Script::Compile(context, v8util::str(isolate, kRenderer)).ToLocal(&script) ||
        !script->Run(context).ToLocal(&renderer) || !renderer->IsFunction()) {
      status = Error{"INTERNAL", "value renderer failed to start"};
    }
    for (size_t i = 0; status.ok() && i < serialized.size(); ++i) {
      v8::HandleScope value_scope(isolate);
      const std::string& bytes = serialized[i];
      v8::ValueDeserializer deserializer(isolate, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      v8::Local<v8::Value> value;
      v8::Local<v8::Value> json;
      if (deserializer.ReadHeader(context).FromMaybe(false) && deserializer.ReadValue(context).ToLocal(&value) &&
          renderer.As<v8::Function>()->Call(context, v8::Undefined(isolate), 1, &value).ToLocal(&json) && json->IsString()) {
        rendered.push_back(v8util::to_string(isolate, json));
        replace_lone_surrogate_escapes(rendered.back());
      } else if (isolate->IsExecutionTerminating()) {
        status = Error{"VALUE_TOO_LARGE", "a value is too large to render"};
      } else {
        try_catch.Reset();
        rendered.push_back(R"({"$type":"Unreadable"})");
      }
    }
  }
  isolate->Dispose();
  if (!status) return status.error();
  return rendered;
}

}  // namespace agentgate
