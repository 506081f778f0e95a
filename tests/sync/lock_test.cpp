// Lock and Semaphore: Concurrence's behaviours (Semaphore(4), eight holders
// of 1 s in ~2 s; five Lock holders of 1 s in ~5 s), FIFO hand-over, errors.

#include <mutex>
#include <stdexcept>
#include <vector>

#include "sync/lock.hpp"
#include "sync/semaphore.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::Lock;
using weft::Semaphore;
using weft::Tasklet;
using weft::TimeoutError;
using weft_test::exact;
using weft_test::run;
using weft_test::run_virtual;
using weft_test::since;

TEST_SUITE("sync") {

TEST_CASE("Semaphore(4): four acquires leave 0 and a non-blocking acquire then fails") {
  run_virtual([] {
    Semaphore sem(4);
    for (int i = 0; i < 4; ++i) sem.acquire();
    CHECK(sem.value() == 0);
    CHECK_FALSE(sem.try_acquire());
    for (int i = 0; i < 4; ++i) sem.release();
    CHECK(sem.value() == 4);
  });
}

TEST_CASE("Semaphore(4): eight tasklets each holding it for 1 s finish in ~2 s") {
  run_virtual([] {
    Semaphore sem(4);
    std::vector<Tasklet> ts;
    auto start = weft::now();
    for (int i = 0; i < 8; ++i) {
      ts.push_back(Tasklet::spawn([&] {
        std::lock_guard<Semaphore> hold(sem);
        Tasklet::sleep(1.0);
      }));
    }
    Tasklet::join_all(ts);
    CHECK(exact(since(start), 2.0));
    CHECK(sem.value() == 4);
  });
}

TEST_CASE("Lock: five tasklets each holding it for 1 s finish in ~5 s") {
  run_virtual([] {
    Lock lock;
    std::vector<Tasklet> ts;
    auto start = weft::now();
    for (int i = 0; i < 5; ++i) {
      ts.push_back(Tasklet::spawn([&] {
        std::lock_guard<Lock> hold(lock);
        Tasklet::sleep(1.0);
      }));
    }
    Tasklet::join_all(ts);
    CHECK(exact(since(start), 5.0));
    CHECK_FALSE(lock.locked());
  });
}

TEST_CASE("Lock: waiters get it in the order they came; acquire times out") {
  run_virtual([] {
    Lock lock;
    std::vector<int> order;
    lock.acquire();
    CHECK(lock.locked());
    CHECK(lock.held());
    for (int i = 0; i < 3; ++i) {
      Tasklet::spawn([&, i] {
        lock.acquire();
        order.push_back(i);
        Tasklet::yield_();
        lock.release();
      });
    }
    Tasklet::yield_();
    CHECK(lock.waiting() == 3);
    CHECK_FALSE(lock.try_acquire());  // main holds it
    auto start = weft::now();
    auto t = Tasklet::spawn([&] { lock.acquire(0.2); });
    CHECK_THROWS_AS(t.join(), weft::JoinError);
    CHECK(exact(since(start), 0.2));
    lock.release();
    CHECK(lock.locked());  // handed straight to the first waiter
    CHECK_FALSE(lock.held());
    while (lock.locked()) Tasklet::yield_();
    CHECK(order == std::vector<int>{0, 1, 2});
    CHECK(lock.try_acquire());
    lock.unlock();
    CHECK(lock.try_lock());
    lock.unlock();
  });
}

TEST_CASE("Lock: misuse is reported") {
  run_virtual([] {
    Lock lock;
    CHECK_THROWS_AS(lock.release(), std::logic_error);  // nobody holds it
    lock.lock();
    CHECK_THROWS_AS(lock.acquire(), std::logic_error);  // not recursive
    auto other = Tasklet::spawn([&] { CHECK_THROWS_AS(lock.release(), std::logic_error); });
    other.join();
    lock.unlock();
  });
  Lock lock;
  CHECK_THROWS_AS(lock.acquire(), weft::NotInTasklet);
}

TEST_CASE("Semaphore: units go to waiters in order; acquire times out; release from anywhere") {
  run_virtual([] {
    Semaphore sem(0);
    std::vector<int> order;
    for (int i = 0; i < 3; ++i) {
      Tasklet::spawn([&, i] {
        sem.acquire();
        order.push_back(i);
      });
    }
    Tasklet::yield_();
    CHECK(sem.waiting() == 3);
    CHECK_FALSE(sem.try_lock());
    for (int i = 0; i < 3; ++i) sem.unlock();
    CHECK(sem.value() == 0);
    Tasklet::yield_();
    CHECK(order == std::vector<int>{0, 1, 2});
    auto start = weft::now();
    CHECK_THROWS_AS(sem.acquire(0.2), TimeoutError);
    CHECK(exact(since(start), 0.2));
    sem.release();
    sem.lock();
    CHECK(sem.value() == 0);
  });
}

}  // TEST_SUITE
