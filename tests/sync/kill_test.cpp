// Kill-safety: killing a tasklet parked in a channel (either side), a queue, a
// lock, a semaphore or a condition leaves every structure consistent: no value
// lost, no waiter left behind.

#include <mutex>
#include <vector>

#include "sync/channel.hpp"
#include "sync/condition.hpp"
#include "sync/deque.hpp"
#include "sync/lock.hpp"
#include "sync/queue_channel.hpp"
#include "sync/semaphore.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::Tasklet;
using weft::TaskletExit;
using weft_test::Counted;
using weft_test::run;

TEST_SUITE("sync") {

TEST_CASE("kill of a channel receiver handed a value before it ran: the value goes to the next one") {
  run([] {
    weft::Channel<Counted> ch(0);  // no preference: the sender keeps running
    std::vector<int> got;
    auto a = Tasklet::spawn([&] { got.push_back(ch.receive().value); });
    auto b = Tasklet::spawn([&] { got.push_back(ch.receive().value); });
    Tasklet::yield_();  // both parked
    CHECK(ch.balance() == -2);
    ch.send(Counted(1));  // handed to a, which is now runnable
    a.kill();             // a dies before it could run
    CHECK(ch.balance() == 0);  // b was handed the value instead
    b.join();
    CHECK(got == std::vector<int>{1});
    CHECK(Counted::live == 0);
  });
}

TEST_CASE("kill of the only channel receiver handed a value: the next receive gets it") {
  run([] {
    weft::Channel<Counted> ch(0);
    auto a = Tasklet::spawn([&] { ch.receive(); });
    Tasklet::yield_();
    ch.send(Counted(5));
    a.kill();
    CHECK(Counted::live == 1);  // kept in the channel
    CHECK_FALSE(ch.has_sender());
    CHECK(ch.receive(0.0).value == 5);
    CHECK(Counted::live == 0);
  });
}

TEST_CASE("kill of a parked channel sender: it leaves, its value was not sent") {
  run([] {
    weft::Channel<Counted> ch;
    auto s = Tasklet::spawn([&] { ch.send(Counted(1)); });
    Tasklet::yield_();
    CHECK(ch.has_sender());
    s.kill();
    CHECK_FALSE(ch.has_sender());
    CHECK(Counted::live == 0);
    CHECK_THROWS_AS(ch.receive(0.01), weft::TimeoutError);
  });
}

TEST_CASE("kill of a channel sender giving way after its value was taken: the value arrived") {
  run([] {
    weft::Channel<Counted> ch;  // preference -1: the sender gives way to the receiver
    std::vector<int> got;
    auto r = Tasklet::spawn([&] { got.push_back(ch.receive().value); });
    Tasklet::yield_();
    bool returned = false;
    auto s = Tasklet::spawn([&] {
      ch.send(Counted(3));
      returned = true;
    });
    Tasklet::yield_();  // s hands the value to r and gives way; r runs, then main
    CHECK(got == std::vector<int>{3});
    CHECK_FALSE(s.has_finished());
    s.kill();  // killed while giving way
    CHECK_FALSE(returned);
    CHECK(Counted::live == 0);
  });
}

TEST_CASE("kill of a channel receiver giving way after it took a value: the channel keeps it") {
  run([] {
    weft::Channel<Counted> ch(1);  // preference 1: the receiver gives way to the sender
    auto s = Tasklet::spawn([&] { ch.send(Counted(4)); });
    Tasklet::yield_();  // s parks in send
    auto r = Tasklet::spawn([&] { ch.receive(); });
    Tasklet::yield_();  // r takes the value and gives way; s returns; main runs
    CHECK(s.has_finished());
    CHECK_FALSE(r.has_finished());
    r.kill();  // killed while giving way, with the value in hand
    CHECK(Counted::live == 1);
    CHECK(ch.receive(0.0).value == 4);
    CHECK(Counted::live == 0);
  });
}

TEST_CASE("kill of a queue popper woken by a push: the item stays for the next one") {
  run([] {
    weft::Deque<int> d;
    weft::QueueChannel<int> q;
    std::vector<int> got;
    auto a = Tasklet::spawn([&] { got.push_back(d.pop_front()); });
    auto b = Tasklet::spawn([&] { got.push_back(d.pop_front()); });
    auto c = Tasklet::spawn([&] { got.push_back(q.receive()); });
    Tasklet::yield_();
    d.push_back(1);
    q.send(2);
    a.kill();
    c.kill();
    b.join();
    CHECK(got == std::vector<int>{1});
    CHECK(q.size() == 1);
    CHECK(d.waiting() == 0);
    CHECK_FALSE(q.has_receiver());
  });
}

TEST_CASE("kill of a waiter handed the lock: it does not stay held by the dead tasklet") {
  run([] {
    weft::Lock lock;
    lock.acquire();
    int holders = 0;
    auto a = Tasklet::spawn([&] {
      std::lock_guard<weft::Lock> hold(lock);
      ++holders;
    });
    auto b = Tasklet::spawn([&] {
      std::lock_guard<weft::Lock> hold(lock);
      ++holders;
    });
    Tasklet::yield_();
    CHECK(lock.waiting() == 2);
    lock.release();  // handed to a...
    a.kill();        // ...which dies before it runs: b gets it
    b.join(1.0);
    CHECK(holders == 1);
    CHECK_FALSE(lock.locked());
    CHECK(lock.waiting() == 0);
  });
}

TEST_CASE("kill of the only waiter handed the lock frees it") {
  run([] {
    weft::Lock lock;
    lock.acquire();
    auto a = Tasklet::spawn([&] { lock.acquire(); });
    Tasklet::yield_();
    lock.release();
    CHECK(lock.locked());  // a's now
    a.kill();
    CHECK_FALSE(lock.locked());
    CHECK(lock.try_acquire());
    lock.release();
  });
}

TEST_CASE("kill of a waiter handed a semaphore unit gives the unit on") {
  run([] {
    weft::Semaphore sem(0);
    auto a = Tasklet::spawn([&] { sem.acquire(); });
    Tasklet::yield_();
    sem.release();  // handed to a
    CHECK(sem.value() == 0);
    a.kill();
    CHECK(sem.value() == 1);
  });
}

TEST_CASE("kill during a Condition wait with a lock: the lock is held again while unwinding") {
  run([] {
    weft::Lock lock;
    weft::Condition cond;
    bool held_while_unwinding = false;
    auto t = Tasklet::spawn([&] {
      std::lock_guard<weft::Lock> hold(lock);
      try {
        cond.wait(lock);
      } catch (const TaskletExit&) {
        held_while_unwinding = lock.held();
        throw;
      }
    });
    Tasklet::yield_();
    CHECK_FALSE(lock.locked());  // released while waiting
    t.kill();
    CHECK(held_while_unwinding);
    CHECK_FALSE(lock.locked());
    CHECK(cond.waiting() == 0);
  });
}

}  // TEST_SUITE
