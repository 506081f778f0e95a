// timers: the helpers later, interval and rate, and a deadline scope.
#include <chrono>
#include <cstdio>

#include "sched/errors.hpp"
#include "sched/timeout.hpp"
#include "tasklet/dispatch.hpp"
#include "tasklet/tasklet.hpp"

using weft::Tasklet;

int main() {
  return weft::dispatch([] {
    const auto start = weft::now();
    auto at = [start] { return std::chrono::duration<double>(weft::now() - start).count(); };

    auto greeting = Tasklet::later(0.5, [&] {
      std::printf("  %.2f s  later(0.5): hello from the future\n", at());
      return 42;
    });
    auto ticker = Tasklet::interval(0.2, [&] { std::printf("  %.2f s  interval(0.2): tick\n", at()); });
    int beats = 0;
    auto pulse = Tasklet::rate(4.0, [&](weft::Clock::time_point) { ++beats; });

    std::printf("  later() returned %d\n", greeting.join());
    Tasklet::sleep(0.55);
    ticker.kill();
    pulse.kill();
    std::printf("  %.2f s  rate(4.0) beat %d times in about a second\n", at(), beats);

    weft::DeadlineScope scope(0.3);
    try {
      Tasklet::sleep(10.0);  // every blocking call obeys the scope
    } catch (const weft::DeadlineExceeded& e) {  // a scope's deadline, not the call's own
      std::printf("  %.2f s  a 0.3 s deadline scope cut a 10 s sleep short (scope.fired(e): %s): %s\n",
                  at(), scope.fired(e) ? "yes" : "no", e.what());
    }
  });
}
