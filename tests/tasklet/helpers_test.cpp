#include <stdexcept>

#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::Tasklet;
using weft::TimeoutError;
using weft_test::near;
using weft_test::run;
using weft_test::since;

TEST_SUITE("tasklet") {

TEST_CASE("later(t, f): f runs after t and its result is the tasklet's result") {
  run([] {
    auto start = weft::now();
    auto t = Tasklet::later(0.3, [&] { return since(start); });
    double ran_at = t.join();
    CHECK(near(ran_at, 0.3));
  });
}

TEST_CASE("interval(1.0, f) joined with a 3.0 s timeout has called f 2 times; with immediate 3") {
  run([] {
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
    CHECK(near(since(start), 1.0, 0.15));  // the 1 s back-off after the failure
    t.kill();
    CHECK(t.has_finished());
    CHECK(t.join_all(std::vector<Tasklet>{t})[0].error().killed());
  });
  CHECK(log.count("loop body failed") == 1);
}

TEST_CASE("loop(f) yields between calls, so a body that never blocks does not starve others") {
  run([] {
    long spins = 0;
    auto spinner = Tasklet::loop([&] { ++spins; });
    Tasklet::sleep(0.05);  // we get to run again
    CHECK(spins > 0);
    spinner.kill();
  });
}

TEST_CASE("rate(r, f) calls f about r times per second and passes the current time") {
  run([] {
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
  run([] {
    int calls = 0;
    auto t = Tasklet::interval(0.01, [&] {
      if (++calls == 2) throw weft::TaskletExit{};
    });
    auto r = Tasklet::join_all(std::vector<Tasklet>{t});
    CHECK(r[0].error().killed());
    CHECK(calls == 2);
  });
}

}
