#include "sched/detail/context.hpp"
#include "sched/wait_list.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::Tasklet;
using weft_test::run;

TEST_SUITE("sched") {

TEST_CASE("one million live tasklets spawned, parked and joined on a default kernel") {
  // Under ASan every stack costs shadow memory and a larger reserve: a tenth.
  const std::size_t n = weft::detail::context_sanitized() ? 100'000 : 1'000'000;
  run([n] {
    weft::WaitList gate;
    std::vector<weft::TaskletOf<std::size_t>> ts;
    ts.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      ts.push_back(Tasklet::spawn([&gate, i] {
        gate.wait(weft::Deadline::never());
        return i;
      }));
    }
    while (gate.size() < n) Tasklet::yield_();  // all of them parked at once
    auto stats = weft::loop_stats();
    CHECK(stats.live_tasklets == n + 1);
    CHECK(stats.live_stacks == n + 1);
    gate.notify_all();
    std::size_t sum = 0;
    for (auto& t : ts) sum += t.join();
    CHECK(sum == n * (n - 1) / 2);
  });
}

}
