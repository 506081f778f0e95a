#pragma once
// Message: what receive() returns. Messages are plain C++ values of any
// movable type; a Message holds one and is matched by its type:
//
//   weft::Message m = weft::receive();
//   if (auto* p = m.get_if<Ping>()) ...          // or m.is<Ping>() / m.as<Ping>()
//   m.visit([](Ping& p) { ... }, [](const Stop&) { ... });
//   if (m.is_call()) m.reply(42);                 // answers a weft::call()
//
// A Message is a move-only handle (one pointer): moving it never copies the
// payload. Destroying an unanswered call's message wakes its caller with a
// CallError, so a call never waits for a reply that can no longer come.
// Loop-thread only.

#include "weft/sched/config.hpp"

#include <cstddef>
#include <exception>
#include <memory>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "weft/mailbox/detail/envelope.hpp"

namespace weft {

// A request type that names the type of its reply:
//
//   struct Stats { using reply = int; };
//   int n = weft::call(t, Stats{});          // R deduced: Stats::reply
//   m.reply<Stats>(42);                      // checked at compile time
//
// call() then returns that type without being told, call<R> with another R
// does not compile, and Message::reply<Req>(v) converts v to it (or does not
// compile). The dynamic forms (call<R>, reply(v)) stay for other types.
template <class M>
concept NamesReply = requires { typename std::remove_cvref_t<M>::reply; };
template <class M>
  requires NamesReply<M>
using reply_t = typename std::remove_cvref_t<M>::reply;

class Message {
 public:
  // An empty message (what try_receive() returns when there is none).
  Message() noexcept = default;
  // Moves the handle (the payload stays where it is); `o` becomes empty.
  Message(Message&& o) noexcept : env_(std::exchange(o.env_, nullptr)) {}
  // Drops this message's payload (see ~Message) and takes over o's.
  Message& operator=(Message&& o) noexcept;
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;
  // Destroys the payload; an unanswered call's caller gets a CallError.
  ~Message();

  // A message holding `value` (std::decay_t<T>), not sent anywhere: for
  // forwarding with send(t, std::move(m)) or for testing handlers.
  template <class T>
  static Message of(T&& value);

  // False for an empty message.
  explicit operator bool() const noexcept { return env_ != nullptr; }
  // The payload's type (typeid(void) when empty).
  const std::type_info& type() const noexcept;
  // The payload's type, demangled, for messages ("Ping", "std::string").
  std::string type_name() const;

  // True when the payload is a T (exactly; no conversions).
  template <class T>
  bool is() const noexcept;
  // The payload as a T. Throws std::logic_error naming both types when it is
  // not a T, or when the message is empty.
  template <class T>
  T& as();
  template <class T>
  const T& as() const;
  // The payload as a T, or nullptr when it is not one (or the message is empty).
  template <class T>
  T* get_if() noexcept;
  template <class T>
  const T* get_if() const noexcept;

  // Calls the first handler whose one parameter matches the payload's type
  // (`T&`, `const T&`, `T&&` or `T`; the last two move the payload out), and
  // returns true; returns false when none matches. A handler taking
  // `Message&` matches any message (a fallback, put it last). Each handler
  // must be a non-generic lambda, function object, function or function
  // pointer of one parameter: a generic lambda (`[](auto& x)`) cannot say
  // which type it matches, and stops the build with a static_assert saying so.
  template <class... Handlers>
  bool visit(Handlers&&... handlers);

  // True when the message came through call(): its sender waits for reply().
  bool is_call() const noexcept;
  // True when it is a call that is not answered yet and whose caller still
  // waits (false once the caller timed out, was killed, or got its reply; for
  // a caller in another process, remote/, once the timeout it sent has passed).
  bool wants_reply() const noexcept;

  // Answers a call: its caller's call<R>() returns `value` (R must be exactly
  // std::decay_t<V>, else the caller gets a std::logic_error naming both).
  // Never blocks; a reply to a caller that gave up is dropped. Throws
  // std::logic_error when the message was sent (not called), when it was
  // already answered, or when it is empty.
  template <class V>
  void reply(V&& value);
  // Answers a call<void>() (throws as above).
  void reply();
  // Answers a call whose request type Req names its reply type (NamesReply):
  // `value` is converted to Req::reply here, so a value of a wrong type does
  // not compile and the caller's call(t, Req{...}) gets exactly Req::reply.
  // Throws std::logic_error when the payload is not a Req, and as reply().
  template <class Req, class V>
    requires NamesReply<Req>
  void reply(V&& value);
  // The same for a Req whose reply type is void.
  template <class Req>
    requires NamesReply<Req>
  void reply();
  // Answers a call with an exception: the caller's call() throws `error`.
  // Throws as reply(). Precondition: error is not null.
  void reply_error(std::exception_ptr error);

 private:
  friend struct detail::MessageAccess;
  explicit Message(detail::Envelope* e) noexcept : env_(e) {}
  [[noreturn]] void throw_not_a(const std::type_info& wanted) const;
  [[noreturn]] void throw_reply_not_a(const std::type_info& request) const;
  template <class H>
  bool visit_one(H& handler);

  detail::Envelope* env_ = nullptr;  // owned
};

}  // namespace weft

#include "weft/mailbox/message_impl.hpp"
