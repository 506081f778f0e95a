#include <algorithm>
#include <stdexcept>
#include <vector>

#include "sched/loop.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::Tasklet;
using weft::TimeoutError;
using weft_test::exact;
using weft_test::run;
using weft_test::run_virtual;
using weft_test::since;

TEST_SUITE("tasklet") {

TEST_CASE("later(t, f): f runs after t and its result is the tasklet's result") {
  run_virtual([] {
    auto start = weft::now();
    auto t = Tasklet::later(0.3, [&] { return since(start); });
    double ran_at = t.join();
    CHECK(exact(ran_at, 0.3));
  });
}

TEST_CASE("interval(1.0, f) joined with a 3.0 s timeout has called f 2 times; with immediate 3") {
  run_virtual([] {
    int plain = 0;
    int immediate = 0;
    auto a = Tasklet::interval(1.0, [&] { ++plain; });
    auto b = Tasklet::interval(1.0, [&] { ++immediate; }, true);
    CHECK_THROWS_AS(Tasklet::join(a, 3.0), TimeoutError);
    CHECK(plain == 2);
    CHECK(immediate == 3);
    a.kill();
    b.kill();
    CHECK(a.has_finished());
  });
}

TEST_CASE("interval logs an exception from f and goes on") {
  weft_test::LogCapture log;
  weft_test::run_logged(log, [] {
    int calls = 0;
    auto t = Tasklet::interval(0.02, [&] {
      if (++calls == 1) throw std::runtime_error("tick failed");
    }, false, {.name = "ticker"});
    while (calls < 3) Tasklet::sleep(0.01);
    t.kill();
  });
  CHECK(log.count("tick failed") == 1);
  CHECK(log.count("interval 'ticker'") == 1);
}

TEST_CASE("loop(f) keeps running after f throws; after kill() it is finished at once") {
  weft_test::LogCapture log;
  weft_test::run_logged(log, [] {
    int calls = 0;
    auto t = Tasklet::loop([&] {
      ++calls;
      if (calls == 1) throw std::runtime_error("loop body failed");
      Tasklet::sleep(0.01);
    });
    auto start = weft::now();
    while (calls < 3) Tasklet::sleep(0.05);
    CHECK(weft_test::near(since(start), 1.0, 0.15));  // the 1 s back-off after the failure
    t.kill();
    CHECK(t.has_finished());
    CHECK(t.join_all(std::vector<Tasklet>{t})[0].error().killed());
  });
  CHECK(log.count("loop body failed") == 1);
}

TEST_CASE("loop(f) yields between calls, so a body that never blocks does not starve others") {
  // Wall clock: under virtual time a body that never parks holds the clock still.
  run([] {
    long spins = 0;
    auto spinner = Tasklet::loop([&] { ++spins; });
    Tasklet::sleep(0.05);  // we get to run again
    CHECK(spins > 0);
    spinner.kill();
  });
}

TEST_CASE("rate(r, f) calls f about r times per second and passes the current time") {
  run_virtual([] {
    std::vector<weft::Clock::time_point> calls;
    auto t = Tasklet::rate(20.0, [&](weft::Clock::time_point now) { calls.push_back(now); });
    auto start = weft::now();
    Tasklet::sleep(1.0);
    t.kill();
    CHECK(calls.size() >= 17);
    CHECK(calls.size() <= 21);
    REQUIRE_FALSE(calls.empty());
    CHECK(calls.front() >= start);
    CHECK(calls.back() <= weft::now());
    CHECK_THROWS_AS(Tasklet::rate(0.0, [](weft::Clock::time_point) {}), std::invalid_argument);
  });
}

TEST_CASE("a helper ends on TaskletExit raised by its callable") {
  run_virtual([] {
    int calls = 0;
    auto t = Tasklet::interval(0.01, [&] {
      if (++calls == 2) throw weft::TaskletExit{};
    });
    auto r = Tasklet::join_all(std::vector<Tasklet>{t});
    CHECK(r[0].error().killed());
    CHECK(calls == 2);
  });
}


TEST_CASE("interval, rate and a void later hold no stack while they wait for their next tick") {
  run_virtual([] {
    const std::size_t base = weft::loop_stats().live_stacks;  // this test's own tasklet
    int ticks = 0;
    int rate_ticks = 0;
    bool later_ran = false;
    std::vector<Tasklet> helpers;
    for (int i = 0; i < 20; ++i) helpers.push_back(Tasklet::interval(0.02, [&] { ++ticks; }));
    helpers.push_back(Tasklet::rate(50.0, [&](weft::Clock::time_point) { ++rate_ticks; }));
    auto once = Tasklet::later(0.05, [&] { later_ran = true; });
    std::size_t most = 0;
    const auto start = weft::now();
    while (since(start) < 0.2) {
      Tasklet::sleep(0.005);
      most = std::max(most, weft::loop_stats().live_stacks);
    }
    // Between ticks every helper rests; a tick runs on a stack only while it runs.
    CHECK(most == base);
    CHECK(ticks >= 20 * 6);  // about 10 periods each in 0.2 s; loose for a busy machine
    CHECK(rate_ticks >= 5);
    once.join();
    CHECK(later_ran);
    for (auto& h : helpers) {
      h.kill();
      CHECK(h.has_finished());
    }
    CHECK(weft::loop_stats().live_tasklets == 1);
  });
}

TEST_CASE("a resting interval keeps its name and parent, and a kill ends it at once") {
  run_virtual([] {
    auto t = Tasklet::interval(10.0, [] {}, false, {.name = "ticker"});
    Tasklet::yield_();  // resting for 10 s
    CHECK(t.name() == "ticker");
    CHECK(t.parent() == Tasklet::current());
    CHECK(weft::loop_stats().pending_timers == 1);
    const auto start = weft::now();
    t.kill();
    CHECK(t.has_finished());
    CHECK(since(start) < 0.1);
    CHECK(weft::loop_stats().pending_timers == 0);
  });
}

}
