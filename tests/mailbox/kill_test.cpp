// Kill-safety: killing a tasklet parked in receive, call or a send to a full
// mailbox leaves the mailbox consistent: no message lost, no waiter left
// behind. (The channels', queues' and locks' cases: tests/sync/kill_test.cpp.)

#include <string>
#include <vector>

#include "mailbox/mailbox.hpp"
#include "sync/event.hpp"
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
    weft::SendResult b_sent = weft::SendResult::sent;
    auto a = Tasklet::spawn([&] { weft::send(r, Counted(1)); });
    auto b = Tasklet::spawn([&] { b_sent = weft::send(r, Counted(2)); });
    Tasklet::yield_();  // both park for room
    r.kill();           // r's mailbox goes: a and b are woken
    a.kill();           // a dies before it runs (its wake-up is passed on to nobody)
    b.join();
    CHECK(b_sent.is_finished());  // b found r finished
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

}  // TEST_SUITE
