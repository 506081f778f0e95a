#pragma once
// Where tasklet records live: a per-loop pool instead of the C++ heap.
//
// Why: a burst of a million tasklets allocates a million records of a few
// hundred bytes. From malloc they cost a page fault per 4 KiB every time the
// heap grows back after a trim (about 100,000 faults per million records, half
// of such a burst's time in the kernel). The pool carves records from chunks
// that grow to 2 MiB, 2 MiB-aligned and advised for transparent huge pages, so
// the same burst takes a few hundred faults, and reuses freed records LIFO per
// size class without a malloc call.
//
// Every block starts with a 16-byte header naming its chunk (blocks are whole
// cache lines, and what they hold starts on one: see record_pool.cpp), so a record is
// freed without knowing its pool, even after the pool is gone (a handle kept
// past dispatch()): the pool orphans chunks that still hold records, and the
// last free in an orphaned chunk unmaps it. Chunks that become empty stay for
// reuse and are given back when the loop is idle (trim), beyond a few MiB.
// Loop-thread only.

#include <array>
#include <cstddef>
#include <vector>

namespace weft::detail {

class RecordPool {
 public:
  RecordPool() = default;
  // Unmaps the chunks without records; orphans the others (see above).
  ~RecordPool();
  RecordPool(const RecordPool&) = delete;
  RecordPool& operator=(const RecordPool&) = delete;

  // A block of at least `size` bytes, aligned to 64 (a cache line). Throws std::bad_alloc.
  void* allocate(std::size_t size);
  // A block from the C++ heap that deallocate() also takes (no pool at hand).
  static void* allocate_unpooled(std::size_t size);
  // Frees a block of allocate() or allocate_unpooled(), whatever its pool's state.
  static void deallocate(void* p) noexcept;
  // Unmaps empty chunks while more than `keep_bytes` of them remain. Returns
  // true when more remain to unmap (it unmaps at most `max_chunks` per call).
  bool trim(std::size_t keep_bytes, std::size_t max_chunks) noexcept;

  std::size_t live() const noexcept { return live_; }          // blocks allocated, not freed
  std::size_t mapped_bytes() const noexcept { return mapped_; }  // chunks' bytes

  // Largest block the pool serves (header included); bigger ones use the heap.
  static constexpr std::size_t kMaxBlock = 2048;
  static constexpr std::size_t kClasses = kMaxBlock / 16;
  // The size class of allocate(size)'s block: kClasses when the heap serves it.
  static constexpr unsigned size_class(std::size_t size) noexcept {
    // (16: the header; blocks are whole cache lines, see record_pool.cpp)
    const std::size_t block = (size + 16 + 63) / 64 * 64;
    return block > kMaxBlock ? unsigned{kClasses} : static_cast<unsigned>(block / 16 - 1);
  }

 private:
  struct Chunk;
  struct Class {
    Chunk* avail = nullptr;       // chunks with room, most recently freed into first
    std::size_t next_bytes = 0;   // size of the class's next chunk (grows to 2 MiB)
  };
  // allocate()'s slow path, out of line: the first chunk of class `cls` with
  // room (full ones leave the avail list), or a new one.
  [[gnu::noinline]] Chunk* chunk_with_room(unsigned cls);
  Chunk* new_chunk(unsigned cls);
  void push_avail(Chunk& c) noexcept;
  void pop_avail(Chunk& c) noexcept;
  void free_block(Chunk& c, void* block) noexcept;
  static void unmap(Chunk& c) noexcept;

  std::array<Class, kClasses> classes_{};
  std::vector<Chunk*> chunks_;  // all of them, for trim and the destructor
  std::size_t live_ = 0;
  std::size_t mapped_ = 0;
  std::size_t empty_bytes_ = 0;  // bytes of chunks holding no record
};

}  // namespace weft::detail
