#include <stdexcept>

#include "sched/timer.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using namespace std::chrono_literals;
using weft::Tasklet;
using weft::Timer;
using weft_test::exact;
using weft_test::run;
using weft_test::run_virtual;
using weft_test::since;

TEST_SUITE("sched") {

TEST_CASE("a Timer calls back once after its delay, or repeatedly") {
  run_virtual([] {
    auto start = weft::now();
    double fired_at = -1;
    Timer once(100ms, [&] { fired_at = since(start); });
    CHECK(once.active());
    CHECK(once.when() > start);
    int ticks = 0;
    Timer repeat(20ms, [&] { ++ticks; }, 20ms);
    Tasklet::sleep(0.21);
    CHECK(exact(fired_at, 0.1));
    CHECK_FALSE(once.active());
    CHECK(ticks >= 9);
    CHECK(ticks <= 11);
    repeat.cancel();
    CHECK_FALSE(repeat.active());
  });
}

TEST_CASE("cancel, reset and destruction stop a Timer") {
  run_virtual([] {
    int calls = 0;
    {
      Timer t(20ms, [&] { ++calls; });
    }  // destroyed: cancelled
    Timer c(20ms, [&] { ++calls; });
    c.cancel();
    c.cancel();
    auto start = weft::now();
    double at = -1;
    Timer r(30ms, [&] { at = since(start); });
    r.reset(150ms);
    Tasklet::sleep(0.2);
    CHECK(calls == 0);
    CHECK(exact(at, 0.15));
    Timer never_started;
    CHECK_FALSE(never_started.active());
    CHECK_THROWS_AS(never_started.reset(1ms), std::logic_error);
  });
}

TEST_CASE("a Timer callback may cancel or re-arm its own timer, and may spawn tasklets") {
  run_virtual([] {
    int calls = 0;
    Timer t;
    t.start(10ms, [&] {
      if (++calls < 3) t.start(10ms, [&] { ++calls; });
    });
    bool spawned_ran = false;
    Timer s(5ms, [&] { Tasklet::spawn([&] { spawned_ran = true; }); });
    Tasklet::sleep(0.1);
    CHECK(calls == 2);
    CHECK(spawned_ran);
    int self_cancel = 0;
    Timer p;
    p.start(5ms, [&] {
      if (++self_cancel == 2) p.cancel();
    }, 5ms);
    Tasklet::sleep(0.05);
    CHECK(self_cancel == 2);
  });
}

TEST_CASE("an exception escaping a Timer callback is logged; the loop goes on") {
  weft_test::LogCapture log;
  weft_test::run_logged(log, [] {
    Timer t(1ms, [] { throw std::runtime_error("timer boom"); });
    Tasklet::sleep(0.02);
  });
  CHECK(log.count("timer boom") == 1);
}

TEST_CASE("a Timer needs a loop and a callback") {
  CHECK_THROWS_AS(Timer(1ms, [] {}), std::logic_error);
  run_virtual([] { CHECK_THROWS_AS(Timer(1ms, nullptr), std::invalid_argument); });
}

}
