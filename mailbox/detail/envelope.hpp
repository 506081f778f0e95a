#pragma once
// The node a message travels in: a small header and the payload, in one block.
//
// Why a node and not a value: a Message is a pointer-sized handle, so moving
// messages through queues, batches and threads never copies the payload, and a
// call's reply slot (on the caller's stack) and the message can point at each
// other, each clearing the other's pointer when it goes away first. Blocks of
// the common size come from a per-loop free list (see envelope.cpp).
//
// Loop-thread only, except make_envelope/free_envelope, which any thread may
// call (a thread-safe send builds its envelope on the sending thread).

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <new>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace weft {
class Message;
}

namespace weft::detail {

struct Fiber;
struct MessageAccess;  // mailbox/message_impl.hpp

// What an envelope knows about its payload's type.
struct MessageOps {
  const std::type_info* type;
  void (*destroy)(void* payload) noexcept;  // nullptr: trivially destructible
};

template <class T>
void destroy_payload(void* p) noexcept {
  static_cast<T*>(p)->~T();
}

template <class T>
inline constexpr MessageOps kMessageOps{
    &typeid(T), std::is_trivially_destructible_v<T> ? nullptr : &destroy_payload<T>};

// The waiting side of a call(), on the caller's stack. The envelope points at
// it while the caller waits; either side clears the other's pointer when it
// goes first, so a late reply finds no slot and is dropped.
struct CallSlot {
  // Stores a reply of type `type` read from `value` (moved when `rvalue`); a
  // type the caller did not ask for becomes an error for the caller.
  using Accept = void (*)(CallSlot& slot, const std::type_info& type, void* value,
                          bool rvalue) noexcept;

  Fiber* caller = nullptr;
  struct Envelope* env = nullptr;  // the call's message while it is unanswered
  Accept accept = nullptr;
  // A call from another loop (Address::call): called, instead of waking
  // `caller`, once the slot is settled (on the callee's side); and the flag
  // the caller sets when it gives up (it cannot clear `env` from its thread).
  void (*notify)(void* ctx) noexcept = nullptr;
  void* notify_ctx = nullptr;
  const std::atomic<bool>* gave_up = nullptr;
  // When the caller stops waiting, steady clock ns (INT64_MAX: when it
  // says so through gave_up): a caller in another process (remote/) cannot
  // set a flag here, but it sends how long it waits.
  std::int64_t gives_up_at = INT64_MAX;
  // The caller has stopped waiting: it said so (gave_up) or gives_up_at has passed.
  bool caller_gone() const noexcept {
    if (gave_up != nullptr && gave_up->load(std::memory_order_relaxed)) return true;
    return gives_up_at != INT64_MAX &&
           std::chrono::steady_clock::now().time_since_epoch() >= std::chrono::nanoseconds(gives_up_at);
  }
  std::exception_ptr error;        // replied with an error, or the call was dropped
  bool done = false;               // a reply (or an error) is in
  bool dropped = false;            // the message was destroyed unanswered
};

struct Envelope {
  std::atomic<Envelope*> next{nullptr};  // mailbox queue / remote inbox link
  const MessageOps* ops = nullptr;
  CallSlot* call = nullptr;              // the waiting caller, while it waits
  std::uint32_t block = 0;               // size of the block, header included
  std::uint16_t align = alignof(std::max_align_t);  // the payload's alignment
  bool is_call = false;                  // made by call(): expects a reply
  bool replied = false;

  // Where a payload of alignment `align` starts, from the block's start.
  static constexpr std::size_t payload_offset(std::size_t align) noexcept {
    std::size_t a = align < alignof(std::max_align_t) ? alignof(std::max_align_t) : align;
    return (sizeof(Envelope) + a - 1) / a * a;
  }
  template <class T>
  T* payload() noexcept {
    return std::launder(reinterpret_cast<T*>(reinterpret_cast<char*>(this) +
                                             payload_offset(alignof(T))));
  }
  void* payload_raw() noexcept { return reinterpret_cast<char*>(this) + payload_offset(align); }
};

// The block size every loop keeps a free list of.
inline constexpr std::size_t kEnvelopeBlock = 128;

// A block of `size` bytes (a pooled one when size <= kEnvelopeBlock) aligned to
// `align`. Throws std::bad_alloc.
void* allocate_block(std::size_t size, std::size_t align);
// Returns a block from allocate_block (to the current loop's pool when it fits).
void release_block(void* block, std::uint32_t size, std::size_t align) noexcept;

// Destroys the payload, settles a pending call (its caller gets a "dropped"
// error and is woken) and frees the block.
void free_envelope(Envelope* e) noexcept;

// Builds an envelope holding std::decay_t<M> made from `m`.
template <class M>
Envelope* make_envelope(M&& m) {
  using T = std::decay_t<M>;
  static_assert(std::is_constructible_v<T, M&&>, "weft: a message must be constructible from what is sent");
  static_assert(!std::is_same_v<T, Message>, "weft: internal: a Message is forwarded, not wrapped");
  constexpr std::size_t offset = Envelope::payload_offset(alignof(T));
  constexpr std::size_t size = offset + sizeof(T);
  void* block = allocate_block(size, alignof(T));
  auto* e = new (block) Envelope;
  e->ops = &kMessageOps<T>;
  e->block = static_cast<std::uint32_t>(size);
  e->align = static_cast<std::uint16_t>(alignof(T));
  try {
    new (static_cast<char*>(block) + offset) T(std::forward<M>(m));
  } catch (...) {
    e->~Envelope();
    release_block(block, static_cast<std::uint32_t>(size), alignof(T));
    throw;
  }
  return e;
}

}  // namespace weft::detail
