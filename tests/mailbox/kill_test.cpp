// Kill-safety: killing a tasklet parked in receive, call, a send to a full
// mailbox, a channel (either side), a queue or a lock leaves every structure
// consistent: no message or value lost, no waiter left behind.

#include <mutex>
#include <string>
#include <vector>

#include "mailbox/mailbox.hpp"
#include "sync/channel.hpp"
#include "sync/condition.hpp"
#include "sync/deque.hpp"
#include "sync/event.hpp"
#include "sync/lock.hpp"
#include "sync/queue_channel.hpp"
#include "sync/semaphore.hpp"
#include "tests/support/weft_test.hpp"

using weft::Message;
using weft::Tasklet;
using weft::TaskletExit;
using weft_test::Counted;
using weft_test::run;

namespace {

// A tasklet that survives the first kill at its park and then keeps receiving.
struct Survivor {
  std::vector<int> got;
  int kills = 0;
};

}  // namespace

TEST_SUITE("mailbox") {

TEST_CASE("kill during receive: the messages stay in the mailbox") {
  run([] {
    Survivor s;
    auto t = Tasklet::spawn([&] {
      for (;;) {
        try {
          s.got.push_back(weft::receive().as<int>());
        } catch (const TaskletExit&) {
          if (++s.kills == 2) throw;
        }
      }
    });
    Tasklet::yield_();  // parked in receive
    weft::send(t, 1);   // woken, first in the run queue...
    t.kill();           // ...and killed before it could run
    // kill() ran it until it parked again: it survived, received the message
    // that was waiting, and parked in the next receive.
    CHECK(s.kills == 1);
    CHECK(s.got == std::vector<int>{1});
    CHECK(weft::mailbox_size(t) == 0);
    weft::send(t, 2);
    Tasklet::yield_();
    CHECK(s.got == std::vector<int>{1, 2});
    t.kill();
    CHECK(t.has_finished());
  });
}

TEST_CASE("kill during call: the caller leaves no slot behind; the late reply is dropped") {
  run([] {
    Tasklet server = Tasklet::spawn([] {
      Message m = weft::receive();
      Tasklet::sleep(0.05);
      CHECK_FALSE(m.wants_reply());
      m.reply(1);  // nobody waits: dropped, does not block
      weft::receive();
    });
    bool cleaned = false;
    auto caller = Tasklet::spawn([&] {
      struct Cleanup {
        bool& flag;
        ~Cleanup() { flag = true; }
      } c{cleaned};
      weft::call<int>(server, 7);
    });
    Tasklet::yield_();
    caller.kill();
    CHECK(cleaned);
    Tasklet::sleep(0.1);
    CHECK_FALSE(server.has_finished());
    server.kill();
  });
}

TEST_CASE("kill of a caller whose reply is already in: the kill wins, nothing dangles") {
  run([] {
    Tasklet caller;
    Tasklet server = Tasklet::spawn([&] {
      Message m = weft::receive();
      m.reply(std::string("answer"));  // the caller is now runnable with its reply...
      caller.kill();                   // ...and killed before it runs
    });
    bool returned = false;
    caller = Tasklet::spawn([&] {
      weft::call<std::string>(server, 1);
      returned = true;
    });
    Tasklet::join(server);
    CHECK(caller.has_finished());
    CHECK_FALSE(returned);
  });
}

TEST_CASE("kill during a send to a full mailbox: the room goes to the next sender") {
  run([] {
    bool go = false;
    std::vector<int> got;
    auto r = Tasklet::spawn(
        [&] {
          for (;;) {
            while (!go) Tasklet::sleep(0.01);
            got.push_back(weft::receive().as<int>());
          }
        },
        {.max_mailbox_len = 1});
    weft::send(r, 0);
    auto a = Tasklet::spawn([&] { weft::send(r, 1); });
    auto b = Tasklet::spawn([&] { weft::send(r, 2); });
    Tasklet::yield_();  // a and b park, in that order
    a.kill();           // a leaves the senders' list
    go = true;
    b.join(1.0);
    while (got.size() < 2) Tasklet::sleep(0.01);
    CHECK(got == std::vector<int>{0, 2});
    r.kill();
  });
}

TEST_CASE("a sender woken for room but killed before it runs passes the room on") {
  run([] {
    weft::Event go;
    auto r = Tasklet::spawn(
        [&] {
          for (;;) {
            go.wait();
            go.clear();
            weft::receive();
          }
        },
        {.max_mailbox_len = 1});
    weft::send(r, 0);
    auto a = Tasklet::spawn([&] { weft::send(r, 1); });
    auto b = Tasklet::spawn([&] { weft::send(r, 2); });
    Tasklet::yield_();  // r waits for `go`; a and b park on the full mailbox
    go.set();
    Tasklet::yield_();  // r takes message 0, which wakes a; main runs before a
    CHECK(weft::mailbox_size(r) == 0);
    CHECK_FALSE(a.has_finished());
    a.kill();     // woken for the room, killed before it could use it
    b.join(1.0);  // b got the room instead
    CHECK(weft::mailbox_size(r) == 1);
    r.kill();
  });
}

TEST_CASE("senders woken by their receiver's end, one killed before it runs: nothing dangles") {
  run([] {
    auto r = Tasklet::spawn([] { Tasklet::sleep(weft::never); }, {.max_mailbox_len = 1});
    weft::send(r, Counted(0));
    bool b_sent = true;
    auto a = Tasklet::spawn([&] { weft::send(r, Counted(1)); });
    auto b = Tasklet::spawn([&] { b_sent = weft::send(r, Counted(2)); });
    Tasklet::yield_();  // both park for room
    r.kill();           // r's mailbox goes: a and b are woken
    a.kill();           // a dies before it runs (its wake-up is passed on to nobody)
    b.join();
    CHECK_FALSE(b_sent);  // b found r finished
    CHECK(Counted::live == 0);
  });
}

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

TEST_CASE("kill during receive_batch: the messages stay in the mailbox") {
  run([] {
    std::size_t pending = 0;
    auto t = Tasklet::spawn([&] {
      try {
        weft::receive_batch(3);
      } catch (const TaskletExit&) {
        pending = weft::mailbox_size(Tasklet::current());
        throw;
      }
    });
    weft::send(t, 1);
    Tasklet::yield_();  // t has one of three and waits for the rest
    t.kill();
    CHECK(pending == 1);
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
