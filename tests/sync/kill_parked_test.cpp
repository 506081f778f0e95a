// Kill-safety, continued: a tasklet killed while *parked* (not yet woken) in
// a channel, a queue, a lock, a semaphore or an Event leaves the structure
// consistent. Each case checks it with a follow-up operation: the next sender,
// receiver or locker is served, and no value is lost or leaked
// (weft_test::Counted).

#include <mutex>
#include <vector>

#include "sync/channel.hpp"
#include "sync/deque.hpp"
#include "sync/event.hpp"
#include "sync/lock.hpp"
#include "sync/queue_channel.hpp"
#include "sync/semaphore.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::Tasklet;
using weft_test::Counted;
using weft_test::run;

TEST_SUITE("sync") {

TEST_CASE("kill of a parked channel receiver: the next receiver gets the value") {
  run([] {
    weft::Channel<Counted> ch;
    auto a = Tasklet::spawn([&] { return ch.receive().value; });
    auto b = Tasklet::spawn([&] { return ch.receive().value; });
    Tasklet::yield_();
    CHECK(ch.balance() == -2);
    a.kill();
    CHECK(ch.balance() == -1);
    CHECK(ch.has_receiver());
    ch.send(Counted(7));
    CHECK(b.join(1.0) == 7);
    CHECK_FALSE(ch.has_receiver());
    CHECK(Counted::live == 0);
  });
}

TEST_CASE("kill of a parked channel sender: the next sender's value is received, nothing leaks") {
  run([] {
    weft::Channel<Counted> ch;
    auto a = Tasklet::spawn([&] { ch.send(Counted(1)); });
    auto b = Tasklet::spawn([&] { ch.send(Counted(2)); });
    Tasklet::yield_();
    CHECK(ch.balance() == 2);
    CHECK(Counted::live == 2);
    a.kill();
    CHECK(ch.balance() == 1);
    CHECK(Counted::live == 1);  // a's value died with a: it was never sent
    CHECK(ch.receive(1.0).value == 2);
    b.join(1.0);
    CHECK_FALSE(ch.has_sender());
    CHECK(Counted::live == 0);
  });
}

TEST_CASE("kill of a parked queue popper or queue sender: the others are served in order") {
  run([] {
    weft::Deque<int> d;
    auto a = Tasklet::spawn([&] { return d.pop_front(); });
    auto b = Tasklet::spawn([&] { return d.pop_front(); });
    Tasklet::yield_();
    a.kill();
    CHECK(d.waiting() == 1);
    d.push_back(5);
    CHECK(b.join(1.0) == 5);
    CHECK(d.empty());

    weft::QueueChannel<Counted> q(1);
    q.send(Counted(0));
    auto s1 = Tasklet::spawn([&] { q.send(Counted(1)); });
    auto s2 = Tasklet::spawn([&] { q.send(Counted(2)); });
    Tasklet::yield_();
    s1.kill();
    CHECK(q.has_sender());  // s2 still waits
    CHECK(q.receive(0.0).value == 0);
    s2.join(1.0);
    CHECK(q.receive(0.0).value == 2);
    CHECK_FALSE(q.has_sender());
    CHECK(Counted::live == 0);
  });
}

TEST_CASE("kill of a parked lock waiter: the lock goes to the next waiters, in order") {
  run([] {
    weft::Lock lock;
    std::vector<int> order;
    lock.acquire();
    std::vector<Tasklet> ts;
    for (int i = 0; i < 3; ++i) {
      ts.push_back(Tasklet::spawn([&, i] {
        std::lock_guard<weft::Lock> hold(lock);
        order.push_back(i);
      }));
    }
    Tasklet::yield_();
    CHECK(lock.waiting() == 3);
    ts[1].kill();
    CHECK(lock.waiting() == 2);
    lock.release();
    Tasklet::join(ts[0], 1.0);
    Tasklet::join(ts[2], 1.0);
    CHECK(order == std::vector<int>{0, 2});
    CHECK_FALSE(lock.locked());
    CHECK(lock.try_acquire());  // a later locker is served at once
    lock.release();
  });
}

TEST_CASE("kill of a lock holder: its guard hands the lock to the waiter") {
  run([] {
    weft::Lock lock;
    auto holder = Tasklet::spawn([&] {
      std::lock_guard<weft::Lock> hold(lock);
      Tasklet::sleep(weft::never);
    });
    bool got = false;
    auto waiter = Tasklet::spawn([&] {
      std::lock_guard<weft::Lock> hold(lock);
      got = true;
    });
    Tasklet::yield_();
    CHECK(lock.locked());
    CHECK(lock.waiting() == 1);
    holder.kill();
    waiter.join(1.0);
    CHECK(got);
    CHECK_FALSE(lock.locked());
    CHECK(lock.waiting() == 0);
  });
}

TEST_CASE("kill of a parked semaphore waiter: units go to the remaining waiter, then back to the count") {
  run([] {
    weft::Semaphore sem(0);
    auto a = Tasklet::spawn([&] { sem.acquire(); });
    auto b = Tasklet::spawn([&] { sem.acquire(); });
    Tasklet::yield_();
    CHECK(sem.waiting() == 2);
    a.kill();
    CHECK(sem.waiting() == 1);
    sem.release();
    b.join(1.0);
    CHECK(sem.value() == 0);
    sem.release();
    CHECK(sem.value() == 1);
  });
}

TEST_CASE("kill of an Event waiter: it leaves the list; set wakes the rest") {
  run([] {
    weft::Event ev;
    auto a = Tasklet::spawn([&] { ev.wait(); });
    auto b = Tasklet::spawn([&] { ev.wait(); });
    Tasklet::yield_();
    CHECK(ev.waiting() == 2);
    a.kill();
    CHECK(ev.waiting() == 1);
    ev.set();
    b.join(1.0);
    CHECK(ev.waiting() == 0);
  });
}

}  // TEST_SUITE
