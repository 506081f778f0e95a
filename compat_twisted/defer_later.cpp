#include "compat_twisted/defer_later.hpp"

#include <memory>
#include <optional>

namespace weft::twisted::detail {

Deferred defer_later(IReactorTime& clock, double delay, std::function<Result()> f) {
  auto call = std::make_shared<std::optional<DelayedCall>>();
  Deferred d([call](Deferred&) {
    if (*call && (*call)->active()) (*call)->cancel();
  });
  d.addCallback([f = std::move(f)](Result&) mutable -> Result {
    if (!f) return Result();
    return f();
  });
  *call = clock.callLater(delay, [d]() mutable { d.callback(); });
  return d;
}

}  // namespace weft::twisted::detail
