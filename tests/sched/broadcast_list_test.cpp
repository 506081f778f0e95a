#include <string>
#include <vector>

#include "sched/broadcast_list.hpp"
#include "sched/park.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::BroadcastList;
using weft::Deadline;
using weft::Tasklet;
using weft::Wake;
using weft::WaitKind;
using weft_test::run_virtual;

TEST_SUITE("sched") {

TEST_CASE("BroadcastList wakes every waiter in the order they came; the oldest can run next") {
  run_virtual([] {
    BroadcastList list;
    std::string order;
    std::vector<Tasklet> waiters;
    for (char c : std::string("abc")) {
      waiters.push_back(Tasklet::spawn([&, c] {
        CHECK(list.wait(Deadline::never(), WaitKind::other, &list) == Wake::ready);
        order += c;
      }));
    }
    Tasklet::yield_();
    CHECK(list.size() == 3);
    auto queued = Tasklet::spawn([&] { order += 'q'; });  // in the run queue before the wake-up
    CHECK(list.notify_all(true) == 3);
    CHECK(list.empty());
    for (auto& w : waiters) Tasklet::join(w);
    queued.join();
    CHECK(order == "aqbc");  // a first; b, c behind what was queued already
    CHECK(list.notify_all() == 0);
  });
}

TEST_CASE("BroadcastList: a waiter that comes after the oldest gave up queues behind the others") {
  run_virtual([] {
    BroadcastList list;
    std::string order;
    auto a = Tasklet::spawn([&] {  // waits in the list itself, then times out
      CHECK(list.wait(Deadline::from(0.1), WaitKind::other, &list) == Wake::timed_out);
    });
    Tasklet::yield_();
    auto b = Tasklet::spawn([&] {
      CHECK(list.wait(Deadline::never(), WaitKind::other, &list) == Wake::ready);
      order += 'b';
    });
    Tasklet::yield_();
    a.join();
    CHECK(list.size() == 1);
    auto c = Tasklet::spawn([&] {  // the list's own place is free, but b came first
      CHECK(list.wait(Deadline::never(), WaitKind::other, &list) == Wake::ready);
      order += 'c';
    });
    Tasklet::yield_();
    CHECK(list.notify_all(true) == 2);
    b.join();
    c.join();
    CHECK(order == "bc");
  });
}

TEST_CASE("BroadcastList: a killed waiter leaves, from the list's own place or from behind it") {
  run_virtual([] {
    BroadcastList list;
    int woken = 0;
    auto waiter = [&] {
      return Tasklet::spawn([&] {
        if (list.wait(Deadline::never(), WaitKind::other, &list) == Wake::ready) ++woken;
      });
    };
    auto first = waiter();
    auto second = waiter();
    auto third = waiter();
    Tasklet::yield_();
    CHECK(list.size() == 3);
    first.kill();   // the list's own place
    second.kill();  // behind it
    first.join();
    second.join();
    CHECK(list.size() == 1);
    auto fourth = waiter();
    Tasklet::yield_();
    CHECK(list.notify_all() == 2);
    third.join();
    fourth.join();
    CHECK(woken == 2);
    CHECK(list.empty());
  });
}

}  // TEST_SUITE
