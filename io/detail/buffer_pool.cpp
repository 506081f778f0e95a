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

IoRuntime& io_runtime() { return loop_slot<IoRuntime>(ExtSlot::io, "IO"); }

IoRuntime* io_runtime_if_any() noexcept { return find_loop_slot<IoRuntime>(ExtSlot::io); }

}  // namespace weft::detail
