#include "tasklet/detail/record_pool.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <new>

namespace weft::detail {

namespace {

constexpr std::size_t kHeader = 16;  // a block's header: its chunk (or nullptr), padded
// Records start on a cache line (their first line is all that one wake-up of
// a tasklet reads of it: see sched/detail/fiber.hpp): blocks are whole lines,
// each with its header in the last 16 bytes of the line before its record.
constexpr std::size_t kLine = 64;
constexpr std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }
constexpr std::size_t kFirstChunk = std::size_t{64} << 10;
constexpr std::size_t kHugeChunk = std::size_t{2} << 20;  // a transparent huge page

void* map(std::size_t bytes) {
  if (bytes < kHugeChunk) {
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return p;
  }
  // Huge pages need a 2 MiB-aligned range: map twice the size, cut the excess.
  void* p = ::mmap(nullptr, 2 * bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  auto* raw = static_cast<char*>(p);
  auto at = reinterpret_cast<std::uintptr_t>(raw);
  char* aligned = raw + ((kHugeChunk - at % kHugeChunk) % kHugeChunk);
  if (aligned != raw) ::munmap(raw, static_cast<std::size_t>(aligned - raw));
  ::munmap(aligned + bytes, static_cast<std::size_t>(raw + 2 * bytes - (aligned + bytes)));
  ::madvise(aligned, bytes, MADV_HUGEPAGE);
  return aligned;
}

}  // namespace

struct RecordPool::Chunk {
  RecordPool* pool;        // nullptr once orphaned
  std::size_t bytes;       // of the mapping, this header included
  std::size_t block;       // bytes per block
  std::size_t live = 0;    // blocks handed out
  unsigned cls;
  bool in_avail = false;
  void* free = nullptr;    // freed blocks, linked through their first word
  char* bump;              // never-used blocks start here
  char* end;
  Chunk* prev = nullptr;   // in the class's avail list
  Chunk* next = nullptr;

  bool has_room() const noexcept { return free != nullptr || bump + block <= end; }
};

RecordPool::~RecordPool() {
  for (Chunk* c : chunks_) {
    if (c->live == 0) {
      unmap(*c);
    } else {
      c->pool = nullptr;  // its last record's free unmaps it
    }
  }
}

void RecordPool::unmap(Chunk& c) noexcept { ::munmap(&c, c.bytes); }

void* RecordPool::allocate_unpooled(std::size_t size) {
  auto* p = static_cast<char*>(::operator new(size + kLine, std::align_val_t{kLine}));
  *reinterpret_cast<Chunk**>(p + kLine - kHeader) = nullptr;
  return p + kLine;
}

void* RecordPool::allocate(std::size_t size) {
  const unsigned cls = size_class(size);
  if (cls == kClasses) return allocate_unpooled(size);
  Chunk* c = classes_[cls].avail;
  if (__builtin_expect(c == nullptr || !c->has_room(), 0)) c = chunk_with_room(cls);
  char* b;
  if (c->free != nullptr) {
    b = static_cast<char*>(c->free);
    c->free = *reinterpret_cast<void**>(b);
  } else {
    b = c->bump;
    c->bump += c->block;
  }
  if (c->live++ == 0) empty_bytes_ -= c->bytes;
  ++live_;
  *reinterpret_cast<Chunk**>(b) = c;
  return b + kHeader;
}

RecordPool::Chunk* RecordPool::chunk_with_room(unsigned cls) {
  Class& k = classes_[cls];
  while (k.avail != nullptr && !k.avail->has_room()) pop_avail(*k.avail);
  return k.avail != nullptr ? k.avail : new_chunk(cls);
}

RecordPool::Chunk* RecordPool::new_chunk(unsigned cls) {
  Class& k = classes_[cls];
  const std::size_t bytes = std::max(k.next_bytes, kFirstChunk);
  if (chunks_.size() == chunks_.capacity()) chunks_.reserve(std::max<std::size_t>(16, 2 * chunks_.size()));
  auto* mem = static_cast<char*>(map(bytes));
  auto* c = new (mem) Chunk{this, bytes, (cls + 1) * std::size_t{16}, 0, cls};
  c->bump = mem + round_up(sizeof(Chunk) + kHeader, kLine) - kHeader;  // (mem: page-aligned)
  c->end = mem + bytes;
  chunks_.push_back(c);
  mapped_ += bytes;
  empty_bytes_ += bytes;
  k.next_bytes = std::min(2 * bytes, kHugeChunk);
  push_avail(*c);
  return c;
}

void RecordPool::push_avail(Chunk& c) noexcept {
  Class& k = classes_[c.cls];
  c.prev = nullptr;
  c.next = k.avail;
  if (k.avail != nullptr) k.avail->prev = &c;
  k.avail = &c;
  c.in_avail = true;
}

void RecordPool::pop_avail(Chunk& c) noexcept {
  Class& k = classes_[c.cls];
  if (c.prev != nullptr) c.prev->next = c.next; else k.avail = c.next;
  if (c.next != nullptr) c.next->prev = c.prev;
  c.prev = c.next = nullptr;
  c.in_avail = false;
}

void RecordPool::deallocate(void* p) noexcept {
  if (p == nullptr) return;
  char* b = static_cast<char*>(p) - kHeader;
  Chunk* c = *reinterpret_cast<Chunk**>(b);
  if (c == nullptr) {
    ::operator delete(static_cast<char*>(p) - kLine, std::align_val_t{kLine});
  } else if (c->pool == nullptr) {
    if (--c->live == 0) unmap(*c);
  } else {
    c->pool->free_block(*c, b);
  }
}

void RecordPool::free_block(Chunk& c, void* block) noexcept {
  *static_cast<void**>(block) = c.free;
  c.free = block;
  --live_;
  if (--c.live == 0) empty_bytes_ += c.bytes;
  // Most recently freed into first, so the next record reuses a warm block
  // (it usually is already: records come and go in the same chunk).
  if (classes_[c.cls].avail == &c) return;
  if (c.in_avail) pop_avail(c);
  push_avail(c);
}

bool RecordPool::trim(std::size_t keep_bytes, std::size_t max_chunks) noexcept {
  if (empty_bytes_ <= keep_bytes) return false;
  // The oldest empty chunks go first; the recently made ones stay.
  std::size_t out = 0;
  for (Chunk* c : chunks_) {
    if (c->live == 0 && empty_bytes_ > keep_bytes && max_chunks > 0) {
      --max_chunks;
      if (c->in_avail) pop_avail(*c);
      empty_bytes_ -= c->bytes;
      mapped_ -= c->bytes;
      unmap(*c);
    } else {
      chunks_[out++] = c;
    }
  }
  chunks_.resize(out);
  return empty_bytes_ > keep_bytes;
}

}  // namespace weft::detail
