#include "compat_twisted/react.hpp"

#include <memory>

#include "compat_twisted/errors.hpp"
#include "sched/extension.hpp"
#include "sched/log.hpp"

namespace weft::twisted::detail {

bool inside_loop() noexcept { return weft::detail::current_loop() != nullptr; }

int react_with(const std::function<Deferred()>& start, IReactorCore& reactor) {
  Deferred finished = start();
  struct Shared {
    int code = 0;
    bool stopping = false;
    bool over = false;  // react() returned: late results are ignored
  };
  auto st = std::make_shared<Shared>();
  reactor.addSystemEventTrigger("before", "shutdown", [st] { st->stopping = true; });
  auto stop = [st, &reactor](const Result& result, bool stopReactor) {
    if (st->over) return;
    if (stopReactor) {
      try {
        reactor.stop();
      } catch (const ReactorNotRunning&) {
      }
    }
    if (!result.isFailure()) return;
    const Failure& f = result.failure();
    if (const SystemExit* e = f.valueAs<SystemExit>()) {
      st->code = e->code();
      if (!e->message().empty()) weft::log(LogLevel::error, e->message());
    } else {
      weft::log(LogLevel::error, "main function encountered error: " + f.typeName() + ": " +
                                     f.getErrorMessage());
      st->code = 1;
    }
  };
  finished.addBoth([st, stop, &reactor](Result& r) {
    if (st->over) return;
    if (st->stopping) {
      stop(r, false);
    } else {
      reactor.callWhenRunning(stop, r, true);
    }
  });
  reactor.run();
  st->over = true;
  return st->code;
}

}  // namespace weft::twisted::detail
