#pragma once
// The io layer's per-loop state: a pool of fixed-size IO buffers that buffered
// streams borrow while they hold data and give back when they are empty, so
// that thousands of idle connections hold no buffer at all.

#include <cstddef>
#include <vector>

#include "weft/sched/extension.hpp"

namespace weft::detail {

class BufferPool {
 public:
  // Bytes per pooled buffer.
  static constexpr std::size_t kBlockSize = 16 * 1024;
  // Free buffers kept for reuse; beyond that they are freed.
  static constexpr std::size_t kMaxFree = 256;

  BufferPool() = default;
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // A kBlockSize buffer (reused when one is free).
  char* acquire();
  // Gives back a buffer from acquire().
  void release(char* block) noexcept;

  std::size_t free_blocks() const noexcept { return free_.size(); }
  std::size_t blocks_in_use() const noexcept { return in_use_; }

 private:
  std::vector<char*> free_;
  std::size_t in_use_ = 0;
};

struct IoRuntime final : LoopExtension {
  BufferPool buffers;
};

// The io layer's state on the current loop (created on first use). Throws
// std::logic_error outside dispatch().
IoRuntime& io_runtime();
// The same, or nullptr when the current loop has none (or there is no loop).
IoRuntime* io_runtime_if_any() noexcept;

}  // namespace weft::detail
