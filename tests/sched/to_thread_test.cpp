#include <unistd.h>

#include <stdexcept>
#include <thread>

#include "sched/to_thread.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::Tasklet;
using weft_test::near;
using weft_test::run;
using weft_test::since;

TEST_SUITE("sched") {

TEST_CASE("to_thread runs the function on another thread and returns its result") {
  run([] {
    auto caller = std::this_thread::get_id();
    auto worker = weft::to_thread([] { return std::this_thread::get_id(); });
    CHECK(worker != caller);
    CHECK(weft::to_thread([] { return std::string("from a worker"); }) == "from a worker");
    weft::to_thread([] {});  // void
  });
}

TEST_CASE("to_thread rethrows the function's exception in the caller") {
  run([] {
    CHECK_THROWS_WITH_AS(weft::to_thread([]() -> int { throw std::domain_error("worker failed"); }),
                         "worker failed", std::domain_error);
  });
}

TEST_CASE("while a worker blocks, the loop serves the other tasklets") {
  run([] {
    int ticks = 0;
    auto ticker = Tasklet::spawn([&] {
      for (;;) {
        Tasklet::sleep(0.01);
        ++ticks;
      }
    });
    auto start = weft::now();
    weft::to_thread([] { ::usleep(200000); });
    CHECK(near(since(start), 0.2));
    CHECK(ticks >= 10);
    ticker.kill();
  });
}

TEST_CASE("to_thread with a timeout gives up, and the late result is dropped harmlessly") {
  run([] {
    auto start = weft::now();
    CHECK_THROWS_AS(weft::to_thread([] {
      ::usleep(300000);
      return 1;
    }, 0.05), weft::TimeoutError);
    CHECK(near(since(start), 0.05));
    Tasklet::sleep(0.35);  // the job completes and posts back to nobody
    CHECK(weft::to_thread([] { return 2; }) == 2);
  });
}

TEST_CASE("to_thread under a deadline the caller holds: its timeout is worded by the caller") {
  run([] {
    const auto d = weft::Deadline::from(0.05);
    auto start = weft::now();
    CHECK_THROWS_WITH_AS(weft::to_thread([] {
      ::usleep(300000);
      return 1;
    }, d, "frobnicate"), "weft: frobnicate timed out after 50 ms", weft::TimeoutError);
    CHECK(near(since(start), 0.05));
    CHECK(weft::to_thread([] { return 2; }, weft::Deadline::never(), "x") == 2);
    CHECK_THROWS_WITH_AS(weft::to_thread([]() -> int { throw std::runtime_error("boom"); },
                                         weft::Deadline::never(), "x"),
                         "boom", std::runtime_error);
    Tasklet::sleep(0.3);  // the late job completes and posts back to nobody
  });
}

TEST_CASE("concurrent to_thread calls run in parallel on the pool") {
  run([] {
    std::vector<weft::TaskletOf<void>> ts;
    for (int i = 0; i < 4; ++i) ts.push_back(Tasklet::spawn([] { weft::to_thread([] { ::usleep(100000); }); }));
    auto start = weft::now();
    Tasklet::join_all(ts);
    CHECK(since(start) < 0.3);
  });
}

}
