#include <signal.h>

#include <stdexcept>
#include <string>

#include "sched/loop.hpp"
#include "tasklet/dispatch.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::Tasklet;
using weft_test::run;

TEST_SUITE("tasklet") {

TEST_CASE("dispatch returns when main and every non-daemon tasklet have finished") {
  bool child_done = false;
  bool daemon_cleaned = false;
  int code = run([&] {
    Tasklet::spawn([&] {
      Tasklet::sleep(0.1);
      child_done = true;
    });
    Tasklet::spawn(
        [&] {
          struct C {
            bool& f;
            ~C() { f = true; }
          } c{daemon_cleaned};
          Tasklet::sleep(weft::never);
        },
        {.daemon = true});
  });
  CHECK(code == 0);
  CHECK(child_done);       // main returned first; the child still ran to its end
  CHECK(daemon_cleaned);   // the daemon was killed (unwound) at exit
}

TEST_CASE("dispatch's exit code: main's int, quit's code, 1 when main throws") {
  CHECK(run([] { return 7; }) == 7);
  CHECK(run([] {
    weft::quit(3);
    weft::quit(4);  // the first quit wins
    Tasklet::sleep(10.0);
  }) == 3);
  weft_test::LogCapture log;
  weft::DispatchOptions opts;
  opts.log = log.handler();
  CHECK(weft::dispatch([]() -> int { throw std::runtime_error("main broke"); }, opts) == 1);
  CHECK(log.count("main broke") == 1);
}

TEST_CASE("quit kills the remaining tasklets, unwinding them") {
  int cleaned = 0;
  run([&] {
    for (int i = 0; i < 3; ++i) {
      Tasklet::spawn([&] {
        struct C {
          int& n;
          ~C() { ++n; }
        } c{cleaned};
        Tasklet::sleep(10.0);
      });
    }
    Tasklet::yield_();
    weft::quit(0);
    Tasklet::sleep(10.0);
  });
  CHECK(cleaned == 3);
}

TEST_CASE("SIGINT and SIGTERM quit in order with 130 and 143") {
  CHECK(run([] {
    ::raise(SIGINT);
    Tasklet::sleep(10.0);
  }) == 130);
  CHECK(run([] {
    ::raise(SIGTERM);
    Tasklet::sleep(10.0);
  }) == 143);
}

TEST_CASE("a second dispatch on the same thread is refused") {
  run([] {
    CHECK_THROWS_AS(weft::dispatch([] {}), std::logic_error);
  });
}

TEST_CASE("dispatch's stack_size option sets the default stack reserve") {
  run([] { CHECK(Tasklet::current().stack_size() == 128 * 1024); },
      {.stack_size = 128 * 1024});
  run([] {
    auto t = Tasklet::spawn([] { return Tasklet::current().stack_size(); },
                            {.stack_size = 100 * 1000});
    CHECK(t.join() >= 100 * 1000);
    CHECK(t.join() % 4096 == 0);
  });
}

TEST_CASE("loop_stats counts what the loop holds") {
  run([] {
    auto before = weft::loop_stats();
    CHECK(before.live_tasklets == 1);
    CHECK(before.live_stacks == 1);
    auto t = Tasklet::spawn([] { Tasklet::sleep(10.0); });
    Tasklet::yield_();
    auto during = weft::loop_stats();
    CHECK(during.live_tasklets == 2);
    CHECK(during.live_stacks == 2);
    CHECK(during.pending_timers == 1);
    t.kill();
    auto after = weft::loop_stats();
    CHECK(after.live_tasklets == 1);
    CHECK(after.pooled_stacks >= 1);
    CHECK(after.pending_timers == 0);
  });
  CHECK_THROWS_AS(weft::loop_stats(), std::logic_error);
}

}

namespace {
void custom_handler(int) {}
}  // namespace

TEST_SUITE("tasklet") {

TEST_CASE("dispatch restores the program's own SIGINT/SIGTERM handlers when it returns") {
  struct sigaction mine {}, old_int {}, old_term {}, now {};
  mine.sa_handler = custom_handler;
  sigemptyset(&mine.sa_mask);
  ::sigaction(SIGINT, &mine, &old_int);
  ::sigaction(SIGTERM, &mine, &old_term);
  run([] {});
  ::sigaction(SIGINT, nullptr, &now);
  CHECK(reinterpret_cast<void*>(now.sa_handler) == reinterpret_cast<void*>(custom_handler));
  ::sigaction(SIGTERM, nullptr, &now);
  CHECK(reinterpret_cast<void*>(now.sa_handler) == reinterpret_cast<void*>(custom_handler));
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);
}

}
