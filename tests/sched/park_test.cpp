#include <string>
#include <vector>

#include "sched/detail/fiber.hpp"
#include "sched/detail/loop.hpp"
#include "sched/extension.hpp"
#include "sched/park.hpp"
#include "sched/wait_list.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::Deadline;
using weft::Tasklet;
using weft::Wake;
using weft::WaitList;
using weft_test::exact;
using weft_test::run;
using weft_test::run_virtual;
using weft_test::since;

TEST_SUITE("sched") {

TEST_CASE("park ends with the reason: ready (unpark), timed out (deadline), killed") {
  run_virtual([] {
    Wake seen = Wake::none;
    weft::detail::Fiber* parked = nullptr;
    auto t = Tasklet::spawn([&] {
      parked = &weft::current_fiber("test");
      seen = weft::park(Deadline::never());
    });
    Tasklet::yield_();
    REQUIRE(parked != nullptr);
    weft::unpark(*parked, Wake::ready);
    weft::unpark(*parked, Wake::timed_out);  // no-op: not parked any more
    t.join();
    CHECK(seen == Wake::ready);

    auto start = weft::now();
    CHECK(weft::park(Deadline::from(0.1)) == Wake::timed_out);
    CHECK(exact(since(start), 0.1));
    CHECK(weft::park(Deadline::from(0.0)) == Wake::timed_out);  // expired: no park at all

    auto victim = Tasklet::spawn([&] { seen = weft::park(Deadline::never()); });
    Tasklet::yield_();
    victim.kill();  // park returns killed; the caller chose not to throw
    CHECK(seen == Wake::killed);
    CHECK_FALSE(victim.failed());
  });
}

TEST_CASE("unpark with `first` puts the tasklet at the head of the run queue") {
  run_virtual([] {
    std::string order;
    weft::detail::Fiber* a_fiber = nullptr;
    auto a = Tasklet::spawn([&] {
      a_fiber = &weft::current_fiber("test");
      weft::park(Deadline::never());
      order += 'a';
    });
    Tasklet::yield_();
    auto b = Tasklet::spawn([&] { order += 'b'; });
    weft::unpark(*a_fiber, Wake::ready, true);
    Tasklet::yield_();
    CHECK(order == "ab");
    a.join();
    b.join();
  });
}

TEST_CASE("several unparks with `first`: the last one runs first, then the earlier ones, then the queue") {
  run_virtual([] {
    std::string order;
    std::vector<weft::detail::Fiber*> fibers(3, nullptr);
    std::vector<Tasklet> parked;
    for (int i = 0; i < 3; ++i) {
      parked.push_back(Tasklet::spawn([&, i] {
        fibers[i] = &weft::current_fiber("test");
        weft::park(Deadline::never());
        order += static_cast<char>('a' + i);
      }));
    }
    Tasklet::yield_();  // all three park
    auto queued = Tasklet::spawn([&] { order += 'q'; });
    weft::unpark(*fibers[0], Wake::ready, true);
    weft::unpark(*fibers[1], Wake::ready, true);
    weft::unpark(*fibers[2], Wake::ready, true);
    weft::unpark(*fibers[1], Wake::ready, true);  // already runnable: no-op
    Tasklet::yield_();
    CHECK(order == "cbaq");
    Tasklet::join_all(parked);
    queued.join();
  });
}

TEST_CASE("killing a tasklet that was just unparked with `first` takes it out of the queue") {
  run_virtual([] {
    std::string order;
    weft::detail::Fiber* fa = nullptr;
    weft::detail::Fiber* fb = nullptr;
    auto a = Tasklet::spawn([&] {
      fa = &weft::current_fiber("test");
      weft::park(Deadline::never());
      order += 'a';
    });
    auto b = Tasklet::spawn([&] {
      fb = &weft::current_fiber("test");
      if (weft::park(Deadline::never()) == Wake::killed) return;
      order += 'b';
    });
    Tasklet::yield_();
    weft::unpark(*fa, Wake::ready, true);
    weft::unpark(*fb, Wake::ready, true);  // b runs next, a after it
    b.kill();                               // b unwinds at once instead
    CHECK(b.has_finished());
    CHECK(order.empty());
    Tasklet::yield_();
    CHECK(order == "a");
    a.join();
    CHECK(weft::detail::current_loop()->runnable() == 0);
  });
}

TEST_CASE("check_wake turns reasons into exceptions with a message naming the call") {
  run_virtual([] {
    auto d = Deadline::from(1.5);
    CHECK_NOTHROW(weft::check_wake(Wake::ready, d, "frobnicate"));
    CHECK_THROWS_AS(weft::check_wake(Wake::killed, d, "frobnicate"), weft::TaskletExit);
    CHECK_THROWS_WITH_AS(weft::check_wake(Wake::timed_out, d, "frobnicate"),
                         "weft: frobnicate timed out after 1.5 s", weft::TimeoutError);
    CHECK(Deadline::never().is_never());
    CHECK(Deadline::at_ns(5).ns() == 5);
    CHECK_FALSE(d.from_scope());
  });
}

TEST_CASE("WaitList: FIFO, notify_one, notify_all, front_data, size") {
  run_virtual([] {
    WaitList list;
    std::string order;
    std::vector<Tasklet> ts;
    int tags[3] = {0, 1, 2};
    for (int i = 0; i < 3; ++i) {
      ts.push_back(Tasklet::spawn([&, i] {
        if (list.wait(Deadline::never(), &tags[i]) == Wake::ready) order += char('0' + i);
      }));
    }
    while (list.size() < 3) Tasklet::yield_();
    CHECK(list.front_data() == &tags[0]);
    CHECK(list.notify_one());
    Tasklet::yield_();
    CHECK(order == "0");
    CHECK(list.notify_all() == 2);
    CHECK(list.empty());
    CHECK_FALSE(list.notify_one());
    CHECK(list.front_data() == nullptr);
    Tasklet::join_all(ts);
    CHECK(order == "012");
  });
}

TEST_CASE("WaitList: a timed-out waiter leaves the list; a notification to a killed waiter is passed on") {
  run_virtual([] {
    WaitList list;
    auto start = weft::now();
    CHECK(list.wait(Deadline::from(0.05)) == Wake::timed_out);
    CHECK(exact(since(start), 0.05));
    CHECK(list.empty());

    bool second_woken = false;
    auto first = Tasklet::spawn([&] {
      auto d = Deadline::never();
      weft::check_wake(list.wait(d), d, "wait");
    });
    auto second = Tasklet::spawn([&] { second_woken = list.wait(Deadline::never()) == Wake::ready; });
    while (list.size() < 2) Tasklet::yield_();
    list.notify_one();  // reaches `first`...
    first.kill();       // ...which dies before it could act: `second` gets it
    second.join();
    CHECK(second_woken);
    CHECK(first.failed());
  });
}

TEST_CASE("WaitList::Place: a waiter that waits again keeps its turn ahead of later ones") {
  run_virtual([] {
    WaitList list;
    std::string order;
    auto a = Tasklet::spawn([&] {
      WaitList::Place place;
      list.wait(Deadline::never(), place);
      order += "a1 ";
      list.wait(Deadline::never(), place);  // beaten to it: back ahead of b and c
      order += "a2 ";
    });
    auto b = Tasklet::spawn([&] {
      WaitList::Place place;
      list.wait(Deadline::never(), place);
      order += "b1 ";
      list.wait(Deadline::never(), place);  // ahead of c, behind nobody
      order += "b2 ";
    });
    auto c = Tasklet::spawn([&] {
      list.wait(Deadline::never());
      order += "c ";
    });
    while (list.size() < 3) Tasklet::yield_();
    for (int i = 0; i < 5; ++i) {
      REQUIRE(list.notify_one());
      Tasklet::yield_();  // the woken one runs, then waits again or ends
    }
    CHECK(list.empty());
    Tasklet::join_all({a, b, c}, 1.0);
    // Without places: "a1 b1 c a2 b2".
    CHECK(order == "a1 a2 b1 b2 c ");
  });
}

TEST_CASE("WaitList::Place: a place on one list joins another at the back") {
  run_virtual([] {
    WaitList first, second;
    std::string order;
    std::vector<Tasklet> ts;
    for (const char* name : {"early1 ", "early2 "}) {
      ts.push_back(Tasklet::spawn([&, name] {
        second.wait(Deadline::never());
        order += name;
      }));
    }
    ts.push_back(Tasklet::spawn([&] {
      WaitList::Place place;
      first.wait(Deadline::never(), place);  // the first place on `first`...
      second.wait(Deadline::never(), place);  // ...is not the first on `second`
      order += "moving ";
    }));
    while (first.size() + second.size() < 3) Tasklet::yield_();
    first.notify_one();
    while (second.size() < 3) Tasklet::yield_();
    second.notify_all();
    Tasklet::join_all(ts, 1.0);
    CHECK(order == "early1 early2 moving ");
  });
}

TEST_CASE("KillShield nests and needs a tasklet") {
  CHECK_THROWS_AS(weft::KillShield(), weft::NotInTasklet);
  run_virtual([] {
    auto t = Tasklet::spawn([] {
      weft::KillShield outer;
      {
        weft::KillShield inner;
        Tasklet::sleep(0.02);
      }
      Tasklet::sleep(0.02);  // still shielded by `outer`
      return 1;
    });
    Tasklet::yield_();
    t.kill();
    CHECK(t.join() == 1);  // the deferred kill found no park after the shield
  });
}

TEST_CASE("current_fiber names the call when used outside a tasklet") {
  CHECK_THROWS_WITH_AS(weft::current_fiber("frobnicate()"),
                       doctest::Contains("frobnicate() must be called from a tasklet"),
                       weft::NotInTasklet);
  CHECK_THROWS_AS(Deadline::from(1.0), weft::NotInTasklet);
}


TEST_CASE("a park woken early leaves its deadline behind: the next park keeps its own deadline") {
  run_virtual([] {
    weft::detail::Fiber* parked = nullptr;
    std::vector<Wake> seen;
    std::vector<double> at;
    const auto start = weft::now();
    auto t = Tasklet::spawn([&] {
      parked = &weft::current_fiber("test");
      seen.push_back(weft::park(Deadline::from(0.05)));  // woken at once: its timer stays armed
      at.push_back(since(start));
      seen.push_back(weft::park(Deadline::from(0.2)));  // later: the stale 50 ms timer must not end it
      at.push_back(since(start));
      seen.push_back(weft::park(Deadline::never()));  // no deadline: nothing may end it but unpark
      at.push_back(since(start));
      seen.push_back(weft::park(Deadline::from(0.05)));  // earlier than anything armed: on time
      at.push_back(since(start));
    });
    Tasklet::yield_();
    weft::unpark(*parked, Wake::ready);
    Tasklet::sleep(0.3);  // past the second park's deadline; the third waits for us
    REQUIRE(seen.size() == 2);
    weft::unpark(*parked, Wake::ready);
    const auto fourth = weft::now();
    t.join();
    REQUIRE(seen.size() == 4);
    CHECK(seen[0] == Wake::ready);
    CHECK(at[0] < 0.04);
    CHECK(seen[1] == Wake::timed_out);
    CHECK(exact(at[1], 0.2));
    CHECK(seen[2] == Wake::ready);
    CHECK(seen[3] == Wake::timed_out);
    CHECK(exact(since(fourth), 0.05));
    CHECK(weft::loop_stats().pending_timers == 0);
  });
}

TEST_CASE("pending_timers counts only deadlines that still bound a wait") {
  run_virtual([] {
    weft::detail::Fiber* parked = nullptr;
    auto t = Tasklet::spawn([&] {
      parked = &weft::current_fiber("test");
      weft::park(Deadline::from(10.0));
      weft::park(Deadline::never());
    });
    Tasklet::yield_();
    CHECK(weft::loop_stats().pending_timers == 1);
    weft::unpark(*parked, Wake::ready);
    Tasklet::yield_();  // parked again, without a deadline: the 10 s timer is stale
    CHECK(weft::loop_stats().pending_timers == 0);
    weft::unpark(*parked, Wake::ready);
    t.join();
  });
}

}
