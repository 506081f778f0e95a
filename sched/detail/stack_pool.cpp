#include "sched/detail/stack_pool.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <new>

#include "sched/detail/fiber.hpp"
#include "sched/detail/context.hpp"

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
  s.valgrind_id = VALGRIND_STACK_REGISTER(s.base, s.base + s.usable());
#else
  (void)s;
#endif
}

}  // namespace

std::size_t Stack::usable() const noexcept { return guarded ? size : size - kCanaryBytes; }

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

void StackPool::reserve_mapping() {
  if (mappings_.size() == mappings_.capacity()) {
    mappings_.reserve(std::max<std::size_t>(64, 2 * mappings_.capacity()));
  }
}

Stack StackPool::map_guarded(std::size_t size) {
  const std::size_t page = page_size();
  reserve_mapping();  // so that recording the mapping cannot throw
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
  Stack s{addr + page, size, nullptr, true, 0};
  register_stack(s);
  return s;
}

Stack StackPool::carve_plain(Bucket& b) {
  if (b.slab_left == 0) {
    std::size_t count = kSlabBytes / b.size;
    if (count == 0) count = 1;
    // One leading page holds the canary of the slab's first stack.
    const std::size_t len = page_size() + count * b.size;
    reserve_mapping();
    void* p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    mappings_.push_back(Mapping{static_cast<char*>(p), len});
    b.slab_next = static_cast<char*>(p) + page_size();
    b.slab_left = count;
  }
  Stack s{b.slab_next, b.size, b.slab_next - kCanaryBytes, false, 0};
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
    s = take(b.free_guarded, b.trimmed_guarded);
  } else if (!b.free_plain.empty()) {
    s = take(b.free_plain, b.trimmed_plain);
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

Stack StackPool::take(std::vector<Stack>& list, std::size_t& trimmed) noexcept {
  Stack s = list.back();
  list.pop_back();
  if (trimmed > list.size()) trimmed = list.size();
  return s;
}

void StackPool::pool(Bucket& b, const Stack& s) noexcept {
  std::vector<Stack>& list = s.guarded ? b.free_guarded : b.free_plain;
  list.push_back(s);  // capacity was reserved when the stack was first made
}

bool StackPool::trim_list(std::vector<Stack>& list, std::size_t& trimmed,
                          std::size_t& budget) noexcept {
  // The oldest pooled stacks (the bottom of the LIFO) go first; the hot ones
  // at the top stay committed.
  while (list.size() - trimmed > kKeepCommitted) {
    if (budget == 0) return true;
    const Stack& s = list[trimmed++];
    // An unguarded slot's top kCanaryBytes belong to the canary of the slot
    // above: leave that page alone (it stays zero, and may be in use).
    ::madvise(s.base, s.guarded ? s.size : s.size - page_size(), MADV_DONTNEED);
    --budget;
  }
  return false;
}

bool StackPool::trim(std::size_t max_stacks) noexcept {
  bool more = trim_list(default_bucket_.free_guarded, default_bucket_.trimmed_guarded, max_stacks);
  more |= trim_list(default_bucket_.free_plain, default_bucket_.trimmed_plain, max_stacks);
  for (Bucket& b : other_buckets_) {
    more |= trim_list(b.free_guarded, b.trimmed_guarded, max_stacks);
    more |= trim_list(b.free_plain, b.trimmed_plain, max_stacks);
  }
  return more;
}

void StackPool::release(const Stack& s) noexcept {
  --live_;
  forget_stack(s.base, s.usable());
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
