// Envelope blocks and their per-loop free list.
//
// Why a free list: a message round trip allocates and frees one envelope, and
// on the ping-pong path that is a visible share of the time. Every block of
// the common size is a plain ::operator new(kEnvelopeBlock), so a block made
// on one thread (a thread-safe send) can be freed into another loop's list.
// The list hangs off the loop (ExtSlot::mailbox) and is capped, so a burst of
// cross-thread messages does not pin memory for ever.

#include <memory>
#include <new>
#include <vector>

#include "mailbox/detail/envelope.hpp"
#include "sched/extension.hpp"
#include "sched/park.hpp"

namespace weft::detail {

namespace {

constexpr std::size_t kPoolCap = 4096;

struct EnvelopePool;
// The running loop's pool (a thread runs one loop at a time), so that the hot
// path finds it with one thread-local load instead of a walk through the loop.
thread_local constinit EnvelopePool* tls_pool __attribute__((tls_model("initial-exec"))) = nullptr;

struct EnvelopePool final : LoopExtension {
  EnvelopePool() { free.reserve(kPoolCap); }
  ~EnvelopePool() override {
    if (tls_pool == this) tls_pool = nullptr;
    for (void* p : free) ::operator delete(p);
  }
  std::vector<void*> free;  // blocks of kEnvelopeBlock bytes
};

// Makes the current loop's pool (nullptr outside a loop, or when out of memory).
EnvelopePool* make_pool() noexcept {
  Loop* loop = current_loop();
  if (loop == nullptr) return nullptr;
  std::unique_ptr<LoopExtension>& slot = loop_slot(*loop, ExtSlot::mailbox);
  if (!slot) {
    try {
      slot = std::make_unique<EnvelopePool>();
    } catch (...) {
      return nullptr;
    }
  }
  tls_pool = static_cast<EnvelopePool*>(slot.get());
  return tls_pool;
}

constexpr bool over_aligned(std::size_t align) noexcept {
  return align > alignof(std::max_align_t);
}

}  // namespace

void* allocate_block(std::size_t size, std::size_t align) {
  if (over_aligned(align)) return ::operator new(size, std::align_val_t(align));
  if (size > kEnvelopeBlock) return ::operator new(size);
  EnvelopePool* pool = tls_pool;
  if (pool == nullptr) pool = make_pool();
  if (pool != nullptr && !pool->free.empty()) {
    void* p = pool->free.back();
    pool->free.pop_back();
    return p;
  }
  return ::operator new(kEnvelopeBlock);
}

void release_block(void* block, std::uint32_t size, std::size_t align) noexcept {
  if (over_aligned(align)) {
    ::operator delete(block, std::align_val_t(align));
    return;
  }
  if (size <= kEnvelopeBlock) {
    EnvelopePool* pool = tls_pool;
    if (pool != nullptr && pool->free.size() < kPoolCap) {
      pool->free.push_back(block);  // never reallocates: reserved to the cap
      return;
    }
  }
  ::operator delete(block);
}

void free_envelope(Envelope* e) noexcept {
  if (CallSlot* s = e->call) {
    // An unanswered call whose caller still waits: it will never be answered.
    e->call = nullptr;
    s->env = nullptr;
    s->dropped = true;
    s->done = true;
    if (s->notify != nullptr) {
      s->notify(s->notify_ctx);
    } else {
      unpark(*s->caller, Wake::ready, true);
    }
  }
  if (e->ops->destroy != nullptr) e->ops->destroy(e->payload_raw());
  const std::uint32_t size = e->block;
  const std::size_t align = e->align;
  e->~Envelope();
  release_block(e, size, align);
}

}  // namespace weft::detail
