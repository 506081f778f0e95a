// Virtual time (DispatchOptions::virtual_time) and seeded scheduling
// (DispatchOptions::schedule_seed, run_seeds).

#include <chrono>
#include <span>
#include <string>
#include <vector>

#include "compat_twisted/reactor.hpp"
#include "io/socket.hpp"
#include "mailbox/mailbox.hpp"
#include "sched/timer.hpp"
#include "sched/to_thread.hpp"
#include "tasklet/seeds.hpp"
#include "tests/io/support.hpp"
#include "tests/support/weft_test.hpp"

using namespace std::chrono_literals;
using weft::Tasklet;

namespace {

weft::DispatchOptions virtual_clock(std::uint64_t seed = 0) {
  weft::DispatchOptions o;
  o.virtual_time = true;
  o.schedule_seed = seed;
  return o;
}

// Nanoseconds of loop time since `start`.
std::int64_t ns_since(weft::Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(weft::now() - start).count();
}

// Five tasklets, each appending its letter and yielding, twenty rounds.
std::string interleaving(std::uint64_t seed) {
  std::string trace;
  weft_test::run([&] {
    std::vector<Tasklet> ts;
    for (char c = 'a'; c < 'f'; ++c) {
      ts.push_back(Tasklet::spawn([&trace, c] {
        for (int i = 0; i < 20; ++i) {
          trace += c;
          Tasklet::yield_();
        }
      }));
    }
    for (auto& t : ts) Tasklet::join(t);
  }, virtual_clock(seed));
  return trace;
}

}  // namespace

TEST_SUITE("sched") {

TEST_CASE("virtual time: an hour of sleep takes milliseconds, and the clock moved by exactly an hour") {
  const auto wall = std::chrono::steady_clock::now();
  weft_test::run([] {
    const auto start = weft::now();
    Tasklet::sleep(3600.0);
    CHECK(ns_since(start) == 3'600'000'000'000LL);
  }, virtual_clock());
  CHECK(std::chrono::steady_clock::now() - wall < 2s);
}

TEST_CASE("virtual time: timers fire in deadline order at their exact times") {
  weft_test::run([] {
    const auto start = weft::now();
    std::vector<std::pair<int, std::int64_t>> fired;
    std::vector<Tasklet> ts;
    for (int ms : {300, 100, 200, 100, 50}) {
      ts.push_back(Tasklet::spawn([&, ms] {
        Tasklet::sleep(std::chrono::milliseconds(ms));
        fired.emplace_back(ms, ns_since(start));
      }));
    }
    weft::Timer timer(250ms, [&] { fired.emplace_back(250, ns_since(start)); });
    for (auto& t : ts) Tasklet::join(t);
    const std::vector<std::pair<int, std::int64_t>> want = {
        {50, 50'000'000}, {100, 100'000'000}, {100, 100'000'000}, {200, 200'000'000},
        {250, 250'000'000}, {300, 300'000'000}};
    CHECK(fired == want);
  }, virtual_clock());
}

TEST_CASE("virtual time: timeouts, interval, later, a deadline scope and a call timeout are exact") {
  weft_test::run([] {
    const auto start = weft::now();
    auto forever = Tasklet::spawn([] { Tasklet::sleep(weft::never); });
    CHECK_THROWS_AS(Tasklet::join(forever, 250ms), weft::TimeoutError);
    CHECK(ns_since(start) == 250'000'000);

    std::vector<std::int64_t> ticks;
    const auto t0 = weft::now();
    auto ticker = Tasklet::interval(100ms, [&] { ticks.push_back(ns_since(t0)); });
    auto later = Tasklet::later(350ms, [&] { return ns_since(t0); });
    CHECK(later.join() == 350'000'000);
    ticker.kill();
    CHECK(ticks == std::vector<std::int64_t>{100'000'000, 200'000'000, 300'000'000});

    const auto t1 = weft::now();
    {
      weft::DeadlineScope scope(500ms);
      CHECK_THROWS_AS(Tasklet::sleep(10.0), weft::TimeoutError);
    }
    CHECK(ns_since(t1) == 500'000'000);

    auto silent = weft::receiver([](weft::Message&) { Tasklet::sleep(weft::never); });
    const auto t2 = weft::now();
    CHECK_THROWS_AS(weft::call<int>(silent, 1, 750ms), weft::TimeoutError);
    CHECK(ns_since(t2) == 750'000'000);
    silent.kill();
    forever.kill();
  }, virtual_clock());
}

TEST_CASE("virtual time: real sockets still work, and a to_thread job keeps the clock still") {
  weft_test::run([] {
    auto [a, b] = io_test::tcp_pair();
    const auto start = weft::now();
    auto writer = Tasklet::spawn([&a] {
      weft::to_thread([] { std::this_thread::sleep_for(30ms); });  // a real delay
      a.write_all("ping", 1.0);
    });
    auto sleeper = Tasklet::spawn([] { Tasklet::sleep(10.0); });
    std::string got(4, '\0');
    b.read_exactly(got, 5.0);  // the clock stood still while the job ran
    CHECK(got == "ping");
    CHECK(ns_since(start) < 1'000'000'000);
    writer.join();
    sleeper.join();
    CHECK(ns_since(start) == 10'000'000'000LL);
  }, virtual_clock());
}

TEST_CASE("virtual time: the Twisted reactor's callLater and seconds() follow it") {
  weft_test::run([] {
    weft::twisted::Reactor reactor;
    const double t0 = reactor.seconds();
    std::vector<double> at;
    reactor.callLater(120.0, [&] { at.push_back(reactor.seconds() - t0); });
    reactor.callLater(60.0, [&] { at.push_back(reactor.seconds() - t0); });
    Tasklet::sleep(180.0);
    CHECK(at == std::vector<double>{60.0, 120.0});
  }, virtual_clock());
}

TEST_CASE("a schedule seed gives the same interleaving twice, other seeds other ones") {
  const std::string rr = interleaving(0);
  CHECK(rr.substr(0, 10) == "abcdeabcde");  // round-robin without a seed
  const std::string s1 = interleaving(1);
  CHECK(s1 == interleaving(1));
  CHECK(s1 != rr);
  CHECK(interleaving(2) != s1);
  CHECK(interleaving(3) != s1);
  for (char c = 'a'; c < 'f'; ++c) CHECK(std::count(s1.begin(), s1.end(), c) == 20);
}

TEST_CASE("under a seed, a woken receiver still runs next") {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    std::string trace;
    weft_test::run([&] {
      std::vector<Tasklet> busy;
      for (int i = 0; i < 6; ++i) {
        busy.push_back(Tasklet::spawn([&trace] {
          for (int k = 0; k < 5; ++k) {
            trace += '.';
            Tasklet::yield_();
          }
        }));
      }
      bool waiting = false;
      auto r = Tasklet::spawn([&] {
        waiting = true;
        weft::Message m = weft::receive();  // parks at once: no yield in between
        trace += 'R';
      });
      while (!waiting) Tasklet::yield_();
      trace += 'S';
      (void)weft::send(r, 1);
      Tasklet::yield_();
      // The receiver ran before any of the busy ones after the send.
      const auto at = trace.find('S');
      CHECK(trace.substr(at, 2) == "SR");
      for (auto& t : busy) Tasklet::join(t);
      Tasklet::join(r);
    }, virtual_clock(seed));
  }
}

TEST_CASE("run_seeds reports the first seed whose run fails") {
  int runs = 0;
  weft::run_seeds(5, [&] { ++runs; });
  CHECK(runs == 5);
  // A race round-robin never shows: A reads, yields, writes back; B yields
  // twice, then increments. Only an order that runs B's three steps between
  // A's read and A's write loses B's update.
  auto racy = [] {
    int counter = 0;
    auto a = Tasklet::spawn([&counter] {
      const int seen = counter;
      Tasklet::yield_();
      counter = seen + 1;
    });
    auto b = Tasklet::spawn([&counter] {
      Tasklet::yield_();
      Tasklet::yield_();
      counter += 1;
    });
    Tasklet::join(a);
    Tasklet::join(b);
    if (counter != 2) throw std::runtime_error("lost update: " + std::to_string(counter));
  };
  weft_test::run(racy, virtual_clock(0));  // round-robin: passes
  try {
    weft::run_seeds(200, racy, virtual_clock());
    FAIL("no seed failed");
  } catch (const weft::SeedFailure& e) {
    CHECK(e.seed() >= 1);
    CHECK(weft_test::contains(e.what(), "the run with schedule_seed " + std::to_string(e.seed()) +
                                             " failed: std::runtime_error: lost update"));
  }
  CHECK_THROWS_AS(weft::run_seeds(0, [] {}), std::invalid_argument);
}

}  // TEST_SUITE

TEST_SUITE("sched") {

TEST_CASE("the same timers on the wall clock and on virtual time agree (within the tolerance)") {
  auto program = [](std::vector<std::pair<int, double>>& fired) {
    return [&fired] {
      const auto start = weft::now();
      std::vector<Tasklet> ts;
      for (int ms : {120, 40, 80}) {
        ts.push_back(Tasklet::spawn([&fired, ms, start] {
          Tasklet::sleep(std::chrono::milliseconds(ms));
          fired.emplace_back(ms, weft_test::since(start));
        }));
      }
      for (auto& t : ts) Tasklet::join(t);
    };
  };
  std::vector<std::pair<int, double>> wall, virt;
  weft_test::run(program(wall));
  weft_test::run_virtual(program(virt));
  REQUIRE(wall.size() == 3);
  REQUIRE(virt.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(wall[i].first == virt[i].first);  // the same order
    CHECK(weft_test::exact(virt[i].second, virt[i].first / 1000.0));
    CHECK(weft_test::near(wall[i].second, virt[i].second));
  }
}

}  // TEST_SUITE
