// Event and Condition.

#include <mutex>
#include <stdexcept>
#include <vector>

#include "sync/condition.hpp"
#include "sync/event.hpp"
#include "sync/lock.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::Condition;
using weft::Event;
using weft::Lock;
using weft::Tasklet;
using weft::TimeoutError;
using weft_test::exact;
using weft_test::run;
using weft_test::run_virtual;
using weft_test::since;

TEST_SUITE("sync") {

TEST_CASE("Event: set wakes every waiter; wait returns at once while set; clear") {
  run_virtual([] {
    Event e;
    CHECK_FALSE(e.is_set());
    int woken = 0;
    for (int i = 0; i < 3; ++i) Tasklet::spawn([&] {
      e.wait();
      ++woken;
    });
    Tasklet::yield_();
    CHECK(e.waiting() == 3);
    e.set();
    e.set();  // no effect
    CHECK(e.is_set());
    e.clear();  // the woken waiters still return
    Tasklet::yield_();
    CHECK(woken == 3);
    CHECK(e.waiting() == 0);
    e.set();
    e.wait();  // set: returns at once
    e.clear();
    auto start = weft::now();
    CHECK_THROWS_AS(e.wait(0.2), TimeoutError);
    CHECK(exact(since(start), 0.2));
  });
}

TEST_CASE("Event and Condition: woken waiters return even if the object is gone by then") {
  run_virtual([] {
    int woken = 0;
    std::vector<Tasklet> ts;
    {
      Event e;
      Condition c;
      for (int i = 0; i < 3; ++i) ts.push_back(Tasklet::spawn([&] {
        e.wait();
        ++woken;
      }));
      for (int i = 0; i < 2; ++i) ts.push_back(Tasklet::spawn([&] {
        c.wait();
        ++woken;
      }));
      Tasklet::yield_();
      e.set();
      c.notify_all();
    }  // destroyed before the waiters run
    Tasklet::join_all(ts);
    CHECK(woken == 5);
  });
}

TEST_CASE("Condition: notify_one wakes the oldest, notify(n) up to n, notify_all the rest") {
  run_virtual([] {
    Condition c;
    std::vector<int> order;
    for (int i = 0; i < 5; ++i) Tasklet::spawn([&, i] {
      c.wait();
      order.push_back(i);
    });
    Tasklet::yield_();
    CHECK(c.waiting() == 5);
    CHECK(c.notify_one());
    CHECK(c.notify(2) == 2);
    Tasklet::yield_();
    CHECK(order == std::vector<int>{0, 1, 2});
    CHECK(c.notify_all() == 2);
    CHECK(c.notify(1) == 0);
    CHECK_FALSE(c.notify_one());
    Tasklet::yield_();
    CHECK(order.size() == 5);
    auto start = weft::now();
    CHECK_THROWS_AS(c.wait(0.2), TimeoutError);
    CHECK(exact(since(start), 0.2));
  });
}

TEST_CASE("Condition: wait(pred) under one deadline") {
  run_virtual([] {
    Condition c;
    int value = 0;
    auto setter = Tasklet::spawn([&] {
      for (int i = 1; i <= 3; ++i) {
        Tasklet::sleep(0.1);
        value = i;
        c.notify_all();
      }
    });
    auto start = weft::now();
    c.wait([&] { return value == 3; }, 1.0);
    CHECK(exact(since(start), 0.3));
    c.wait([&] { return value == 3; });  // already true: returns at once
    start = weft::now();
    CHECK_THROWS_AS(c.wait([&] { return value == 4; }, 0.2), TimeoutError);
    CHECK(exact(since(start), 0.2));
    setter.join();
  });
}

TEST_CASE("Condition: wait(lock) releases the lock while parked and holds it again after") {
  run_virtual([] {
    Lock lock;
    Condition c;
    std::vector<int> queue;
    auto consumer = Tasklet::spawn([&] {
      std::lock_guard<Lock> hold(lock);
      c.wait(lock, [&] { return !queue.empty(); }, 2.0);
      CHECK(lock.held());
      return queue.front();
    });
    Tasklet::yield_();
    CHECK_FALSE(lock.locked());
    {
      std::lock_guard<Lock> hold(lock);
      queue.push_back(7);
      c.notify_one();
    }
    CHECK(consumer.join() == 7);

    std::lock_guard<Lock> hold(lock);
    auto start = weft::now();
    CHECK_THROWS_AS(c.wait(lock, 0.2), TimeoutError);  // holds the lock again when it throws
    CHECK(exact(since(start), 0.2));
    CHECK(lock.held());
  });
}

TEST_CASE("Condition: wait(lock) without holding the lock is an error") {
  run_virtual([] {
    Lock lock;
    Condition c;
    CHECK_THROWS_AS(c.wait(lock, 0.1), std::logic_error);
    CHECK(c.waiting() == 0);
  });
}

TEST_CASE("a notification that reaches a waiter killed before it runs goes to the next one") {
  run_virtual([] {
    Condition c;
    std::vector<int> woken;
    auto a = Tasklet::spawn([&] {
      c.wait();
      woken.push_back(0);
    });
    auto b = Tasklet::spawn([&] {
      c.wait();
      woken.push_back(1);
    });
    Tasklet::yield_();
    c.notify_one();  // a
    a.kill();        // before it runs: b is woken instead
    Tasklet::yield_();
    CHECK(woken == std::vector<int>{1});
  });
}

}  // TEST_SUITE
