#pragma once
// Template bodies of message.hpp, which includes this file at its end: not a
// header of its own (include message.hpp).

#include <type_traits>

namespace weft {

namespace detail {

// The mailbox module's access to a Message's envelope.
struct MessageAccess {
  static Message wrap(Envelope* e) noexcept { return Message(e); }
  static Envelope* release(Message& m) noexcept { return std::exchange(m.env_, nullptr); }
  static Envelope* peek(const Message& m) noexcept { return m.env_; }
};

// Stores a reply in the call's slot; throws std::logic_error when `e` cannot
// be answered (empty, sent rather than called, or already answered).
void deliver_reply(Envelope* e, const std::type_info& type, void* value, bool rvalue);
void deliver_error(Envelope* e, std::exception_ptr error);

// The one parameter of a message handler: `arg`, when `known` (a lambda or
// function object with one non-template operator() of one parameter, a
// function, or a function pointer).
template <class F, class = void>
struct handler_traits {
  static constexpr bool known = false;
};
template <class F>
struct handler_traits<F, std::void_t<decltype(&F::operator())>>
    : handler_traits<decltype(&F::operator())> {};
template <class R, class A>
struct handler_traits<R (*)(A)> {
  static constexpr bool known = true;
  using arg = A;
};
template <class R, class A>
struct handler_traits<R (*)(A) noexcept> : handler_traits<R (*)(A)> {};
template <class R, class A>
struct handler_traits<R(A)> : handler_traits<R (*)(A)> {};
template <class R, class A>
struct handler_traits<R(A) noexcept> : handler_traits<R (*)(A)> {};
template <class C, class R, class A>
struct handler_traits<R (C::*)(A)> : handler_traits<R (*)(A)> {};
template <class C, class R, class A>
struct handler_traits<R (C::*)(A) const> : handler_traits<R (*)(A)> {};
template <class C, class R, class A>
struct handler_traits<R (C::*)(A) noexcept> : handler_traits<R (*)(A)> {};
template <class C, class R, class A>
struct handler_traits<R (C::*)(A) const noexcept> : handler_traits<R (*)(A)> {};

}  // namespace detail

template <class T>
Message Message::of(T&& value) {
  static_assert(!std::is_same_v<std::decay_t<T>, Message>, "weft: Message::of(a Message)");
  return Message(detail::make_envelope(std::forward<T>(value)));
}

template <class T>
bool Message::is() const noexcept {
  // The payload's ops table is kMessageOps of its type: comparing addresses
  // settles the common case in one load. Copies of the table in other shared
  // objects differ in address, so a mismatch falls back to the type_info.
  if (env_ == nullptr) return false;
  const detail::MessageOps* ops = env_->ops;
  using U = std::remove_cvref_t<T>;
  if constexpr (std::is_object_v<U> && !std::is_array_v<U>) {  // a type a payload can have
    if (ops == &detail::kMessageOps<U>) return true;
  }
  return *ops->type == typeid(T);
}

template <class T>
T* Message::get_if() noexcept {
  return is<T>() ? env_->payload<T>() : nullptr;
}

template <class T>
const T* Message::get_if() const noexcept {
  return is<T>() ? env_->payload<T>() : nullptr;
}

template <class T>
T& Message::as() {
  if (!is<T>()) throw_not_a(typeid(T));
  return *env_->payload<T>();
}

template <class T>
const T& Message::as() const {
  if (!is<T>()) throw_not_a(typeid(T));
  return *env_->payload<T>();
}

template <class H>
bool Message::visit_one(H& handler) {
  using A = typename detail::handler_traits<std::remove_cvref_t<H>>::arg;
  using T = std::remove_cvref_t<A>;
  if constexpr (std::is_same_v<T, Message>) {
    static_assert(std::is_lvalue_reference_v<A>, "weft: a fallback handler takes Message&");
    handler(*this);
    return true;
  } else {
    T* p = get_if<T>();
    if (p == nullptr) return false;
    if constexpr (std::is_lvalue_reference_v<A>) {
      handler(*p);
    } else {
      handler(std::move(*p));
    }
    return true;
  }
}

template <class... Handlers>
bool Message::visit(Handlers&&... handlers) {
  constexpr bool known = (detail::handler_traits<std::remove_cvref_t<Handlers>>::known && ...);
  static_assert(known,
                "weft: Message::visit needs handlers of one parameter of a named type, such as "
                "[](Ping& p) { ... } or [](const Stop&) { ... }: a generic lambda "
                "([](auto& x) { ... }) cannot say which message type it matches. Name the type, "
                "or take weft::Message& to match any message");
  if constexpr (known) {
    return (visit_one(handlers) || ...);
  } else {
    return false;
  }
}

template <class V>
void Message::reply(V&& value) {
  using T = std::remove_cvref_t<V>;
  static_assert(!std::is_array_v<T>, "weft: reply with a std::string (or a pointer), not an array");
  constexpr bool movable = std::is_rvalue_reference_v<V&&> && !std::is_const_v<std::remove_reference_t<V>>;
  detail::deliver_reply(env_, typeid(T), const_cast<T*>(std::addressof(value)), movable);
}

template <class Req, class V>
  requires NamesReply<Req>
void Message::reply(V&& value) {
  using R = reply_t<Req>;
  static_assert(!std::is_void_v<R>,
                "weft: this request type's reply type is void: answer it with reply<Req>()");
  static_assert(std::is_convertible_v<V&&, R>,
                "weft: reply<Req>(value): the value must convert to Req::reply, the reply type "
                "the request type names (its caller's call() returns exactly that type)");
  if (!is<Req>()) throw_reply_not_a(typeid(Req));
  if constexpr (std::is_same_v<std::remove_cvref_t<V>, R>) {
    reply(std::forward<V>(value));
  } else {
    reply(R(std::forward<V>(value)));
  }
}

template <class Req>
  requires NamesReply<Req>
void Message::reply() {
  static_assert(std::is_void_v<reply_t<Req>>,
                "weft: reply<Req>() without a value answers a request whose reply type is void; "
                "pass the value: reply<Req>(value)");
  if (!is<Req>()) throw_reply_not_a(typeid(Req));
  reply();
}

}  // namespace weft
