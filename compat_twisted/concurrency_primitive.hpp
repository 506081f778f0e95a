#pragma once
// The shared face of DeferredLock and DeferredSemaphore (Twisted's
// _ConcurrencyPrimitive): acquire, release, and run(f) between the two.

#include <utility>

#include "weft/compat_twisted/deferred.hpp"
#include "weft/compat_twisted/maybe_deferred.hpp"

namespace weft::twisted {

class ConcurrencyPrimitive {
 public:
  // Not copyable: acquirers hold pointers to it.
  ConcurrencyPrimitive() = default;
  ConcurrencyPrimitive(const ConcurrencyPrimitive&) = delete;
  ConcurrencyPrimitive& operator=(const ConcurrencyPrimitive&) = delete;
  virtual ~ConcurrencyPrimitive() = default;

  // A Deferred that fires (with a pointer to this primitive) once acquired.
  virtual Deferred acquire() = 0;
  // Gives back what acquire() took.
  virtual void release() = 0;
  // Acquires, runs maybeDeferred(f, args...), releases once that has a
  // result (success or failure), and fires with that result. The primitive
  // must outlive the operation.
  template <class F, class... A>
  Deferred run(F&& f, A&&... args) {
    Deferred d = acquire();
    d.addCallback([this, fn = std::decay_t<F>(std::forward<F>(f)),
                   t = std::make_tuple(std::decay_t<A>(std::forward<A>(args))...)](Result&) mutable {
      Deferred inner = std::apply([&](auto&... a) { return maybeDeferred(fn, a...); }, t);
      inner.addBoth([this](Result& r) {
        release();
        return std::move(r);
      });
      return inner;
    });
    return d;
  }
};

}  // namespace weft::twisted
