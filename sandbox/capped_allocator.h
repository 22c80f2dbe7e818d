#pragma once
// ArrayBuffer memory lives outside the V8 heap, so the heap limit does not cover it. This allocator
// caps an isolate's ArrayBuffer bytes; past the cap, allocation fails and JS gets a RangeError
// ("Array buffer allocation failed") instead of the process growing without bound.
#include <v8.h>

#include <atomic>
#include <memory>

namespace agentgate {

class CappedArrayBufferAllocator final : public v8::ArrayBuffer::Allocator {
 public:
  explicit CappedArrayBufferAllocator(size_t cap_bytes)
      : cap_(cap_bytes), inner_(v8::ArrayBuffer::Allocator::NewDefaultAllocator()) {}

  void* Allocate(size_t length) override { return reserve(length) ? release_on_null(inner_->Allocate(length), length) : nullptr; }
  void* AllocateUninitialized(size_t length) override {
    return reserve(length) ? release_on_null(inner_->AllocateUninitialized(length), length) : nullptr;
  }
  void Free(void* data, size_t length) override {
    inner_->Free(data, length);
    used_.fetch_sub(length, std::memory_order_relaxed);
  }

 private:
  // Buffers may be freed on V8's GC threads, hence the atomic.
  bool reserve(size_t length) {
    size_t before = used_.fetch_add(length, std::memory_order_relaxed);
    if (before + length <= cap_) return true;
    used_.fetch_sub(length, std::memory_order_relaxed);
    return false;
  }
  void* release_on_null(void* data, size_t length) {
    if (data == nullptr) used_.fetch_sub(length, std::memory_order_relaxed);
    return data;
  }

  size_t cap_;
  std::atomic<size_t> used_{0};
  std::unique_ptr<v8::ArrayBuffer::Allocator> inner_;
};

}  // namespace agentgate
