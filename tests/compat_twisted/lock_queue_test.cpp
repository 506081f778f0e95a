// DeferredLock, DeferredSemaphore, DeferredQueue (conformance §1, §2 cases 55-59).

#include <string>
#include <vector>

#include "tests/compat_twisted/support.hpp"

using namespace weft::twisted;
using twisted_test::GenericError;
using twisted_test::run;

TEST_SUITE("compat_twisted") {

TEST_CASE("case 55: DeferredLock acquire, FIFO hand-over, run(), cancel while queued") {
  run([] {
    DeferredLock lock;
    Deferred first = lock.acquire();
    REQUIRE(first.called());
    CHECK(first.result().as<DeferredLock*>() == &lock);
    CHECK(lock.locked());
    Deferred second = lock.acquire();
    CHECK_FALSE(second.called());
    lock.release();
    CHECK(second.called());
    CHECK(lock.locked());  // handed straight over
    lock.release();
    CHECK_FALSE(lock.locked());

    Deferred inner;
    std::vector<std::string> log;
    Deferred ran = lock.run([&](const std::string& arg) {
      log.push_back("f " + arg);
      return inner;
    }, "x");
    CHECK(lock.locked());
    Deferred waiting = lock.run([&] { log.push_back("g"); });
    CHECK(log == std::vector<std::string>{"f x"});
    inner.callback("inner result");
    CHECK(ran.result().as<std::string>() == "inner result");
    CHECK(log == std::vector<std::string>{"f x", "g"});
    CHECK(waiting.called());
    CHECK_FALSE(lock.locked());

    Deferred holder = lock.acquire();
    Deferred queued = lock.acquire();
    bool cancelled = false;
    queued.addErrback([&](const Failure& f) { cancelled = f.check<CancelledError>() != nullptr; });
    queued.cancel();
    CHECK(cancelled);
    CHECK(lock.waiting().empty());
    lock.release();
    CHECK_FALSE(lock.locked());
  });
}

TEST_CASE("DeferredLock: run() releases on failure; release of an unlocked lock is an error") {
  run([] {
    DeferredLock lock;
    Deferred d = lock.run([]() -> int { throw GenericError("in run"); });
    CHECK(d.result().failure().check<GenericError>());
    d.addErrback([](const Failure&) {});
    CHECK_FALSE(lock.locked());
    CHECK_THROWS_AS(lock.release(), std::logic_error);
  });
}

TEST_CASE("case 56: cancel after acquisition does nothing; before it fails (lock and semaphore)") {
  run([] {
    DeferredLock lock;
    Deferred got = lock.acquire();
    got.cancel();
    CHECK(got.result().is<DeferredLock*>());
    CHECK(lock.locked());
    Deferred waiting = lock.acquire();
    waiting.cancel();
    CHECK(waiting.result().failure().check<CancelledError>());
    waiting.addErrback([](const Failure&) {});
    lock.release();
    CHECK_FALSE(lock.locked());

    DeferredSemaphore sem(1);
    Deferred s1 = sem.acquire();
    s1.cancel();
    CHECK(s1.result().is<DeferredSemaphore*>());
    Deferred s2 = sem.acquire();
    s2.cancel();
    CHECK(s2.result().failure().check<CancelledError>());
    s2.addErrback([](const Failure&) {});
    CHECK(sem.waiting().empty());
    sem.release();
    CHECK(sem.tokens() == 1);
  });
}

TEST_CASE("case 57: a 13-token semaphore makes the 14th acquire wait; tokens < 1 is invalid") {
  run([] {
    DeferredSemaphore sem(13);
    CHECK(sem.limit() == 13);
    std::vector<Deferred> held;
    for (int i = 0; i < 13; ++i) {
      held.push_back(sem.acquire());
      CHECK(held.back().called());
    }
    CHECK(sem.tokens() == 0);
    Deferred fourteenth = sem.acquire();
    CHECK_FALSE(fourteenth.called());
    sem.release();
    CHECK(fourteenth.called());
    CHECK(sem.tokens() == 0);
    for (int i = 0; i < 13; ++i) sem.release();
    CHECK(sem.tokens() == 13);
    CHECK_THROWS_AS(sem.release(), std::logic_error);
    CHECK_THROWS_AS(DeferredSemaphore(0), std::invalid_argument);
    CHECK_THROWS_AS(DeferredSemaphore(-1), std::invalid_argument);
    int count = 0;
    Deferred r = sem.run([&] { return ++count; });
    CHECK(r.result().as<int>() == 1);
    CHECK(sem.tokens() == 13);
  });
}

TEST_CASE("case 58: DeferredQueue with size 2 and backlog 2") {
  run([] {
    DeferredQueue q(2, 2);
    CHECK(q.size() == 2u);
    CHECK(q.backlog() == 2u);
    std::vector<int> got;
    auto record = [&](int v) { got.push_back(v); };
    q.get().addCallback(record);
    q.get().addCallback(record);
    CHECK_THROWS_AS(q.get(), QueueUnderflow);
    q.put(1);
    q.put(2);
    CHECK(got == std::vector<int>{1, 2});
    q.put(3);
    q.put(4);
    CHECK_THROWS_AS(q.put(5), QueueOverflow);
    CHECK(q.pending().size() == 2);
    q.get().addCallback(record);
    q.get().addCallback(record);
    CHECK(got == std::vector<int>{1, 2, 3, 4});

    DeferredQueue zero(0, 0);
    CHECK_THROWS_AS(zero.put(1), QueueOverflow);
    CHECK_THROWS_AS(zero.get(), QueueUnderflow);
    DeferredQueue sizeZero(0);
    Deferred waiter = sizeZero.get();
    sizeZero.put(9);  // a waiter takes it even with size 0
    CHECK(waiter.result().as<int>() == 9);
    CHECK_THROWS_AS(sizeZero.put(Deferred()), std::invalid_argument);
  });
}

TEST_CASE("case 59: a cancelled get fails and frees its slot; a later put goes to a new get") {
  run([] {
    DeferredQueue q(std::nullopt, 1);
    Deferred g = q.get();
    g.cancel();
    CHECK(g.result().failure().check<CancelledError>());
    g.addErrback([](const Failure&) {});
    CHECK(q.waiting().empty());
    Deferred g2 = q.get();  // the backlog slot is free again
    q.put("item");
    CHECK(g2.result().as<std::string>() == "item");
    CHECK_FALSE(q.size());
  });
}

}
