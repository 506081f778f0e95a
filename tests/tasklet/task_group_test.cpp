#include <stdexcept>
#include <string>

#include "tasklet/task_group.hpp"
#include "tests/support/weft_test.hpp"

using weft::TaskGroup;
using weft::Tasklet;
using weft_test::near;
using weft_test::run;
using weft_test::since;

TEST_SUITE("tasklet") {

TEST_CASE("TaskGroup::join waits for every member") {
  run([] {
    int done = 0;
    TaskGroup g;
    for (int i = 1; i <= 3; ++i) {
      g.spawn([&done, i] {
        Tasklet::sleep(0.02 * i);
        ++done;
      });
    }
    CHECK(g.size() == 3);
    g.join();
    CHECK(done == 3);
    CHECK_FALSE(g.first_failure());
  });
}

TEST_CASE("when a member fails the others are killed and join rethrows the first failure") {
  run([] {
    bool other_cleaned = false;
    auto start = weft::now();
    TaskGroup g;
    g.spawn([&] {
      struct C {
        bool& f;
        ~C() { f = true; }
      } c{other_cleaned};
      Tasklet::sleep(10.0);
    });
    g.spawn([] {
      Tasklet::sleep(0.05);
      throw std::runtime_error("member failed");
    });
    CHECK_THROWS_WITH_AS(g.join(), "member failed", std::runtime_error);
    CHECK(other_cleaned);
    CHECK(since(start) < 1.0);
    for (const auto& m : g.members()) CHECK(m.has_finished());
  });
}

TEST_CASE("TaskGroup::join times out and leaves the members running") {
  run([] {
    TaskGroup g;
    auto m = g.spawn([] { Tasklet::sleep(10.0); });
    auto start = weft::now();
    CHECK_THROWS_AS(g.join(0.1), weft::TimeoutError);
    CHECK(near(since(start), 0.1));
    CHECK_FALSE(m.has_finished());
    g.kill();
    CHECK(m.has_finished());
  });
}

TEST_CASE("the group's destructor waits for its members, and kills them when leaving by exception") {
  run([] {
    int done = 0;
    {
      TaskGroup g;
      g.spawn([&] {
        Tasklet::sleep(0.05);
        ++done;
      });
    }
    CHECK(done == 1);

    bool killed = false;
    try {
      TaskGroup g;
      g.spawn([&] {
        try {
          Tasklet::sleep(10.0);
        } catch (const weft::TaskletExit&) {
          killed = true;
          throw;
        }
      });
      Tasklet::yield_();
      throw std::runtime_error("scope failed");
    } catch (const std::runtime_error&) {
    }
    CHECK(killed);
  });
}

TEST_CASE("a member failure nobody joined is logged by the destructor") {
  weft_test::LogCapture log;
  weft_test::run_logged(log, [] {
    TaskGroup g;
    g.spawn([] { throw std::runtime_error("unheard"); });
  });
  CHECK(log.count("TaskGroup member failed") == 1);
  CHECK(log.count("unheard") == 1);
}

TEST_CASE("a TaskGroup must live in a tasklet") {
  CHECK_THROWS_AS(TaskGroup(), weft::NotInTasklet);
}

}

TEST_SUITE("tasklet") {

TEST_CASE("at exit, a tasklet waiting in a TaskGroup destructor finishes instead of being leaked") {
  weft_test::LogCapture log;
  bool after_group = false;
  bool unwound = false;
  weft_test::run_logged(log, [&] {
    Tasklet::spawn([&] {
      struct C {
        bool& f;
        ~C() { f = true; }
      } c{unwound};
      {
        TaskGroup g;
        g.spawn([] { Tasklet::sleep(10.0); });
      }  // the destructor waits (shielded) for the member
      after_group = true;
      Tasklet::sleep(10.0);  // the deferred kill lands here
    });
    Tasklet::sleep(0.02);
    weft::quit(0);
  });
  CHECK(after_group);
  CHECK(unwound);
  CHECK(log.count("survived") == 0);
}

}
