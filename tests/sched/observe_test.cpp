// The loop's counters, the log level filter and the blocked-loop watchdog.

#include <chrono>
#include <string>

#include "sched/log.hpp"
#include "sched/loop.hpp"
#include "sched/timer.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::Tasklet;
using weft_test::contains;
using weft_test::run;

namespace {

// Holds the loop (no park, no yield) for `seconds`.
[[gnu::noinline]] void spin_for(double seconds) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
  }
}

}  // namespace

TEST_SUITE("sched") {

TEST_CASE("loop_stats counts switches, polls and timers fired") {
  run([] {
    const weft::LoopStats before = weft::loop_stats();
    auto a = Tasklet::spawn([] {
      for (int i = 0; i < 100; ++i) Tasklet::yield_();
    });
    auto b = Tasklet::spawn([] {
      for (int i = 0; i < 100; ++i) Tasklet::yield_();
    });
    a.join();
    b.join();
    const weft::LoopStats mid = weft::loop_stats();
    CHECK(mid.switches - before.switches >= 200);  // a and b take turns
    CHECK(mid.switches - before.switches < 400);
    for (int i = 0; i < 3; ++i) Tasklet::sleep(0.01);
    const weft::LoopStats after = weft::loop_stats();
    CHECK(after.timers_fired - mid.timers_fired == 3);
    CHECK(after.polls - mid.polls >= 3);  // each sleep ends in a poll
    CHECK(after.max_run_ns == 0);         // measured by the watchdog only
  });
}

TEST_CASE("the log level drops what is below it before the handler") {
  weft_test::LogCapture log;
  weft::DispatchOptions options;
  options.log_level = weft::LogLevel::warning;
  weft_test::run_logged(log, [] {
    weft::log(weft::LogLevel::debug, "a debug line");
    weft::log(weft::LogLevel::info, "an info line");
    weft::log(weft::LogLevel::warning, "a warning line");
    weft::log(weft::LogLevel::error, "an error line");
  }, options);
  REQUIRE(log.lines.size() == 2);
  CHECK(log.lines[0] == "a warning line");
  CHECK(log.lines[1] == "an error line");
}

TEST_CASE("the watchdog reports a tasklet that holds the loop for 200 ms, once, with its name and backtrace") {
  weft_test::StderrCapture err;
  weft::LoopStats stats;
  run([&] {
    Tasklet::spawn([] { spin_for(0.2); }, {.name = "spinner"}).join();
    Tasklet::sleep(0.05);
    stats = weft::loop_stats();
  }, {.blocked_threshold = std::chrono::milliseconds(50)});
  const std::string text = err.text();
  INFO(text);
  CHECK(contains(text, "weft: warning: tasklet 'spinner' has held the loop for "));
  CHECK(contains(text, "without parking or yielding"));
  std::size_t reports = 0;
  for (std::size_t at = 0; (at = text.find("has held the loop", at)) != std::string::npos; ++at) {
    ++reports;
  }
  CHECK(reports == 1);  // once per episode
  if (contains(text, "(backtraces need libunwind")) {
    MESSAGE("backtrace not checked: libunwind is missing (make deps installs it)");
  } else {
    CHECK(contains(text, "spin_for"));
  }
  CHECK(stats.max_run_ns >= 150'000'000);  // sampled: within a quarter threshold of 200 ms
  CHECK(stats.max_run_ns < 1'000'000'000);
}

TEST_CASE("the watchdog stays quiet for a tasklet that yields, and for a loop that waits") {
  weft_test::StderrCapture err;
  run([] {
    auto busy = Tasklet::spawn([] {
      const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
      while (std::chrono::steady_clock::now() < end) Tasklet::yield_();
    }, {.name = "yielder"});
    Tasklet::sleep(0.2);  // the loop waits in its poller meanwhile, for part of it
    busy.join();
    Tasklet::sleep(0.2);  // and only waits here
  }, {.blocked_threshold = std::chrono::milliseconds(50)});
  const std::string text = err.text();
  INFO(text);
  CHECK_FALSE(contains(text, "held the loop"));
}

}  // TEST_SUITE
