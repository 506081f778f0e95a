#include "sched/detail/stack_pool.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <new>
#include <utility>

#include "sched/detail/fiber.hpp"
#include "sched/detail/context.hpp"

#ifdef WEFT_ASAN
#include <sanitizer/asan_interface.h>
#endif

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define WEFT_VALGRIND 1
#endif

// Linux 6.13's guard regions; Debian 12's headers predate them.
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

namespace weft::detail {

namespace {

// Pooled stacks per size beyond which released stacks give their pages back.
constexpr std::size_t kKeepCommitted = 1024;
// Bytes of slab stacks mapped at once.
constexpr std::size_t kSlabBytes = std::size_t{4} << 20;
static_assert(kCanaryBytes <= StackPool::kGapBytes, "a canary lies in the gap below its stack");

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

// Guard pages held by every pool of the process: the map budget is the process's.
std::atomic<std::size_t> g_guard_maps{0};

// Takes one guard page from the process's budget; false when it is spent.
bool take_guard_map(std::size_t budget) noexcept {
  std::size_t n = g_guard_maps.load(std::memory_order_relaxed);
  do {
    if (n >= budget) return false;
  } while (!g_guard_maps.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
  return true;
}

void register_stack(Stack& s) {
#ifdef WEFT_VALGRIND
  s.valgrind_id = VALGRIND_STACK_REGISTER(s.base, s.base + s.usable());
#else
  (void)s;
#endif
}

#ifdef WEFT_ASAN
// The whole pages of the shadow of [addr, addr + len).
struct ShadowPages {
  std::uintptr_t first = 0;
  std::uintptr_t last = 0;
  std::size_t scale = 0;
  std::size_t offset = 0;
};
ShadowPages shadow_pages(const char* addr, std::size_t len) noexcept {
  ShadowPages r;
  __asan_get_shadow_mapping(&r.scale, &r.offset);
  const std::size_t page = StackPool::page_size();
  const auto begin = reinterpret_cast<std::uintptr_t>(addr);
  r.first = ((begin >> r.scale) + r.offset + page - 1) / page * page;
  r.last = (((begin + len) >> r.scale) + r.offset) / page * page;
  if (r.last < r.first) r.last = r.first;
  return r;
}
#endif

// Under ASan, a new mapping is made addressable, dropping whole pages of its
// shadow rather than writing them: memory the process mapped before (an
// exited thread's stack) may have left poison there.
#ifdef WEFT_ASAN
void clear_shadow(char* addr, std::size_t len) noexcept {
  const ShadowPages s = shadow_pages(addr, len);
  if (s.first == s.last) {
    __asan_unpoison_memory_region(addr, len);
    return;
  }
  ::madvise(reinterpret_cast<void*>(s.first), s.last - s.first, MADV_DONTNEED);
  // The edges, whose shadow pages are shared with the neighbours: written.
  const std::uintptr_t begin = reinterpret_cast<std::uintptr_t>(addr);
  const std::uintptr_t inner_begin = (s.first - s.offset) << s.scale;
  const std::uintptr_t inner_end = (s.last - s.offset) << s.scale;
  __asan_unpoison_memory_region(addr, inner_begin - begin);
  __asan_unpoison_memory_region(reinterpret_cast<void*>(inner_end), begin + len - inner_end);
}
#endif

// Under ASan, gives back the whole pages of the shadow of [addr, addr + len),
// which the released stacks there wrote (unpoisoning them): they read as
// zero again, unpoisoned. The edges' pages, shared with neighbours, stay.
void drop_shadow(const char* addr, std::size_t len) noexcept {
#ifdef WEFT_ASAN
  const ShadowPages s = shadow_pages(addr, len);
  if (s.first < s.last) {
    ::madvise(reinterpret_cast<void*>(s.first), s.last - s.first, MADV_DONTNEED);
  }
#else
  (void)addr;
  (void)len;
#endif
}

// Gives back a trimmed stack's pages: [addr, addr + len) is its slot (the gap
// below it included). Under ASan its shadow's too, which unpoisoning the
// released stack wrote: the whole pages only (a slot's shadow is whole pages
// when its size is a multiple of 32 KiB); the gap's shadow is clean anyway.
void drop_pages(char* addr, std::size_t len) noexcept {
  ::madvise(addr, len, MADV_DONTNEED);
  drop_shadow(addr, len);
}

}  // namespace

std::size_t Stack::usable() const noexcept { return size; }

bool StackPool::guard_regions_supported() noexcept {
  // Older kernels answer EINVAL to an advice they do not know.
  static const bool supported = [] {
    const std::size_t page = page_size();
    void* p = ::mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return false;
    const bool ok = ::madvise(p, page, MADV_GUARD_INSTALL) == 0;
    ::munmap(p, page);
    return ok;
  }();
  return supported;
}

std::size_t StackPool::guard_maps_in_use() noexcept {
  return g_guard_maps.load(std::memory_order_relaxed);
}

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
      guard_budget_(read_max_map_count() / 4),
      guard_regions_(guard_regions_supported()) {
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
#ifdef WEFT_VALGRIND
  if (hot_.base != nullptr) VALGRIND_STACK_DEREGISTER(hot_.valgrind_id);
#endif
  for (const Mapping& m : mappings_) {
    ::munmap(m.addr, m.len);
    drop_shadow(m.addr, m.len);
  }
  g_guard_maps.fetch_sub(guard_maps_, std::memory_order_relaxed);
}

std::size_t StackPool::pooled() const noexcept {
  std::size_t n = default_bucket_.free_guarded.size() + default_bucket_.free_plain.size() +
                  (hot_.base != nullptr ? 1 : 0);
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

namespace {

// A new private anonymous mapping of len bytes. Under ASan, p + at is aligned
// to StackPool::kGapBytes (32 KiB, a page of shadow): map more, unmap the rest.
char* map_anonymous(std::size_t len, std::size_t at) noexcept {
#ifdef WEFT_ASAN
  const std::size_t align = StackPool::kGapBytes;
  void* raw = ::mmap(nullptr, len + align, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  char* start = static_cast<char*>(raw);
  char* p = reinterpret_cast<char*>(
      (reinterpret_cast<std::uintptr_t>(start + at) + align - 1) / align * align - at);
  if (p > start) ::munmap(start, static_cast<std::size_t>(p - start));
  if (p + len < start + len + align) {
    ::munmap(p + len, static_cast<std::size_t>(start + len + align - (p + len)));
  }
  clear_shadow(p + at, len - at);  // [p, p + at) is a guard page: never touched
  return p;
#else
  (void)at;
  void* p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? nullptr : static_cast<char*>(p);
#endif
}

}  // namespace

char* StackPool::map_slab(std::size_t len) {
  reserve_mapping();  // so that recording the mapping cannot throw
  char* p = map_anonymous(len, 0);
  if (p == nullptr) throw std::bad_alloc();
  mappings_.push_back(Mapping{p, len});
  return p;
}

// The caller has taken a guard page from the process's budget.
Stack StackPool::map_guarded(std::size_t size) {
  const std::size_t page = page_size();
  reserve_mapping();  // so that recording the mapping cannot throw
  char* addr = map_anonymous(size + page, page);
  if (addr == nullptr) throw std::bad_alloc();
  if (::mprotect(addr, page, PROT_NONE) != 0) {
    ::munmap(addr, size + page);
    // The kernel refused another map: stop guarding (the caller gives back the one it took).
    guard_budget_ = g_guard_maps.load(std::memory_order_relaxed) - 1;
    throw std::bad_alloc();
  }
  mappings_.push_back(Mapping{addr, size + page});
  ++guard_maps_;
  Stack s{addr + page, size, nullptr, true, true, next_colour(), 0};
  register_stack(s);
  return s;
}

Stack StackPool::carve(Bucket& b, bool region) {
  const std::size_t slot = kGapBytes + b.size;
  if (b.slab.left == 0) {
    std::size_t count = kSlabBytes / slot;
    if (count == 0) count = 1;
    b.slab.next = map_slab(count * slot);
    b.slab.left = count;
  }
  char* base = b.slab.next + kGapBytes;
  // A guard region is installed when its slot is first used: its page-table
  // entries cost memory only for stacks that exist.
  if (region && ::madvise(b.slab.next, kGapBytes, MADV_GUARD_INSTALL) != 0) {
    throw std::bad_alloc();  // ENOMEM: no memory for the page tables
  }
  Stack s{base, b.size, region ? nullptr : base - kCanaryBytes, region, false, next_colour(), 0};
  b.slab.next += slot;
  --b.slab.left;
  if (region) ++guard_regions_made_;
  register_stack(s);
  return s;
}

Stack StackPool::acquire(std::size_t size) {
  Stack hot;
  if (take_hot(size, hot)) return hot;
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
    if (guard_regions_) {
      make_room(b.free_guarded, b.made_guarded);
      s = carve(b, true);
      ++b.made_guarded;
    } else {
      bool guard = take_guard_map(guard_budget_);
      if (guard) {
        make_room(b.free_guarded, b.made_guarded);
        try {
          s = map_guarded(size);
          ++b.made_guarded;
        } catch (const std::bad_alloc&) {
          g_guard_maps.fetch_sub(1, std::memory_order_relaxed);
          guard = false;
        }
      }
      if (!guard) {
        make_room(b.free_plain, b.made_plain);
        s = carve(b, false);
        ++b.made_plain;
      }
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
    // The whole slot: the stack, the page a sleeper touched included, and
    // the gap below it. A guard region there survives MADV_DONTNEED; a
    // canary page was only ever read, but reading maps the zero page, which
    // some kernels count as resident (Linux 6.18 here: 100,000 canary stacks
    // stayed at ~4 KiB each after the trim when the gap was left out); it
    // reads zero again after. A stack from a slab: the gap below it is its
    // slot's (a guarded one's page below it is not, and holds nothing to drop).
    const std::size_t gap = s.guard_map ? 0 : kGapBytes;
    drop_pages(s.base - gap, s.size + gap);
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

void StackPool::release_slow(const Stack& s) noexcept {
  forget_stack(s.base, s.size);
  if (s.size == default_size_ && s.guarded && hot_.base == nullptr) {
    hot_ = s;
    return;
  }
  pool_released(s);
}

void StackPool::pool_released(const Stack& s) noexcept {
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
