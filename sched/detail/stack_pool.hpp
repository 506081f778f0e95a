#pragma once
// Tasklet stacks: mapped lazily (a tasklet gets its stack when it first runs),
// reused LIFO, returned to the kernel only when the loop ends (or, beyond a
// high-water mark of pooled stacks, their pages are dropped with MADV_DONTNEED).
//
// Why a guard page is not always there: one guarded stack costs two kernel
// memory maps, and vm.max_map_count (65530 by default) caps them per process.
// The first max_map_count/4 stacks get a PROT_NONE guard page below them; the
// rest are carved from large unguarded slabs and instead carry a canary: the
// 256 bytes right below each stack (the unused top of its neighbour's slot,
// whose page that neighbour already committed) must stay zero, checked at
// every switch away from the stack. Either way an overflow stops the process
// with a message naming the tasklet.

#include <cstddef>
#include <deque>
#include <vector>

namespace weft::detail {

struct Stack {
  char* base = nullptr;    // lowest address of the stack's slot
  std::size_t size = 0;    // bytes of the slot (a page multiple)
  char* canary = nullptr;  // unguarded: the kCanaryBytes below `base`; nullptr when guarded
  bool guarded = false;    // a PROT_NONE page lies right below `base`
  unsigned valgrind_id = 0;
  // Usable bytes: an unguarded slot gives its top kCanaryBytes to the canary
  // of the slot above it, so that reading a canary never touches a fresh page.
  std::size_t usable() const noexcept;
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
  // Back to the pool (no system call; see trim()).
  void release(const Stack& s) noexcept;
  // Gives the pages of pooled stacks beyond a high-water mark back to the
  // kernel, at most `max_stacks` of them. Returns true when more remain.
  bool trim(std::size_t max_stacks) noexcept;

  std::size_t default_size() const noexcept { return default_size_; }
  std::size_t live() const noexcept { return live_; }
  std::size_t pooled() const noexcept;
  std::size_t guarded() const noexcept { return guarded_; }
  std::size_t guard_budget() const noexcept { return guard_budget_; }
  // Lowers the guard budget (tests use it to exercise canary stacks).
  void set_guard_budget(std::size_t n) noexcept { guard_budget_ = n; }

  static std::size_t page_size() noexcept;
  // The built-in default reserve for this build (64 KiB, or 256 KiB under ASan).
  static std::size_t builtin_default_size() noexcept;

 private:
  struct Bucket {
    std::size_t size = 0;
    std::vector<Stack> free_guarded;
    std::vector<Stack> free_plain;
    std::size_t trimmed_guarded = 0;  // free_*[0, trimmed_*) have no committed pages
    std::size_t trimmed_plain = 0;
    std::size_t made_guarded = 0;  // stacks of this size ever made, per kind:
    std::size_t made_plain = 0;    // the free lists keep capacity for all of them
    char* slab_next = nullptr;  // carving position in the current unguarded slab
    std::size_t slab_left = 0;  // stacks left in it
  };
  struct Mapping {
    char* addr;
    std::size_t len;
  };

  Bucket& bucket(std::size_t size);
  void reserve_mapping();
  Stack map_guarded(std::size_t size);
  Stack carve_plain(Bucket& b);
  void pool(Bucket& b, const Stack& s) noexcept;
  static Stack take(std::vector<Stack>& list, std::size_t& trimmed) noexcept;
  static bool trim_list(std::vector<Stack>& list, std::size_t& trimmed, std::size_t& budget) noexcept;

  std::size_t default_size_;
  std::size_t guard_budget_;
  std::size_t guarded_ = 0;
  std::size_t live_ = 0;
  Bucket default_bucket_;
  std::deque<Bucket> other_buckets_;  // stable addresses
  std::vector<Mapping> mappings_;
};

}  // namespace weft::detail
