#include <stdexcept>
#include <string>
#include <unistd.h>

#include "sched/fd_watch.hpp"
#include "sched/timer.hpp"
#include "sched/to_thread.hpp"
#include "sched/wait_list.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::Deadline;
using weft::Tasklet;
using weft::TaskletExit;
using weft_test::check_kill_during;
using weft_test::run;

TEST_SUITE("tasklet") {

TEST_CASE("kill runs the victim's destructors and catch blocks before kill() returns") {
  run([] {
    std::vector<std::string> events;
    auto t = Tasklet::spawn([&] {
      struct Guard {
        std::vector<std::string>& ev;
        ~Guard() { ev.push_back("destructor"); }
      } g{events};
      try {
        Tasklet::sleep(10.0);
      } catch (const TaskletExit&) {
        events.push_back("catch");
        throw;
      }
    });
    Tasklet::yield_();
    t.kill();
    events.push_back("kill returned");
    CHECK(events == std::vector<std::string>{"catch", "destructor", "kill returned"});
  });
}

TEST_CASE("kill at every kind of park in the core") {
  run([] {
    check_kill_during("sleep", [] { Tasklet::sleep(10.0); });
    check_kill_during("sleep(never)", [] { Tasklet::sleep(weft::never); });
    check_kill_during("yield_", [] {
      for (;;) Tasklet::yield_();
    });
    check_kill_during("join", [] {
      auto other = Tasklet::spawn([] { Tasklet::sleep(0.2); });
      other.join();
    });
    check_kill_during("join_all", [] {
      std::vector<Tasklet> ts{Tasklet::spawn([] { Tasklet::sleep(0.2); })};
      Tasklet::join_all(ts);
    });
    weft::WaitList list;
    check_kill_during("a wait list", [&] {
      weft::check_wake(list.wait(Deadline::never()), Deadline::never(), "test wait");
    });
    CHECK(list.empty());  // no waiter left behind
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    {
      weft::FdWatch watch(fds[0]);
      check_kill_during("an fd wait", [&] { watch.wait_readable(); });
      CHECK(watch.waiting_readers() == 0);
    }
    ::close(fds[0]);
    ::close(fds[1]);
    check_kill_during("to_thread", [] { weft::to_thread([] { ::usleep(200000); }); });
    Tasklet::sleep(0.3);  // let the abandoned worker job finish before the loop ends
  });
}

TEST_CASE("TaskletExit is not caught by catch (const std::exception&)") {
  run([] {
    bool swallowed = false;
    auto t = Tasklet::spawn([&] {
      try {
        Tasklet::sleep(10.0);
      } catch (const std::exception&) {
        swallowed = true;
      }
    });
    Tasklet::yield_();
    t.kill();
    CHECK_FALSE(swallowed);
    CHECK(t.failed());
  });
}

TEST_CASE("a tasklet may catch TaskletExit and survive; kill() returns when it parks again") {
  run([] {
    int kills_seen = 0;
    auto t = Tasklet::spawn([&] {
      for (;;) {
        try {
          Tasklet::sleep(10.0);
        } catch (const TaskletExit&) {
          if (++kills_seen == 2) throw;
        }
      }
    });
    Tasklet::yield_();
    t.kill();
    CHECK(kills_seen == 1);
    CHECK_FALSE(t.has_finished());
    t.kill();
    CHECK(kills_seen == 2);
    CHECK(t.has_finished());
  });
}

TEST_CASE("killing a tasklet that never ran finishes it without running it") {
  run([] {
    bool ran = false;
    auto t = Tasklet::spawn([&] { ran = true; });
    t.kill();
    CHECK(t.has_finished());
    Tasklet::yield_();
    CHECK_FALSE(ran);
    CHECK(t.stack_size() == 0);
    CHECK_THROWS_AS(t.join(), weft::JoinError);
  });
}

TEST_CASE("killing a finished tasklet does nothing; killing yourself throws TaskletExit") {
  run([] {
    auto done = Tasklet::spawn([] { return 1; });
    CHECK(done.join() == 1);
    done.kill();
    CHECK(done.join() == 1);

    auto self = Tasklet::spawn([] {
      Tasklet::current().kill();
      return 2;
    });
    auto r = Tasklet::join_all(std::vector<weft::TaskletOf<int>>{self});
    CHECK(r[0].error().killed());
  });
}

TEST_CASE("kill from a Timer callback (outside any tasklet) unwinds the victim") {
  run([] {
    bool cleaned = false;
    auto t = Tasklet::spawn([&] {
      struct C {
        bool& f;
        ~C() { f = true; }
      } c{cleaned};
      Tasklet::sleep(10.0);
    });
    weft::Timer timer(std::chrono::milliseconds(20), [&] {
      t.kill();
      CHECK(cleaned);
    });
    auto r = Tasklet::join_all(std::vector<Tasklet>{t});
    CHECK(r[0].error().killed());
  });
}

TEST_CASE("a kill of a tasklet inside a KillShield is delivered when the shield ends") {
  run([] {
    std::vector<std::string> ev;
    auto t = Tasklet::spawn([&] {
      {
        weft::KillShield shield;
        Tasklet::sleep(0.05);  // not interrupted
        ev.push_back("shielded sleep done");
      }
      Tasklet::sleep(10.0);  // the deferred kill lands here
      ev.push_back("not reached");
    });
    Tasklet::yield_();
    t.kill();  // returns at once: the victim is shielded
    ev.push_back("kill returned");
    CHECK_THROWS_AS(t.join(), weft::JoinError);
    CHECK(ev == std::vector<std::string>{"kill returned", "shielded sleep done"});
  });
}

TEST_CASE("a killer that is itself killed while waiting for its victim gets it afterwards") {
  run([] {
    std::vector<std::string> ev;
    Tasklet killer;
    auto victim = Tasklet::spawn([&] {
      try {
        Tasklet::sleep(10.0);
      } catch (const TaskletExit&) {
        killer.kill();  // the killer waits inside kill(): deferred
        ev.push_back("victim unwound");
        throw;
      }
    });
    killer = Tasklet::spawn([&] {
      victim.kill();
      ev.push_back("killer after kill");
      Tasklet::sleep(10.0);  // the deferred kill is delivered here
      ev.push_back("not reached");
    });
    auto r = Tasklet::join_all(std::vector<Tasklet>{victim, killer});
    CHECK(r[0].error().killed());
    CHECK(r[1].error().killed());
    CHECK(ev == std::vector<std::string>{"victim unwound", "killer after kill"});
  });
}

}
