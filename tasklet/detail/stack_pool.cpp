#include "tasklet/detail/stack_pool.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <new>

#include "tasklet/detail/context.hpp"

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define WEFT_VALGRIND 1
#endif

namespace weft::detail {

namespace {

// Pooled stacks per size beyond which released stacks give their pages back.
constexpr std::size_t kKeepCommitted = 1024;
// Bytes of unguarded stacks mapped at once.
constexpr std::size_t kSlabBytes = std::size_t{4} << 20;

std::size_t read_max_map_count() {
  std::size_t n = 65530;  // the kernel default
  if (std::FILE* f = std::fopen("/proc/sys/vm/max_map_count", "r")) {
    unsigned long v = 0;
    if (std::fscanf(f, "%lu", &v) == 1 && v > 0) n = v;
    std::fclose(f);
  }
  return n;
}

std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

void register_stack(Stack& s) {
#ifdef WEFT_VALGRIND
  s.valgrind_id = VALGRIND_STACK_REGISTER(s.base, s.base + s.size);
#else
  (void)s;
#endif
}

}  // namespace

std::size_t StackPool::page_size() noexcept {
  static const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return page;
}

std::size_t StackPool::builtin_default_size() noexcept {
  return context_sanitized() ? std::size_t{256} << 10 : std::size_t{64} << 10;
}

StackPool::StackPool(std::size_t default_size)
    : default_size_(round_up(default_size == 0 ? builtin_default_size() : default_size,
                             page_size())),
      guard_budget_(read_max_map_count() / 4) {
  default_bucket_.size = default_size_;
}

StackPool::~StackPool() {
  if (live_ != 0) {
    std::fprintf(stderr, "weft: %zu tasklet stack(s) still in use at loop exit; leaking them\n",
                 live_);
    return;
  }
  auto deregister = [](Bucket& b) {
#ifdef WEFT_VALGRIND
    for (const Stack& s : b.free_guarded) VALGRIND_STACK_DEREGISTER(s.valgrind_id);
    for (const Stack& s : b.free_plain) VALGRIND_STACK_DEREGISTER(s.valgrind_id);
#else
    (void)b;
#endif
  };
  deregister(default_bucket_);
  for (Bucket& b : other_buckets_) deregister(b);
  for (const Mapping& m : mappings_) ::munmap(m.addr, m.len);
}

std::size_t StackPool::pooled() const noexcept {
  std::size_t n = default_bucket_.free_guarded.size() + default_bucket_.free_plain.size();
  for (const Bucket& b : other_buckets_) n += b.free_guarded.size() + b.free_plain.size();
  return n;
}

StackPool::Bucket& StackPool::bucket(std::size_t size) {
  if (size == default_size_) return default_bucket_;
  for (Bucket& b : other_buckets_) {
    if (b.size == size) return b;
  }
  Bucket& b = other_buckets_.emplace_back();
  b.size = size;
  return b;
}

Stack StackPool::map_guarded(std::size_t size) {
  const std::size_t page = page_size();
  mappings_.reserve(mappings_.size() + 1);  // so that recording it cannot throw
  void* p = ::mmap(nullptr, size + page, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  char* addr = static_cast<char*>(p);
  if (::mprotect(addr, page, PROT_NONE) != 0) {
    ::munmap(addr, size + page);
    guard_budget_ = guarded_;  // the kernel refused another map: stop guarding
    throw std::bad_alloc();
  }
  mappings_.push_back(Mapping{addr, size + page});
  ++guarded_;
  Stack s{addr + page, size, true, 0};
  register_stack(s);
  return s;
}

Stack StackPool::carve_plain(Bucket& b) {
  if (b.slab_left == 0) {
    std::size_t count = kSlabBytes / b.size;
    if (count == 0) count = 1;
    const std::size_t len = count * b.size;
    mappings_.reserve(mappings_.size() + 1);
    void* p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    mappings_.push_back(Mapping{static_cast<char*>(p), len});
    b.slab_next = static_cast<char*>(p);
    b.slab_left = count;
  }
  Stack s{b.slab_next, b.size, false, 0};
  b.slab_next += b.size;
  --b.slab_left;
  register_stack(s);
  return s;
}

Stack StackPool::acquire(std::size_t size) {
  size = size == 0 ? default_size_ : round_up(size, page_size());
  Bucket& b = bucket(size);
  Stack s;
  if (!b.free_guarded.empty()) {
    s = b.free_guarded.back();
    b.free_guarded.pop_back();
  } else if (!b.free_plain.empty()) {
    s = b.free_plain.back();
    b.free_plain.pop_back();
  } else {
    // Keep room in the free list for every stack ever made, so release() never allocates.
    auto make_room = [](std::vector<Stack>& list, std::size_t made) {
      if (list.capacity() < made + 1) list.reserve(std::max<std::size_t>(16, 2 * (made + 1)));
    };
    bool guard = guarded_ < guard_budget_;
    if (guard) {
      make_room(b.free_guarded, b.made_guarded);
      try {
        s = map_guarded(size);
        ++b.made_guarded;
      } catch (const std::bad_alloc&) {
        guard = false;
      }
    }
    if (!guard) {
      make_room(b.free_plain, b.made_plain);
      s = carve_plain(b);
      ++b.made_plain;
    }
  }
  ++live_;
  return s;
}

void StackPool::pool(Bucket& b, const Stack& s) noexcept {
  std::vector<Stack>& list = s.guarded ? b.free_guarded : b.free_plain;
  if (list.size() >= kKeepCommitted) ::madvise(s.base, s.size, MADV_DONTNEED);
  list.push_back(s);  // capacity was reserved when the stack was first made
}

void StackPool::release(const Stack& s) noexcept {
  --live_;
  if (s.size == default_size_) {
    pool(default_bucket_, s);
    return;
  }
  for (Bucket& b : other_buckets_) {
    if (b.size == s.size) {
      pool(b, s);
      return;
    }
  }
}

}  // namespace weft::detail
