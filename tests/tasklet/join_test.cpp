#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "sched/loop.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::JoinError;
using weft::Tasklet;
using weft::TaskletExit;
using weft::TimeoutError;
using weft_test::exact;
using weft_test::run;
using weft_test::run_virtual;
using weft_test::since;

namespace {

int deep(int n) {
  if (n == 0) throw std::runtime_error("boom at the bottom");
  return deep(n - 1) + 1;
}

}  // namespace

TEST_SUITE("tasklet") {

TEST_CASE("join returns the result, also when the tasklet finished before the join") {
  run_virtual([] {
    auto t = Tasklet::spawn([] { return std::string("done"); });
    Tasklet::sleep(0.01);
    CHECK(t.has_finished());
    CHECK(t.join() == "done");
    CHECK(Tasklet::join(t) == "done");  // any number of joins
  });
}

TEST_CASE("join of a tasklet that threw several calls deep gives a JoinError carrying the exception") {
  run_virtual([] {
    auto t = Tasklet::spawn([] { return deep(5); }, {.name = "diver"});
    try {
      t.join();
      FAIL("join should have thrown");
    } catch (const JoinError& e) {
      CHECK(e.tasklet() == t);
      CHECK_FALSE(e.killed());
      CHECK(std::string(e.what()).find("diver") != std::string::npos);
      CHECK(std::string(e.what()).find("boom at the bottom") != std::string::npos);
      CHECK_THROWS_WITH_AS(e.rethrow_cause(), "boom at the bottom", std::runtime_error);
    }
    CHECK(t.failed());
    CHECK(t.error() != nullptr);
  });
}

TEST_CASE("join of a tasklet killed by another tasklet gives a JoinError whose cause is TaskletExit") {
  run_virtual([] {
    auto victim = Tasklet::spawn([] { Tasklet::sleep(10.0); });
    auto killer = Tasklet::spawn([victim] { victim.kill(); });
    killer.join();
    try {
      victim.join();
      FAIL("join should have thrown");
    } catch (const JoinError& e) {
      CHECK(e.killed());
      CHECK(e.tasklet() == victim);
      CHECK_THROWS_AS(e.rethrow_cause(), TaskletExit);
    }
  });
}

TEST_CASE("join with a timeout throws TimeoutError after it and leaves the tasklet running") {
  run_virtual([] {
    auto sleeper = Tasklet::spawn([] { Tasklet::sleep(10.0); }, {.name = "sleeper"});
    auto start = weft::now();
    try {
      sleeper.join(1.0);
      FAIL("join should have timed out");
    } catch (const TimeoutError& e) {
      CHECK(exact(since(start), 1.0));
      CHECK(std::string(e.what()).find("'sleeper'") != std::string::npos);
      CHECK(std::string(e.what()).find("1 s") != std::string::npos);
    }
    CHECK_FALSE(sleeper.has_finished());
    sleeper.kill();
  });
}

TEST_CASE("join_all gives results in input order with a JoinError in place of each failure") {
  run_virtual([] {
    std::vector<weft::TaskletOf<int>> ts{
        Tasklet::spawn([]() -> int { throw std::runtime_error("first"); }),
        Tasklet::spawn([] {
          Tasklet::sleep(0.02);
          return 1;
        }),
        Tasklet::spawn([] { return 2; }),
        Tasklet::spawn([]() -> int { throw std::logic_error("last"); }),
    };
    auto rs = Tasklet::join_all(ts);
    REQUIRE(rs.size() == 4);
    CHECK_FALSE(rs[0].ok());
    CHECK(rs[0].error().tasklet() == ts[0]);
    CHECK(rs[1].value() == 1);
    CHECK(rs[2].value() == 2);
    CHECK_FALSE(rs[3]);
    CHECK_THROWS_AS(rs[3].value(), JoinError);
    CHECK_THROWS_AS(rs[1].error(), std::logic_error);
  });
}

TEST_CASE("untyped join_all returns std::any values") {
  run_virtual([] {
    std::vector<Tasklet> ts{Tasklet::spawn([] { return 7; }), Tasklet::spawn([] {})};
    auto rs = Tasklet::join_all(ts);
    CHECK(std::any_cast<int>(rs[0].value()) == 7);
    CHECK_FALSE(rs[1].value().has_value());
    CHECK(std::any_cast<int>(Tasklet::join(ts[0])) == 7);
  });
}

TEST_CASE("join_all has one shared deadline") {
  run_virtual([] {
    std::vector<weft::TaskletOf<void>> ts{
        Tasklet::spawn([] { Tasklet::sleep(0.3); }),
        Tasklet::spawn([] { Tasklet::sleep(0.3); }),
        Tasklet::spawn([] { Tasklet::sleep(5.0); }),
    };
    auto start = weft::now();
    CHECK_THROWS_AS(Tasklet::join_all(ts, 0.5), TimeoutError);
    CHECK(exact(since(start), 0.5));
    CHECK(ts[0].has_finished());
    CHECK_FALSE(ts[2].has_finished());
    ts[2].kill();
  });
}

TEST_CASE("any number of tasklets may join the same tasklet") {
  run_virtual([] {
    auto target = Tasklet::spawn([] {
      Tasklet::sleep(0.05);
      return 5;
    });
    std::vector<weft::TaskletOf<int>> joiners;
    for (int i = 0; i < 5; ++i) joiners.push_back(Tasklet::spawn([target] { return target.join(); }));
    for (auto& j : joiners) CHECK(j.join() == 5);
  });
}

TEST_CASE("joiners wake in the order they began to wait, also after the first one gave up") {
  // The first joiner waits on the record itself, later ones in its wait
  // list: one that comes after the first gave up must still wake after those
  // already waiting.
  run_virtual([] {
    std::string order;
    auto target = Tasklet::spawn([] {
      Tasklet::sleep(0.05);
      return 1;
    });
    auto quitter = Tasklet::spawn([&order, target] {
      CHECK_THROWS_AS(target.join(0.01), TimeoutError);
      order += 'q';
    });
    auto first = Tasklet::spawn([&order, target] {
      CHECK(target.join() == 1);
      order += '1';
    });
    auto second = Tasklet::spawn([&order, target] {
      Tasklet::sleep(0.02);  // the quitter has given up by now
      CHECK(target.join() == 1);
      order += '2';
    });
    Tasklet::sleep(0.1);  // (a join here would run `first` before the others)
    CHECK(order == "q12");
    quitter.join();
    first.join();
    second.join();
  });
}

TEST_CASE("a joiner killed while it waits leaves; the others and later joiners get the result") {
  run_virtual([] {
    auto target = Tasklet::spawn([] {
      Tasklet::sleep(0.05);
      return 7;
    });
    auto victim = Tasklet::spawn([target] { return target.join(); });
    auto other = Tasklet::spawn([target] { return target.join(); });
    Tasklet::sleep(0.01);
    victim.kill();
    CHECK_THROWS_AS(victim.join(), JoinError);
    auto late = Tasklet::spawn([target] { return target.join(); });
    CHECK(late.join() == 7);
    CHECK(other.join() == 7);
    CHECK(target.join() == 7);
    auto alone = Tasklet::spawn([] { return 8; });  // a joiner that is the only one, again
    CHECK(alone.join() == 8);
  });
}

TEST_CASE("join misuse is a clear error") {
  run_virtual([] {
    auto self_joiner = Tasklet::spawn([] { Tasklet::join(Tasklet::current()); });
    CHECK_THROWS_WITH_AS(self_joiner.join(), doctest::Contains("cannot join itself"), JoinError);
    CHECK_THROWS_AS(Tasklet::join(Tasklet()), std::logic_error);
    CHECK_THROWS_AS(Tasklet().name(), std::logic_error);
  });
}

TEST_CASE("a finished tasklet can be joined after dispatch returned") {
  weft::TaskletOf<int> t;
  run_virtual([&] { t = Tasklet::spawn([] { return 3; }); });
  CHECK(t.join() == 3);
}

TEST_CASE("a move-only result is moved out by the first typed join") {
  run_virtual([] {
    auto t = Tasklet::spawn([] { return std::make_unique<int>(9); });
    auto p = t.join();
    REQUIRE(p);
    CHECK(*p == 9);
    CHECK_THROWS_WITH_AS(t.join(), doctest::Contains("already moved out"), std::logic_error);
    CHECK_THROWS_AS(Tasklet::join(static_cast<const Tasklet&>(t)), std::logic_error);
  });
}

TEST_CASE("a tasklet that fails and is never joined is logged once, with its name") {
  weft_test::LogCapture log;
  weft_test::run_logged(log, [] {
    Tasklet::spawn([] { throw std::runtime_error("nobody listens"); }, {.name = "lonely"});
    auto joined = Tasklet::spawn([] { throw std::runtime_error("somebody listens"); });
    auto killed = Tasklet::spawn([] { Tasklet::sleep(10.0); });
    Tasklet::sleep(0.01);
    CHECK_THROWS_AS(joined.join(), JoinError);
    killed.kill();
  });
  CHECK(log.count("nobody listens") == 1);
  CHECK(log.count("'lonely'") == 1);
  CHECK(log.count("somebody listens") == 0);
  CHECK(log.count("TaskletExit") == 0);
}


TEST_CASE("a join on a tasklet that has not started runs it next; its joiner runs right after it") {
  run_virtual([] {
    std::string order;
    auto a = Tasklet::spawn([&] { order += 'a'; });
    auto b = Tasklet::spawn([&] { order += 'b'; });
    auto c = Tasklet::spawn([&] { order += 'c'; });
    c.join();  // c was queued last: it runs first, then this joiner, before a and b
    order += 'J';
    Tasklet::yield_();
    CHECK(order == "cJab");
    a.join();
    b.join();
  });
}

TEST_CASE("under a seed, a join on the oldest not-started tasklet still runs it next") {
  // The joined tasklet is the run queue's head already: it must still move to
  // the slot a seeded order's shuffle leaves alone.
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    std::string order;
    weft::DispatchOptions options;
    options.schedule_seed = seed;
    run_virtual([&] {
      std::vector<Tasklet> others;
      auto a = Tasklet::spawn([&] { order += 'a'; });
      for (char c = 'b'; c < 'h'; ++c) others.push_back(Tasklet::spawn([&order, c] { order += c; }));
      a.join();
      order += 'J';
      CHECK(order == "aJ");
      for (auto& t : others) Tasklet::join(t);
    }, options);
  }
}

TEST_CASE("spawn alone keeps spawn order: a tasklet runs when its spawner yields, in order") {
  run_virtual([] {
    std::string order;
    auto a = Tasklet::spawn([&] { order += 'a'; });
    auto b = Tasklet::spawn([&] { order += 'b'; });
    order += 'm';
    Tasklet::yield_();
    CHECK(order == "mab");
    b.join();
    a.join();
  });
}

namespace {

// A tree of `fanout`^depth leaves; each inner node spawns its children, then
// joins them one by one. Records the most stacks in use that a leaf saw.
long tree(int depth, int fanout, std::size_t& most_stacks) {
  if (depth == 0) {
    most_stacks = std::max(most_stacks, weft::loop_stats().live_stacks);
    return 1;
  }
  std::vector<weft::TaskletOf<long>> kids;
  for (int i = 0; i < fanout; ++i) {
    kids.push_back(Tasklet::spawn([=, &most_stacks] { return tree(depth - 1, fanout, most_stacks); }));
  }
  long sum = 0;
  for (auto& k : kids) sum += k.join();
  return sum;
}

}  // namespace

TEST_CASE("a tree of tasklets joining their children runs depth first: a path's worth of stacks") {
  run_virtual([] {
    std::size_t most = 0;
    CHECK(tree(5, 8, most) == 8 * 8 * 8 * 8 * 8);
    // The dispatch tasklet, one node per level and the leaf; breadth first
    // the 4,681 inner nodes would all hold a stack before the first leaf ran.
    CHECK(most <= 7);
    CHECK(most >= 6);
  });
}

}
