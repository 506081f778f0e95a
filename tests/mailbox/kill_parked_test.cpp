// Kill-safety, continued: a tasklet killed while *parked* (not yet woken) in
// receive, call, a send to a full mailbox, a channel, a queue, a lock or a
// semaphore leaves the structure consistent. Each case checks it with a
// follow-up operation: the next sender, receiver or locker is served, and no
// message or value is lost or leaked (weft_test::Counted).

#include <mutex>
#include <string>
#include <vector>

#include "mailbox/mailbox.hpp"
#include "sync/channel.hpp"
#include "sync/deque.hpp"
#include "sync/event.hpp"
#include "sync/lock.hpp"
#include "sync/queue_channel.hpp"
#include "sync/semaphore.hpp"
#include "tests/support/weft_test.hpp"

using weft::CallError;
using weft::Message;
using weft::Tasklet;
using weft_test::Counted;
using weft_test::run;

TEST_SUITE("mailbox") {

TEST_CASE("kill in receive: the tasklet's messages are freed, later sends refused, calls fail") {
  run([] {
    auto t = Tasklet::spawn([] { weft::receive_batch(3, weft::never, 5.0); });
    bool call_failed = false;
    auto caller = Tasklet::spawn([&] {
      try {
        weft::call<int>(t, Counted(1));
      } catch (const CallError&) {
        call_failed = true;
      }
    });
    weft::send(t, Counted(2));
    Tasklet::yield_();  // t holds 2 of the 3 it waits for; the caller waits for its reply
    CHECK(weft::mailbox_size(t) == 2);
    const int queued = Counted::live;  // the two messages (and the caller's argument)
    t.kill();
    CHECK(Counted::live == queued - 2);  // freed with the mailbox, not leaked
    caller.join(1.0);
    CHECK(call_failed);  // woken at once, not left waiting for a reply that cannot come
    CHECK(Counted::live == 0);
    CHECK_FALSE(weft::send(t, Counted(3)));
    CHECK_FALSE(weft::try_send(t, Counted(4)));
    CHECK_THROWS_AS(weft::call<int>(t, 5), CallError);
    CHECK(Counted::live == 0);
    CHECK(weft::mailbox_size(t) == 0);
  });
}

TEST_CASE("kill of a caller: its message is still received, and the server serves the next caller") {
  run([] {
    std::vector<int> seen;
    auto server = Tasklet::spawn([&] {
      for (;;) {
        Message m = weft::receive();
        seen.push_back(m.as<int>());
        Tasklet::sleep(0.02);
        m.reply(m.as<int>() * 10);  // dropped for the dead caller
      }
    });
    auto doomed = Tasklet::spawn([&] { weft::call<int>(server, 1); });
    Tasklet::yield_();  // the server has the call; doomed waits for the reply
    doomed.kill();
    CHECK(weft::call<int>(server, 2, 1.0) == 20);
    CHECK(seen == std::vector<int>{1, 2});
    server.kill();
  });
}

TEST_CASE("kill of a call waiting for room: nothing was sent, the next sender gets the room") {
  run([] {
    weft::Event go;
    std::vector<int> got;
    auto r = Tasklet::spawn(
        [&] {
          go.wait();
          for (;;) got.push_back(weft::receive().as<Counted>().value);
        },
        {.max_mailbox_len = 1});
    weft::send(r, Counted(0));
    auto a = Tasklet::spawn([&] { weft::call<int>(r, Counted(1)); });
    auto b = Tasklet::spawn([&] { weft::send(r, Counted(2)); });
    Tasklet::yield_();  // a and b park for room, in that order
    const int before = Counted::live;
    a.kill();
    CHECK(Counted::live == before - 2);  // a's message (and its argument) died with it, unsent
    CHECK(weft::mailbox_size(r) == 1);
    go.set();
    b.join(1.0);
    Tasklet::yield_();
    CHECK(got == std::vector<int>{0, 2});
    CHECK(Counted::live == 0);
    r.kill();
  });
}

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
