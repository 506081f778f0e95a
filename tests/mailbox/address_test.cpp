// Address: sending into a tasklet's mailbox from other OS threads.

#include <chrono>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "mailbox/address.hpp"
#include "mailbox/mailbox.hpp"
#include "tests/support/weft_test.hpp"

using weft::Address;
using weft::Message;
using weft::Tasklet;
using weft_test::Counted;
using weft_test::run;
using weft_test::since;

TEST_SUITE("mailbox") {

TEST_CASE("10 OS threads x 100k messages into one tasklet arrive complete and in per-thread order") {
  run([] {
    constexpr int kThreads = 10;
    constexpr int kEach = 100000;
    Address inbox(Tasklet::current());
    std::vector<std::thread> threads;
    std::vector<int> refused(kThreads, 0);
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([inbox, t, &refused] {
        for (int i = 0; i < kEach; ++i) {
          if (!inbox.send(std::pair<int, int>(t, i))) ++refused[t];
        }
      });
    }
    std::vector<int> next(kThreads, 0);
    long received = 0;
    bool in_order = true;
    while (received < long{kThreads} * kEach) {
      for (Message& m : weft::receive_batch(4096, 0.0, 30.0)) {
        auto [t, i] = m.as<std::pair<int, int>>();
        if (i != next[t]) in_order = false;
        next[t] = i + 1;
        ++received;
      }
    }
    for (auto& th : threads) th.join();
    CHECK(in_order);
    CHECK(received == long{kThreads} * kEach);
    for (int t = 0; t < kThreads; ++t) {
      CHECK(next[t] == kEach);
      CHECK(refused[t] == 0);
    }
    CHECK(weft::mailbox_size(Tasklet::current()) == 0);
  });
}

TEST_CASE("a send from another thread wakes a loop blocked in its poll") {
  run([] {
    Address inbox(Tasklet::current());
    std::thread th([inbox] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      inbox.send(std::string("wake up"));
    });
    auto start = weft::now();
    CHECK(weft::receive(5.0).as<std::string>() == "wake up");
    CHECK(since(start) < 1.0);
    th.join();
  });
}

TEST_CASE("an Address refuses messages once its tasklet has finished") {
  run([] {
    auto t = Tasklet::spawn([] { weft::receive(); });
    Address a(t);
    CHECK(a);
    CHECK(a.alive());
    CHECK(a == Address(t));
    weft::SendResult first = weft::SendResult::finished;
    std::thread([a, &first] { first = a.send(1); }).join();
    CHECK(first.ok());
    t.join();  // it received the message and finished
    CHECK_FALSE(a.alive());
    weft::SendResult second = weft::SendResult::sent;
    std::thread([a, &second] { second = a.send(Counted(2)); }).join();
    CHECK(second.is_finished());
    CHECK(Counted::live == 0);
    Address late(t);  // the address of a finished tasklet: valid, refuses everything
    CHECK(late);
    CHECK_FALSE(late.alive());
    CHECK(late.send(3).is_finished());
  });
}

TEST_CASE("sending through an Address on the tasklet's own thread goes straight in") {
  run([] {
    Address me(Tasklet::current());
    CHECK(me.send(1));
    CHECK(weft::mailbox_size(Tasklet::current()) == 1);
    CHECK(weft::receive(0.0).as<int>() == 1);
  });
}

TEST_CASE("messages still on their way when the loop ends are freed, not leaked") {
  Address a;
  run([&] { a = Address(Tasklet::current()); });
  CHECK_FALSE(a.alive());
  CHECK(a.send(Counted(1)).is_finished());  // after the loop ended
  CHECK(Counted::live == 0);
}

TEST_CASE("an empty Address, or one made off its tasklet's thread, is refused") {
  Address empty;
  CHECK_FALSE(empty);
  CHECK_FALSE(empty.alive());
  CHECK_THROWS_AS(empty.send(1), std::logic_error);
  run([] {
    CHECK_THROWS_AS(Address{Tasklet()}, std::logic_error);
    auto t = Tasklet::spawn([] { Tasklet::sleep(weft::never); });
    bool refused = false;
    std::thread other([&] {
      weft::dispatch([&] {
        try {
          Address a(t);
        } catch (const std::logic_error&) {
          refused = true;
        }
      });
    });
    other.join();
    CHECK(refused);
    t.kill();
  });
}

}  // TEST_SUITE
