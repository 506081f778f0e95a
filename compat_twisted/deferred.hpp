#pragma once
// Deferred: Twisted's promise of a result that is not there yet, with its
// chain of callbacks and errbacks (twisted.internet.defer.Deferred).
//
//   Deferred d;
//   d.addCallback([](int x) { return x * 2; })
//    .addErrback([](const Failure& f) { return -1; });
//   d.callback(21);                      // the chain runs now: result 42
//
// Results are dynamically typed (a Result: a value in a std::any, a Failure, or
// another Deferred to wait for). A callback may take the Result itself, a
// Failure (errbacks), a std::any, or any value type T: the value is then
// converted with a clear TypeMismatch failure when it is not a T. Extra
// arguments given to addCallback & co. are passed after the result.
//
// A Deferred is a reference-counted handle: copies share one Deferred, and
// operator== is identity. The chain keeps what it needs alive: a Deferred
// returned from a callback holds the outer one (not the other way round), and
// a callback is released as soon as it has run. Loop-thread only (no locking);
// it works outside dispatch() too, except where a function says it must run
// in a tasklet.

#include <cstddef>
#include <functional>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

#include "weft/compat_twisted/failure.hpp"
#include "weft/compat_twisted/result.hpp"

namespace weft::twisted {

class IReactorTime;

// Extra arguments for the callback of addCallbacks (Twisted's callbackArgs).
template <class... A>
struct CallbackArgs {
  std::tuple<A...> args;
};
// Extra arguments for the errback of addCallbacks (Twisted's errbackArgs).
template <class... A>
struct ErrbackArgs {
  std::tuple<A...> args;
};
// Bundles the callback's extra arguments: addCallbacks(cb, eb, callbackArgs(1, "x")).
template <class... A>
CallbackArgs<std::decay_t<A>...> callbackArgs(A&&... a) {
  return {std::tuple<std::decay_t<A>...>(std::forward<A>(a)...)};
}
// Bundles the errback's extra arguments.
template <class... A>
ErrbackArgs<std::decay_t<A>...> errbackArgs(A&&... a) {
  return {std::tuple<std::decay_t<A>...>(std::forward<A>(a)...)};
}

class Deferred {
 public:
  // Called by cancel() on an unfired Deferred; it may fire the Deferred.
  using Canceller = std::function<void(Deferred&)>;
  // addTimeout's converter: (result, timeout) -> new result.
  using OnTimeoutCancel = std::function<Result(Result, double)>;

  // A new, unfired Deferred without a canceller.
  Deferred();
  // A new, unfired Deferred; cancel() calls `canceller` (until it has fired).
  explicit Deferred(Canceller canceller);

  // ---- adding to the chain (each returns *this; on a fired, unpaused
  //      Deferred the chain runs at once, inside the call)

  // Adds f as a callback (errbacks pass through): f(result, args...).
  template <class F, class... A>
  Deferred& addCallback(F&& f, A&&... args);
  // Adds f as an errback (values pass through): f(failure, args...).
  template <class F, class... A>
  Deferred& addErrback(F&& f, A&&... args);
  // Adds f for both paths: f(result, args...).
  template <class F, class... A>
  Deferred& addBoth(F&& f, A&&... args);
  // Adds a (callback, errback) pair; either may be nullptr (pass-through).
  template <class CB, class EB>
  Deferred& addCallbacks(CB&& cb, EB&& eb);
  // The same with extra arguments for the callback and/or the errback.
  template <class CB, class EB, class... CA>
  Deferred& addCallbacks(CB&& cb, EB&& eb, CallbackArgs<CA...> cbArgs);
  template <class CB, class EB, class... EA>
  Deferred& addCallbacks(CB&& cb, EB&& eb, ErrbackArgs<EA...> ebArgs);
  template <class CB, class EB, class... CA, class... EA>
  Deferred& addCallbacks(CB&& cb, EB&& eb, CallbackArgs<CA...> cbArgs, ErrbackArgs<EA...> ebArgs);

  // Fires `other` with this Deferred's result (addCallbacks(other.callback,
  // other.errback)); this Deferred's result becomes None. Returns *this.
  Deferred& chainDeferred(Deferred other);
  // Cancels this Deferred after `timeout` seconds of `clock` time unless it
  // has fired; the CancelledError then becomes a TimeoutError (or whatever
  // onTimeoutCancel(result, timeout) returns). Covers only the callbacks
  // added before it. Returns *this.
  Deferred& addTimeout(double timeout, IReactorTime& clock, OnTimeoutCancel onTimeoutCancel = {});

  // ---- firing (once; a second fire throws AlreadyCalledError)

  // Fires with None.
  void callback();
  // Fires with `value`; a Failure takes the errback path. A Deferred is
  // rejected at compile time (and, inside a Result, with std::invalid_argument).
  template <class T>
  void callback(T&& value);
  // Fires with the exception being handled. Throws NoCurrentExceptionError
  // outside a catch block.
  void errback();
  // Fires with a failure.
  void errback(Failure failure);
  void errback(std::exception_ptr error);
  // Fires with Failure(exc) for an exception object.
  template <class E>
    requires(!std::is_same_v<std::decay_t<E>, Failure> &&
             !std::is_same_v<std::decay_t<E>, std::exception_ptr> &&
             !std::is_same_v<std::decay_t<E>, Result>)
  void errback(E&& exc) {
    errback(Failure(std::forward<E>(exc)));
  }

  // ---- flow control

  // Stops the chain from running until the matching unpause(); nests.
  void pause();
  // Undoes one pause(); at zero, pending callbacks run. Throws
  // std::logic_error without a matching pause() (Twisted would silently stall).
  void unpause();
  // Unfired: calls the canceller (or arranges to swallow the next fire when
  // there is none), then errbacks with CancelledError unless the canceller
  // fired it. Fired and waiting on a Deferred returned by a callback: cancels
  // that one. Otherwise nothing. A canceller's exception propagates.
  void cancel();

  // ---- state

  // True once callback() or errback() was called.
  bool called() const noexcept;
  // The pause count (waiting on a chained Deferred counts as one).
  int paused() const noexcept;
  // The current result (None before the Deferred fired, and while it waits
  // on a chained Deferred).
  const Result& result() const noexcept;

  // Identity.
  friend bool operator==(const Deferred& a, const Deferred& b) noexcept { return a.s_ == b.s_; }

  // Extension tier: the shared state, and a handle from it.
  const std::shared_ptr<detail::DeferredState>& state() const noexcept { return s_; }
  explicit Deferred(std::shared_ptr<detail::DeferredState> s) noexcept : s_(std::move(s)) {}
  // Extension tier: replaces cancel()'s algorithm; it returns false to fall
  // back to the standard one (DeferredList and inlineCallbacks use it).
  void setCancelOverride(std::function<bool(Deferred&)> f);

 private:
  void addLink(detail::Callback cb, detail::Callback eb, bool both = false);
  void fire(Result r);
  std::shared_ptr<detail::DeferredState> s_;
};

}  // namespace weft::twisted

#include "weft/compat_twisted/deferred_impl.hpp"
