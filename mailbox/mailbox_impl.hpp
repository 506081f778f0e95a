#pragma once
// Template bodies of mailbox.hpp, which includes this file at its end: not a
// header of its own (include mailbox.hpp). They wrap the message in an
// envelope and hand it to the non-template core in mailbox.cpp.

#include <exception>
#include <optional>
#include <typeinfo>

namespace weft {

namespace detail {

// Takes ownership of `e` in every case (a message not sent is destroyed).
SendResult send_envelope(const Tasklet& t, Envelope* e, Timeout timeout, bool may_wait);
// Takes ownership of `e`; returns once `slot` holds the reply (throws otherwise).
void call_envelope(const Tasklet& t, Envelope* e, CallSlot& slot, Timeout timeout);
// The error a call<R> gets for a reply of another type.
std::exception_ptr reply_type_error(const std::type_info& wanted,
                                    const std::type_info& got) noexcept;
// The error a call<R> (R move-only) gets for a reply passed as an lvalue.
std::exception_ptr reply_copy_error(const std::type_info& wanted) noexcept;
// A receiver's wait between messages, without a stack: true when the calling
// tasklet now rests (its body must return at once; it runs again from the
// start when a message comes), false when a message is already there.
// Throws TaskletExit when a kill is pending.
bool rest_for_message();

// The envelope of what is sent: a new one, or a forwarded Message's own.
template <class M>
Envelope* envelope_for(M&& msg) {
  if constexpr (std::is_same_v<std::remove_cvref_t<M>, Message>) {
    static_assert(std::is_rvalue_reference_v<M&&> && !std::is_const_v<std::remove_reference_t<M>>,
                  "weft: forward a received Message with std::move(message)");
    Envelope* e = MessageAccess::release(msg);
    if (e == nullptr) throw std::logic_error("weft: cannot send an empty Message");
    return e;
  } else {
    return make_envelope(std::forward<M>(msg));
  }
}

struct NoReply {};

// A call<R>'s waiting slot, with room for the reply.
template <class R>
struct ReplySlot : CallSlot {
  ReplySlot() noexcept { accept = &take; }

  static void take(CallSlot& s, const std::type_info& type, void* value, bool rvalue) noexcept {
    if constexpr (std::is_void_v<R>) {
      (void)s, (void)type, (void)value, (void)rvalue;  // any answer ends a call<void>
    } else {
      auto& self = static_cast<ReplySlot&>(s);
      if (type != typeid(R)) {
        s.error = reply_type_error(typeid(R), type);
        return;
      }
      try {
        if (rvalue) {
          self.value.emplace(std::move(*static_cast<R*>(value)));
        } else if constexpr (std::is_copy_constructible_v<R>) {
          self.value.emplace(*static_cast<const R*>(value));
        } else {
          s.error = reply_copy_error(typeid(R));
        }
      } catch (...) {
        s.error = std::current_exception();
      }
    }
  }

  R result() {
    if constexpr (!std::is_void_v<R>) return std::move(*value);
  }

  std::conditional_t<std::is_void_v<R>, NoReply, std::optional<R>> value;
};

}  // namespace detail

template <class M>
SendResult send(const Tasklet& t, M&& msg, Timeout timeout) {
  return detail::send_envelope(t, detail::envelope_for(std::forward<M>(msg)), timeout, true);
}

template <class M>
SendResult try_send(const Tasklet& t, M&& msg) {
  return detail::send_envelope(t, detail::envelope_for(std::forward<M>(msg)), weft::current,
                               false);
}

template <class R_, class M>
detail::call_result_t<R_, M> call(const Tasklet& t, M&& msg, Timeout timeout) {
  using R = detail::call_result_t<R_, M>;
  static_assert(!std::is_reference_v<R>, "weft: call<R> returns a value; R cannot be a reference");
  static_assert(!std::is_same_v<std::remove_cvref_t<M>, Message>,
                "weft: call() sends a new value; forward a received Message with send()");
  detail::ReplySlot<R> slot;
  detail::call_envelope(t, detail::make_envelope(std::forward<M>(msg)), slot, timeout);
  return slot.result();
}

template <class F>
Tasklet receiver(F&& f, SpawnOptions options) {
  using Fn = std::decay_t<F>;
  return detail::spawn_with_type(
      [fn = Fn(std::forward<F>(f))]() mutable {
        // Between messages no frame of f is on the stack: the tasklet rests
        // (its stack goes back to the pool) and this body starts again when
        // a message comes. A handler that parks keeps the stack until it
        // returns.
        for (;;) {
          Message m = try_receive();
          if (!m) {
            if (detail::rest_for_message()) return;
            continue;
          }
          try {
            if constexpr (std::is_invocable_v<Fn&, Message&>) {
              fn(m);
            } else {
              fn(std::move(m));
            }
          } catch (const TaskletExit&) {
            throw;
          } catch (...) {
            detail::log_helper_failure("receiver");
            if (m.wants_reply()) m.reply_error(std::current_exception());
          }
        }
      },
      &options, typeid(Fn));
}

}  // namespace weft
