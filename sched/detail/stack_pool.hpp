#pragma once
// Tasklet stacks: mapped lazily (a tasklet gets its stack when it first runs),
// reused LIFO, returned to the kernel only when the loop ends (or, beyond a
// high-water mark of pooled stacks, their pages are dropped with MADV_DONTNEED).
//
// Every stack has a guard below it where the kernel allows one, in this order:
//  - guard regions (Linux 6.13+, MADV_GUARD_INSTALL): stacks are carved from
//    large slabs, each slot a gap of kGapBytes and the stack above it, and the
//    gap is made a guard region that faults on access. A guard region lives in
//    the page tables, not in a memory map of its own, so it costs nothing
//    against vm.max_map_count and every stack gets one.
//  - guard pages: one guarded stack costs two kernel memory maps (its own and
//    the PROT_NONE page below it), and vm.max_map_count (65530 by default)
//    caps them per process. The first max_map_count/4 stacks of the process
//    (all loops together) get one.
//  - the rest are carved from slabs laid out as for guard regions, but the
//    gap below each stack is plain memory that nothing uses: a frame that
//    overflows by up to kGapBytes writes there and corrupts no other stack.
//    The stack pointer is checked against the stack's bottom at every switch
//    away from it, and the kCanaryBytes of the gap right below the stack (its
//    canary, read-only, so the kernel's shared zero page) must still be zero
//    when its tasklet ends.
// Whichever it is, an overflow stops the process with a message naming the
// tasklet (sched/detail/overflow.hpp, Loop::check_stack).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "weft/sched/detail/context.hpp"  // WEFT_ASAN

namespace weft::detail {

struct Stack {
  char* base = nullptr;    // lowest address of the stack's slot
  std::size_t size = 0;    // bytes of the slot (a page multiple)
  char* canary = nullptr;  // unguarded: the kCanaryBytes below `base`; nullptr when guarded
  bool guarded = false;    // a guard page or a guard region lies right below `base`
  bool guard_map = false;  // the guard is a PROT_NONE page of its own (two maps)
  std::uint8_t colour = 0;  // 0..kColours-1: see coloured_size()
  unsigned valgrind_id = 0;
  // Usable bytes (all of the slot).
  std::size_t usable() const noexcept;
  // The bytes from `base` up to where the first frame starts: the slot less
  // `colour` cache lines (0..1,984 bytes); the pool gives the stacks it makes
  // the colours in turn. Without them every stack's top frames sit at the
  // same offset in their pages, so the stacks of a thousand tasklets that
  // take turns compete for the few cache sets that offset maps to, and a
  // switch's loads alias the last stack's stores 4 KiB apart (docs/sched.md,
  // "Stack colours"). Slots under kColourMinSize are not coloured.
  std::size_t coloured_size() const noexcept {
    return size < kColourMinSize ? size : size - std::size_t{colour} * 64;
  }
  static constexpr unsigned kColours = 32;
  static constexpr std::size_t kColourMinSize = std::size_t{32} << 10;
};

class StackPool {
 public:
  // default_size 0 picks the default (64 KiB; 256 KiB under ASan).
  explicit StackPool(std::size_t default_size = 0);
  // Unmaps everything, unless stacks are still in use: then it leaks the
  // mappings rather than pull memory from under a parked tasklet.
  ~StackPool();
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  // A stack of a slot of at least `size` bytes (0: the default). Throws std::bad_alloc.
  Stack acquire(std::size_t size = 0);
  // acquire(size)'s fast path, inline: the hot stack (see hot_) into `out`
  // when it fits; false (nothing done) otherwise.
  bool take_hot(std::size_t size, Stack& out) noexcept {
    if ((size != 0 && size != default_size_) || hot_.base == nullptr) return false;
    ++live_;
    out = hot_;
    hot_.base = nullptr;
    return true;
  }
  // Back to the pool (no system call; see trim()). A guarded default-size
  // stack becomes the hot one when that is free (inline: a finished
  // tasklet's stack usually goes there).
  // Without a sanitizer (nothing to forget) that path makes no call, so a
  // finished tasklet's reaping needs no frame of its own.
  void release(const Stack& s) noexcept {
    --live_;
    if (__builtin_expect(s.size == default_size_ && s.guarded && hot_.base == nullptr &&
                             !annotated_switches(), 1)) {
      hot_ = s;
      return;
    }
    release_slow(s);
  }
  // Gives the pages of pooled stacks beyond a high-water mark back to the
  // kernel, at most `max_stacks` of them. Returns true when more remain.
  bool trim(std::size_t max_stacks) noexcept;

  std::size_t default_size() const noexcept { return default_size_; }
  std::size_t live() const noexcept { return live_; }
  std::size_t pooled() const noexcept;
  // Stacks with a guard below them (a guard page or a guard region).
  std::size_t guarded() const noexcept { return guard_maps_ + guard_regions_made_; }
  // Stacks of this pool with a guard page of their own (two maps each).
  std::size_t guard_maps() const noexcept { return guard_maps_; }
  // Guard pages the process may hold (all pools together); see guard_maps_in_use().
  std::size_t guard_budget() const noexcept { return guard_budget_; }
  // Lowers the guard budget (tests use it to exercise canary stacks).
  void set_guard_budget(std::size_t n) noexcept { guard_budget_ = n; }
  // Whether new stacks get guard regions (MADV_GUARD_INSTALL): on when the
  // kernel has them. Tests turn it off to exercise the fallbacks.
  bool guard_regions() const noexcept { return guard_regions_; }
  void set_guard_regions(bool on) noexcept { guard_regions_ = on && guard_regions_supported(); }

  static std::size_t page_size() noexcept;
  // The built-in default reserve for this build (64 KiB, or 256 KiB under ASan).
  static std::size_t builtin_default_size() noexcept;
  // True when the running kernel installs guard regions (probed once).
  static bool guard_regions_supported() noexcept;
  // Guard pages held by all pools of the process.
  static std::size_t guard_maps_in_use() noexcept;
  // Bytes below each stack carved from a slab: its guard region, or the gap
  // that takes an overflow of a stack without a guard. Under ASan 32 KiB, and
  // slabs 32 KiB-aligned: a slot's shadow is then whole pages (see trim()).
#ifdef WEFT_ASAN
  static constexpr std::size_t kGapBytes = std::size_t{32} << 10;
#else
  static constexpr std::size_t kGapBytes = std::size_t{16} << 10;
#endif

 private:
  struct Slab {
    char* next = nullptr;  // carving position
    std::size_t left = 0;  // slots left
  };
  struct Bucket {
    std::size_t size = 0;
    std::vector<Stack> free_guarded;
    std::vector<Stack> free_plain;
    std::size_t trimmed_guarded = 0;  // free_*[0, trimmed_*) have no committed pages
    std::size_t trimmed_plain = 0;
    std::size_t made_guarded = 0;  // stacks of this size ever made, per kind:
    std::size_t made_plain = 0;    // the free lists keep capacity for all of them
    Slab slab;                     // slab being carved
  };
  struct Mapping {
    char* addr;
    std::size_t len;
  };

  // release() of a stack that does not become the hot one.
  void pool_released(const Stack& s) noexcept;
  // release() under a sanitizer, or into the pool.
  [[gnu::noinline]] void release_slow(const Stack& s) noexcept;
  Bucket& bucket(std::size_t size);
  void reserve_mapping();
  char* map_slab(std::size_t len);
  Stack map_guarded(std::size_t size);
  std::uint8_t next_colour() noexcept {
    return static_cast<std::uint8_t>(stacks_made_++ % Stack::kColours);
  }
  // The next slot of b's slab, its gap a guard region or (region false) a canary.
  Stack carve(Bucket& b, bool region);
  void pool(Bucket& b, const Stack& s) noexcept;
  static Stack take(std::vector<Stack>& list, std::size_t& trimmed) noexcept;
  static bool trim_list(std::vector<Stack>& list, std::size_t& trimmed, std::size_t& budget) noexcept;

  std::size_t default_size_;
  std::size_t guard_budget_;
  bool guard_regions_;
  std::size_t guard_maps_ = 0;
  std::size_t guard_regions_made_ = 0;
  std::size_t live_ = 0;
  unsigned stacks_made_ = 0;  // the next stack's colour: stacks_made_ % Stack::kColours
  // The last guarded default-size stack released, if any: the next acquire of
  // the default size takes it first. A tasklet that ends and one that starts
  // next (a join, a burst of short tasklets) then hand one hot stack on
  // without the free list's bookkeeping.
  Stack hot_{};
  Bucket default_bucket_;
  std::deque<Bucket> other_buckets_;  // stable addresses
  std::vector<Mapping> mappings_;
};

}  // namespace weft::detail
