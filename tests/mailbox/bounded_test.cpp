// Bounded mailboxes (SpawnOptions::max_mailbox_len): senders park until there
// is room, the timeout applies, try_send refuses instead.

#include <stdexcept>
#include <vector>

#include "mailbox/mailbox.hpp"
#include "sched/loop.hpp"
#include "tests/support/weft_test.hpp"

using weft::Message;
using weft::Tasklet;
using weft::TimeoutError;
using weft_test::Counted;
using weft_test::exact;
using weft_test::run;
using weft_test::run_virtual;
using weft_test::since;

namespace {

// A tasklet with a mailbox of `limit` that receives only when `go` is set.
Tasklet slow_receiver(std::size_t limit, bool& go, std::vector<int>& got) {
  return Tasklet::spawn(
      [&go, &got] {
        for (;;) {
          while (!go) Tasklet::sleep(0.01);
          got.push_back(weft::receive().as<int>());
        }
      },
      {.name = "slow", .max_mailbox_len = limit});
}

}  // namespace

TEST_SUITE("mailbox") {

TEST_CASE("a sender parks while the mailbox is full, and goes on when there is room") {
  run_virtual([] {
    bool go = false;
    std::vector<int> got;
    auto r = slow_receiver(2, go, got);
    CHECK(weft::send(r, 1));
    CHECK(weft::send(r, 2));
    CHECK(weft::mailbox_size(r) == 2);
    Tasklet::later(0.2, [&] { go = true; });
    auto start = weft::now();
    CHECK(weft::send(r, 3));  // parks until the receiver makes room
    CHECK(exact(since(start), 0.2));
    while (got.size() < 3) Tasklet::sleep(0.01);
    CHECK(got == std::vector<int>{1, 2, 3});
    r.kill();
  });
}

TEST_CASE("the timeout applies to a send waiting for room; try_send refuses instead") {
  run_virtual([] {
    bool go = false;
    std::vector<int> got;
    auto r = slow_receiver(1, go, got);
    CHECK(weft::try_send(r, 1));
    CHECK_FALSE(weft::try_send(r, Counted(2)));
    CHECK(Counted::live == 0);
    auto start = weft::now();
    try {
      weft::send(r, Counted(3), 0.2);
      FAIL("expected TimeoutError");
    } catch (const TimeoutError& e) {
      CHECK(std::string(e.what()).find("full mailbox of tasklet 'slow'") != std::string::npos);
    }
    CHECK(exact(since(start), 0.2));
    CHECK(Counted::live == 0);  // not sent
    CHECK(weft::mailbox_size(r) == 1);
    r.kill();
  });
}

TEST_CASE("send and try_send tell a full mailbox from a finished tasklet") {
  run_virtual([] {
    bool go = false;
    std::vector<int> got;
    auto r = slow_receiver(1, go, got);
    const weft::SendResult first = weft::try_send(r, 1);
    CHECK(first.ok());
    CHECK(first.status() == weft::SendResult::sent);
    const weft::SendResult full = weft::try_send(r, Counted(2));
    CHECK_FALSE(full);
    CHECK(full.is_full());
    CHECK_FALSE(full.is_finished());
    CHECK(full == weft::SendResult::full);
    CHECK(std::string(full.describe()) == "mailbox full");
    CHECK(Counted::live == 0);  // dropped
    r.kill();
    const weft::SendResult gone = weft::try_send(r, Counted(3));
    CHECK(gone.is_finished());
    CHECK_FALSE(gone.is_full());
    CHECK(std::string(gone.describe()) == "tasklet finished");
    CHECK(weft::send(r, Counted(4)).is_finished());  // send says the same
    CHECK(Counted::live == 0);
    auto unbounded = Tasklet::spawn([] { weft::receive(); });
    CHECK(weft::send(unbounded, 5).ok());
    unbounded.join();
    CHECK(weft::send(unbounded, 6).status() == weft::SendResult::finished);
  });
}

TEST_CASE("senders waiting for room get it in the order they came") {
  run_virtual([] {
    bool go = false;
    std::vector<int> got;
    auto r = slow_receiver(1, go, got);
    weft::send(r, 0);
    std::vector<Tasklet> senders;
    for (int i = 1; i <= 4; ++i) senders.push_back(Tasklet::spawn([r, i] { weft::send(r, i); }));
    Tasklet::yield_();  // all four park
    go = true;
    Tasklet::join_all(senders, 2.0);
    while (got.size() < 5) Tasklet::sleep(0.01);
    CHECK(got == std::vector<int>{0, 1, 2, 3, 4});
    r.kill();
  });
}

TEST_CASE("a sender woken for room that another send took first keeps its turn") {
  // Wall clock: main yields in a loop while r sleeps, which holds virtual time still.
  run([] {
    int credits = 0;  // how many messages the receiver may take
    std::vector<int> got;
    auto r = Tasklet::spawn(
        [&] {
          for (;;) {
            while (credits == 0) Tasklet::sleep(0.002);
            --credits;
            got.push_back(weft::receive().as<int>());
            // Takes the room that was just made, before the sender woken for it runs.
            if (got.back() == 0) CHECK(weft::try_send(Tasklet::current(), 99));
          }
        },
        {.name = "r", .max_mailbox_len = 1});
    weft::send(r, 0);
    auto s1 = Tasklet::spawn([r] { weft::send(r, 1); });
    auto s2 = Tasklet::spawn([r] { weft::send(r, 2); });
    Tasklet::yield_();  // both park, s1 first
    REQUIRE(weft::mailbox_size(r) == 1);
    credits = 1;
    while (got.size() < 1) Tasklet::yield_();
    Tasklet::yield_();  // s1 runs, finds the mailbox full again and waits again
    CHECK_FALSE(s1.has_finished());
    credits = 3;
    Tasklet::join_all({s1, s2}, 2.0);
    while (got.size() < 4) Tasklet::sleep(0.005);
    CHECK(got == std::vector<int>{0, 99, 1, 2});  // s1 still before s2
    r.kill();
  });
}

TEST_CASE("a send waiting for room returns false when the receiver finishes") {
  run_virtual([] {
    auto r = Tasklet::spawn([] { Tasklet::sleep(0.1); }, {.max_mailbox_len = 1});
    CHECK(weft::send(r, Counted(1)));
    auto start = weft::now();
    CHECK_FALSE(weft::send(r, Counted(2)));
    CHECK(exact(since(start), 0.1));
    CHECK(Counted::live == 0);
  });
}

TEST_CASE("a tasklet cannot wait for room in its own mailbox; outside a tasklet a full send throws") {
  run_virtual([] {
    auto t = Tasklet::spawn(
        [] {
          weft::send(Tasklet::current(), 1);
          CHECK_FALSE(weft::try_send(Tasklet::current(), 2));
          CHECK_THROWS_AS(weft::send(Tasklet::current(), 3), std::logic_error);
          Tasklet::sleep(0.1);
        },
        {.max_mailbox_len = 1});
    Tasklet::yield_();
    bool refused = false;
    weft::this_loop().post([&] {
      try {
        weft::send(t, 4);
      } catch (const weft::NotInTasklet&) {
        refused = true;
      }
    });
    t.join();
    CHECK(refused);
  });
}

TEST_CASE("a call waits for room too, under its one timeout") {
  run_virtual([] {
    bool go = false;
    std::vector<int> got;
    auto r = slow_receiver(1, go, got);
    weft::send(r, 0);
    auto start = weft::now();
    CHECK_THROWS_AS(weft::call<int>(r, 1, 0.2), TimeoutError);
    CHECK(exact(since(start), 0.2));
    CHECK(weft::mailbox_size(r) == 1);
    r.kill();
  });
}

}  // TEST_SUITE
