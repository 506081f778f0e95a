#include "io/detail/buffer_pool.hpp"

#include <memory>
#include <stdexcept>

namespace weft::detail {

BufferPool::~BufferPool() {
  for (char* b : free_) delete[] b;
}

char* BufferPool::acquire() {
  char* b;
  if (!free_.empty()) {
    b = free_.back();
    free_.pop_back();
  } else {
    b = new char[kBlockSize];
  }
  ++in_use_;
  return b;
}

void BufferPool::release(char* block) noexcept {
  --in_use_;
  if (free_.size() < kMaxFree) {
    try {
      free_.push_back(block);
      return;
    } catch (...) {
      // no room to remember it: free it instead
    }
  }
  delete[] block;
}

IoRuntime& io_runtime() {
  Loop* loop = Loop::current();
  if (loop == nullptr) throw std::logic_error("weft: IO needs a running loop (dispatch())");
  auto& slot = loop->ext(ExtSlot::io);
  if (!slot) slot = std::make_unique<IoRuntime>();
  return static_cast<IoRuntime&>(*slot);
}

IoRuntime* io_runtime_if_any() noexcept {
  Loop* loop = Loop::current();
  if (loop == nullptr) return nullptr;
  auto& slot = loop->ext(ExtSlot::io);
  return slot ? static_cast<IoRuntime*>(slot.get()) : nullptr;
}

}  // namespace weft::detail
