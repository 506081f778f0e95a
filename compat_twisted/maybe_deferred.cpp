#include "compat_twisted/maybe_deferred.hpp"

namespace weft::twisted {

Deferred succeed() {
  Deferred d;
  d.callback();
  return d;
}

Deferred fail() { return fail(Failure::current()); }

Deferred fail(Failure failure) {
  Deferred d;
  d.errback(std::move(failure));
  return d;
}

Deferred fail(std::exception_ptr error) { return fail(Failure(std::move(error))); }

}  // namespace weft::twisted
