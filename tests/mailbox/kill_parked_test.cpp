// Kill-safety, continued: a tasklet killed while *parked* (not yet woken) in
// receive, call or a send to a full mailbox leaves the mailbox consistent.
// Each case checks it with a follow-up operation: the next sender or caller is
// served, and no message is lost or leaked (weft_test::Counted). (The
// channels', queues', locks' and events' cases: tests/sync/kill_parked_test.cpp.)

#include <vector>

#include "mailbox/mailbox.hpp"
#include "sync/event.hpp"
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

}  // TEST_SUITE
