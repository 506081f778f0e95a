#include <time.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "sched/detail/loop.hpp"
#include "sched/park.hpp"
#include "sched/timeout.hpp"
#include "sched/wait_list.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::DeadlineScope;
using weft::Tasklet;
using weft::Timeout;
using weft::TimeoutError;
using weft_test::exact;
using weft_test::run;
using weft_test::run_virtual;
using weft_test::since;

TEST_SUITE("sched") {

TEST_CASE("Timeout: durations, seconds, never and current") {
  using namespace std::chrono_literals;
  CHECK(Timeout().is_current());
  CHECK(weft::current.is_current());
  CHECK(weft::never.is_never());
  CHECK(Timeout(-1.0).is_never());
  CHECK(Timeout(-1).is_never());
  CHECK(Timeout(2.5).duration() == 2500ms);
  CHECK(Timeout(3).duration() == 3s);
  CHECK(Timeout(150ms).seconds() == doctest::Approx(0.15));
  CHECK(Timeout(-0.5).duration() == 0ns);  // other negatives: already expired
  CHECK(Timeout(-3s).duration() == 0ns);
  CHECK(weft::never.seconds() == -1.0);
  CHECK_THROWS_AS(Timeout(std::nan("")), std::invalid_argument);
  CHECK(Timeout(2.5).describe() == "2.5 s");
  CHECK(Timeout(150ms).describe() == "150 ms");
  CHECK(Timeout(20us).describe() == "20 us");
  CHECK(Timeout(7ns).describe() == "7 ns");
  CHECK(weft::never.describe() == "never");
  CHECK(weft::current.describe() == "current");
  CHECK(Timeout(1.0) == Timeout(1s));
  CHECK(Timeout(std::chrono::hours(1'000'000'000)).duration().count() == INT64_MAX);
  // Whole-nanosecond units convert in integers, with the same bounds as the
  // floating ones: 9e18 ns is kept, one tick more is INT64_MAX.
  CHECK(Timeout(std::chrono::nanoseconds(9'000'000'000'000'000'000)).duration().count() ==
        9'000'000'000'000'000'000);
  CHECK(Timeout(std::chrono::nanoseconds(9'000'000'000'000'000'001)).duration().count() == INT64_MAX);
  CHECK(Timeout(std::chrono::seconds(9'000'000'000)).duration().count() == 9'000'000'000'000'000'000);
  CHECK(Timeout(std::chrono::seconds(9'000'000'001)).duration().count() == INT64_MAX);
  CHECK(Timeout(std::chrono::milliseconds(30'000)).duration() == 30s);
  CHECK(Timeout(std::chrono::duration<unsigned, std::milli>(1500)).duration() == 1500ms);
  CHECK(Timeout(std::chrono::milliseconds(-1)).duration() == 0ns);
  CHECK(Timeout(std::chrono::duration<std::int64_t, std::ratio<1, 3>>(3)).duration() == 1s);  // not whole ns
  CHECK(Timeout(std::chrono::duration<double, std::milli>(2.5)).duration() == 2500us);
}

TEST_CASE("the current timeout starts at never; a 10 s scope reads 10, and about 9 after sleeping 1 s") {
  run_virtual([] {
    CHECK(weft::current_timeout().is_never());
    DeadlineScope scope(10.0);
    CHECK(exact(weft::current_timeout().seconds(), 10.0));
    Tasklet::sleep(1.0);
    CHECK(exact(weft::current_timeout().seconds(), 9.0));
  });
}

TEST_CASE("a 2.5 s deadline scope around waits for 4 events 1 s apart throws TimeoutError at about 2.5 s") {
  run_virtual([] {
    weft::WaitList events;
    auto sender = Tasklet::spawn([&] {
      for (int i = 0; i < 4; ++i) {
        Tasklet::sleep(1.0);
        events.notify_one();
      }
    });
    auto start = weft::now();
    int received = 0;
    try {
      DeadlineScope scope(2.5);
      for (int i = 0; i < 4; ++i) {
        const auto d = weft::Deadline::from(weft::current);
        weft::check_wake(events.wait(d), d, "receive");
        ++received;
      }
      FAIL("the scope should have expired");
    } catch (const TimeoutError& e) {
      CHECK(exact(since(start), 2.5));
      CHECK(std::string(e.what()).find("deadline scope of 2.5 s") != std::string::npos);
    }
    CHECK(received == 2);
    sender.kill();
  });
}

TEST_CASE("nested scopes take the earliest deadline") {
  run_virtual([] {
    DeadlineScope outer(1.0);
    {
      DeadlineScope longer(5.0);  // does not extend the outer one
      CHECK(exact(weft::current_timeout().seconds(), 1.0));
      DeadlineScope keep_never(weft::never);
      CHECK(exact(weft::current_timeout().seconds(), 1.0));
      DeadlineScope keep_current(weft::current);
      CHECK(exact(weft::current_timeout().seconds(), 1.0));
      DeadlineScope shorter(0.2);
      CHECK(exact(weft::current_timeout().seconds(), 0.2));
      auto start = weft::now();
      CHECK_THROWS_AS(Tasklet::sleep(3.0), TimeoutError);  // the scope bounds even a sleep
      CHECK(exact(since(start), 0.2));
    }
    CHECK(exact(weft::current_timeout().seconds(), 0.8));  // restored
  });
}

TEST_CASE("a blocking call with its own timeout still obeys the scope, and vice versa") {
  run_virtual([] {
    auto sleeper = Tasklet::spawn([] { Tasklet::sleep(10.0); });
    DeadlineScope scope(0.3);
    auto start = weft::now();
    try {
      sleeper.join(0.1);  // own timeout shorter
      FAIL("should time out");
    } catch (const TimeoutError& e) {
      CHECK(exact(since(start), 0.1));
      CHECK(std::string(e.what()).find("after 100 ms") != std::string::npos);
    }
    start = weft::now();
    CHECK_THROWS_AS(sleeper.join(weft::never), TimeoutError);  // the scope is shorter
    CHECK(exact(since(start), 0.2));
    sleeper.kill();
  });
}

TEST_CASE("code can tell which timed out: a call's own timeout, this scope or an outer one") {
  run([] {
    auto sleeper = Tasklet::spawn([] { Tasklet::sleep(10.0); });
    DeadlineScope outer(0.4);
    try {
      sleeper.join(0.05);  // the call's own timeout: a plain TimeoutError
      FAIL("should time out");
    } catch (const weft::DeadlineExceeded&) {
      FAIL("the call's own timeout is not a scope's deadline");
    } catch (const TimeoutError& e) {
      CHECK_FALSE(outer.fired(e));
    }
    {
      DeadlineScope inner(0.05);
      DeadlineScope longer(5.0);  // binds nothing: the inner deadline is earlier
      try {
        sleeper.join(weft::never);
        FAIL("should time out");
      } catch (const weft::DeadlineExceeded& e) {
        CHECK(inner.fired(e));
        CHECK(inner.expired());
        CHECK(e.deadline() == inner.deadline());
        CHECK_FALSE(outer.fired(e));
        CHECK_FALSE(longer.fired(e));
        CHECK_FALSE(longer.expired());
        CHECK(weft_test::contains(e.what(), "deadline scope of 50 ms expired"));
      }
    }
    CHECK_FALSE(outer.expired());
    {
      DeadlineScope longer(5.0);
      try {
        sleeper.join();  // `current`: the outer scope's deadline
        FAIL("should time out");
      } catch (const weft::DeadlineExceeded& e) {
        CHECK(outer.fired(e));
        CHECK_FALSE(longer.fired(e));
      }
    }
    CHECK(outer.expired());
    DeadlineScope unbounded(weft::never);
    CHECK(unbounded.deadline() == weft::Clock::time_point::max());
    CHECK_FALSE(unbounded.expired());
    sleeper.kill();
  });
}

TEST_CASE("a scope does not claim another tasklet's scope timeout") {
  run([] {
    DeadlineScope mine(5.0);
    std::exception_ptr theirs;
    auto t = Tasklet::spawn([&] {
      DeadlineScope scope(0.02);
      try {
        Tasklet::sleep(weft::never);
      } catch (const weft::DeadlineExceeded&) {
        theirs = std::current_exception();
      }
    });
    t.join();
    REQUIRE(theirs);
    try {
      std::rethrow_exception(theirs);
    } catch (const weft::DeadlineExceeded& e) {
      CHECK_FALSE(mine.fired(e));
    }
  });
}

TEST_CASE("long deadlines count from the coarse clock: not early, late by at most the margin") {
  // A deadline of kCoarseMinSpanNs (2 s) or more is made without a fine clock
  // reading (sched/detail/loop.hpp: deadline_base_ns); shorter ones are exact.
  namespace d = weft::detail;
  timespec res;
  REQUIRE(clock_getres(CLOCK_MONOTONIC_COARSE, &res) == 0);
  const std::int64_t margin = d::coarse_margin_ns(res.tv_nsec);
  const std::int64_t long_span = d::kCoarseMinSpanNs;
  run([&] {
    int early = 0;  // only if the coarse clock lagged by more than the margin: rare
    for (int i = 0; i < 2000; ++i) {
      const std::int64_t before = d::real_clock_ns();
      const weft::Deadline dl = weft::Deadline::from(Timeout(std::chrono::nanoseconds(long_span)));
      const std::int64_t after = d::real_clock_ns();
      if (dl.ns() < before + long_span) ++early;
      REQUIRE(dl.ns() <= after + long_span + margin);  // late by at most the margin
      CHECK(dl.span_ns() == long_span);
      const weft::Deadline s = weft::Deadline::from(Timeout(std::chrono::milliseconds(2)));
      REQUIRE(s.ns() >= after + 2'000'000);  // short: from a fine reading
      REQUIRE(s.ns() <= d::real_clock_ns() + 2'000'000);
    }
    CHECK(early <= 20);
    const std::int64_t now = d::real_clock_ns();
    CHECK(d::deadline_passed(now, 0));  // short spans (a zero timeout): exact
    CHECK(d::deadline_passed(now, long_span));
    CHECK(d::deadline_passed(now - 10 * margin, long_span));
    CHECK_FALSE(d::deadline_passed(now + 1'000'000, 0));
    CHECK_FALSE(d::deadline_passed(now + 1'000'000'000, long_span));
    // A zero timeout never parks: a runnable tasklet does not run first.
    int parked = 0;
    for (int i = 0; i < 50; ++i) {
      bool ran = false;
      auto other = Tasklet::spawn([&] { ran = true; });
      weft::WaitList list;
      CHECK(list.wait(weft::Deadline::from(Timeout(0.0))) == weft::Wake::timed_out);
      if (ran) ++parked;
      other.join();
    }
    CHECK(parked == 0);
  });
  run_virtual([] {  // virtual time: exact, whatever the span
    const std::int64_t now = d::clock_ns();
    CHECK(weft::Deadline::from(Timeout(5.0)).ns() == now + 5'000'000'000);
    CHECK(d::deadline_passed(now, 5'000'000'000));
    CHECK_FALSE(d::deadline_passed(now + 1, 5'000'000'000));
  });
}

TEST_CASE("DeadlineScope and current_timeout need a tasklet") {
  CHECK_THROWS_AS(DeadlineScope(1.0), weft::NotInTasklet);
  CHECK_THROWS_AS(weft::current_timeout(), weft::NotInTasklet);
  auto a = weft::now();
  auto b = weft::now();
  CHECK(b >= a);
}

}
