#include <csignal>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "sched/loop.hpp"
#include "sched/signal_watch.hpp"
#include "tasklet/dispatch.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::SignalWatch;
using weft::Tasklet;
using weft::TimeoutError;
using weft_test::near;
using weft_test::run;
using weft_test::since;

TEST_SUITE("sched") {

TEST_CASE("SignalWatch: waits for a signal, counts deliveries nobody waited for, close wakes waiters") {
  run([] {
    SignalWatch watch(SIGUSR1);
    CHECK(watch.signo() == SIGUSR1);
    CHECK_FALSE(watch.closed());
    CHECK(weft::loop_stats().live_watchers >= 1);
    Tasklet::later(0.05, [] { ::kill(::getpid(), SIGUSR1); });
    const auto start = weft::now();
    CHECK(watch.wait(1.0) == 1);
    CHECK(near(since(start), 0.05));
    // Delivered while nobody waits: kept for the next wait.
    ::kill(::getpid(), SIGUSR1);
    Tasklet::sleep(0.02);
    CHECK(watch.pending() == 1);
    CHECK(watch.wait(0.0) == 1);
    CHECK(watch.pending() == 0);
    CHECK_THROWS_WITH_AS(watch.wait(0.05), doctest::Contains("wait for signal SIGUSR1"),
                         TimeoutError);
    auto waiter = Tasklet::spawn([&watch] { return watch.wait(5.0); });
    Tasklet::yield_();
    watch.close();
    CHECK(waiter.join() == 0);
    CHECK(watch.closed());
    CHECK(watch.wait(1.0) == 0);
    watch.close();  // idempotent
    CHECK_THROWS_AS(SignalWatch(0), std::invalid_argument);
    CHECK_THROWS_AS(SignalWatch(SIGKILL), std::invalid_argument);
  });
}

TEST_CASE("wait_signal: one-shot wait; a killed waiter leaves nothing behind") {
  run([] {
    Tasklet::later(0.05, [] { ::kill(::getpid(), SIGUSR2); });
    const auto start = weft::now();
    weft::wait_signal(SIGUSR2, 1.0);
    CHECK(near(since(start), 0.05));
    CHECK_THROWS_AS(weft::wait_signal(SIGUSR2, 0.05), TimeoutError);
    auto waiter = Tasklet::spawn([] { weft::wait_signal(SIGUSR2, 10.0); });
    Tasklet::yield_();
    waiter.kill();
    CHECK(waiter.has_finished());
    CHECK(weft::loop_stats().live_watchers == 0);
  });
}

TEST_CASE("SignalWatch: a signal watched by another loop is refused; free again once that watch ends") {
  std::atomic<int> stage{0};  // 1: the other loop watches SIGUSR2; 2: it may stop
  std::thread other([&] {
    weft::dispatch([&] {
      {
        SignalWatch watch(SIGUSR2);
        stage = 1;
        while (stage.load() != 2) Tasklet::sleep(0.005);
      }
      stage = 3;
    });
  });
  run([&] {
    while (stage.load() != 1) Tasklet::sleep(0.005);
    CHECK_THROWS_WITH_AS(SignalWatch(SIGUSR2), doctest::Contains("SIGUSR2 is already watched by another loop"),
                         std::logic_error);
    stage = 2;
    while (stage.load() != 3) Tasklet::sleep(0.005);
    SignalWatch mine(SIGUSR2);  // the other loop's watch ended: this loop may have it
    Tasklet::later(0.02, [] { ::kill(::getpid(), SIGUSR2); });
    CHECK(mine.wait(1.0) == 1);
  });
  other.join();
}

TEST_CASE("SignalWatch: a signal wakes a loop blocked with nothing else to do") {
  run([] {
    SignalWatch watch(SIGUSR1);
    // Sent from another thread while this loop waits with no timer due before
    // the wait's own deadline.
    std::thread sender([] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      ::kill(::getpid(), SIGUSR1);
    });
    const auto start = weft::now();
    CHECK(watch.wait(2.0) == 1);
    CHECK(since(start) < 1.0);
    sender.join();
  });
}

}
