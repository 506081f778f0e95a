// Address::call between the loops of dispatch_loops: replies, errors,
// timeouts, and a kill of either side.

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "mailbox/address.hpp"
#include "mailbox/mailbox.hpp"
#include "tasklet/spawn_on.hpp"
#include "tests/support/weft_test.hpp"

using weft::Address;
using weft::Message;
using weft::Tasklet;
using weft_test::contains;

namespace {

struct Add {
  int a, b;
};
struct Slow {
  double seconds;
};
struct Fail {};
struct Drop {};
struct WrongType {};
struct Stop {};

// Flags the handler sets on loop 1 and the test reads on loop 0.
struct Seen {
  std::atomic<int> gave_up_seen{0};  // a slow call's caller had given up by the time it replied
  std::atomic<int> unwound{0};       // a handler was killed while it held a call
};

// The server's handle, on its own loop's thread (reset before that loop ends).
thread_local Tasklet tl_server;

// A daemon receiver on the calling loop answering the messages above.
Address start_server(Seen& seen) {
  weft::SpawnOptions o;
  o.name = "adder";
  o.daemon = true;
  tl_server = weft::receiver(
      [&seen](Message& m) {
        if (auto* add = m.get_if<Add>()) {
          m.reply(add->a + add->b);
        } else if (auto* slow = m.get_if<Slow>()) {
          struct Unwind {
            std::atomic<int>& n;
            ~Unwind() { ++n; }
          } u{seen.unwound};
          Tasklet::sleep(slow->seconds);
          if (!m.wants_reply()) ++seen.gave_up_seen;
          m.reply(std::string("late"));
        } else if (m.is<Fail>()) {
          m.reply_error(std::make_exception_ptr(std::invalid_argument("bad input")));
        } else if (m.is<Drop>()) {
          // returns without replying: the message is destroyed unanswered
        } else if (m.is<WrongType>()) {
          m.reply(1.5);
        } else if (m.is<Stop>()) {
          m.reply();
          throw weft::TaskletExit{};  // ends the receiver with the call answered
        }
      },
      o);
  return Address(tl_server);
}

// Kills the server from its own loop (a Tasklet handle stays on its loop).
void kill_server() {
  weft::spawn_on(weft::loop_at(1), [] {
    tl_server.kill();
    tl_server = Tasklet();
  }).join(2.0);
}

// Forgets the server's handle on its loop, before the loops end.
void forget_server() {
  weft::spawn_on(weft::loop_at(1), [] { tl_server = Tasklet(); }).join(2.0);
}

}  // namespace

TEST_SUITE("loops") {

TEST_CASE("Address::call to a tasklet on another loop: reply, error, drop, wrong type, void") {
  Seen seen;
  const int code = weft::dispatch_loops(2, [&](std::size_t i) {
    if (i != 0) return;
    Address adder = weft::spawn_on(weft::loop_at(1), [&] { return start_server(seen); }).join(2.0);
    CHECK(adder.call<int>(Add{2, 40}, 2.0) == 42);
    CHECK_THROWS_AS(adder.call<int>(Fail{}, 2.0), std::invalid_argument);
    try {
      adder.call<int>(Drop{}, 2.0);
      FAIL("no CallError");
    } catch (const weft::CallError& e) {
      CHECK(contains(e.what(), "call to tasklet 'adder' failed: it dropped the message without replying"));
    }
    try {
      adder.call<int>(WrongType{}, 2.0);
      FAIL("no logic_error");
    } catch (const std::logic_error& e) {
      CHECK(contains(e.what(), "call<int> got a double"));
    }
    adder.call<void>(Stop{}, 2.0);
    for (int k = 0; k < 100 && adder.alive(); ++k) Tasklet::sleep(0.01);
    CHECK_FALSE(adder.alive());
    try {
      adder.call<int>(Add{1, 1}, 2.0);
      FAIL("no CallError");
    } catch (const weft::CallError& e) {
      CHECK(contains(e.what(), "call to tasklet 'adder' failed: it has finished"));
    }
    forget_server();
  });
  CHECK(code == 0);
}

TEST_CASE("Address::call across loops: timeout, then the late reply is dropped") {
  Seen seen;
  weft::dispatch_loops(2, [&](std::size_t i) {
    if (i != 0) return;
    Address adder = weft::spawn_on(weft::loop_at(1), [&] { return start_server(seen); }).join(2.0);
    const auto start = weft::now();
    CHECK_THROWS_AS(adder.call<std::string>(Slow{0.3}, 0.05), weft::TimeoutError);
    CHECK(weft_test::near(weft_test::since(start), 0.05));
    CHECK(adder.call<int>(Add{1, 2}, 2.0) == 3);  // after the slow one: it waited its turn
    CHECK(seen.gave_up_seen == 1);
    forget_server();
  });
}

TEST_CASE("Address::call across loops under kill: of the caller, and of the callee") {
  Seen seen;
  weft::dispatch_loops(2, [&](std::size_t i) {
    if (i != 0) return;
    Address adder = weft::spawn_on(weft::loop_at(1), [&] { return start_server(seen); }).join(2.0);

    // The caller is killed while it waits: it unwinds at once; the callee's
    // reply, later, finds nobody and is dropped.
    bool caller_unwound = false;
    auto caller = Tasklet::spawn([&] {
      struct Unwind {
        bool& flag;
        ~Unwind() { flag = true; }
      } u{caller_unwound};
      adder.call<std::string>(Slow{0.1}, 5.0);
      FAIL("the call returned");
    });
    Tasklet::sleep(0.02);
    caller.kill();
    CHECK(caller_unwound);
    CHECK(adder.call<int>(Add{3, 4}, 2.0) == 7);  // the server survived the caller's going
    CHECK(seen.gave_up_seen == 1);

    // The callee is killed while it holds a call: the caller gets a CallError.
    auto victim_call = Tasklet::spawn([&] {
      try {
        adder.call<std::string>(Slow{5.0}, 5.0);
        return std::string("returned");
      } catch (const weft::CallError& e) {
        return std::string(e.what());
      }
    });
    Tasklet::sleep(0.05);
    const int unwound_before = seen.unwound;
    const auto start = weft::now();
    kill_server();
    CHECK(seen.unwound == unwound_before + 1);
    // "finished" or "dropped the message": which one the caller sees depends on
    // whether the callee's mailbox had closed when the wake-up reached it.
    const std::string why = victim_call.join(2.0);
    CHECK(contains(why, "call to tasklet 'adder' failed: it "));
    CHECK(contains(why, " without replying"));
    CHECK(weft_test::since(start) < 1.0);
  });
}

TEST_CASE("Address::call to a tasklet whose loop has ended: CallError") {
  Address gone;
  std::thread([&] {
    weft::dispatch([&] {
      weft::SpawnOptions o;
      o.daemon = true;
      gone = Address(weft::receiver([](Message&) {}, o));
    });
  }).join();
  weft_test::run([&] {
    try {
      gone.call<int>(Add{1, 1}, 1.0);
      FAIL("no CallError");
    } catch (const weft::CallError& e) {
      CHECK(contains(e.what(), "failed: its loop has ended"));
    }
  });
}

TEST_CASE("Address::call to itself is refused; through an empty Address too") {
  weft_test::run([] {
    Address self(Tasklet::current());
    CHECK_THROWS_AS(self.call<int>(Add{1, 1}, 1.0), std::logic_error);
    CHECK_THROWS_AS(Address().call<int>(Add{1, 1}, 1.0), std::logic_error);
  });
}

}  // TEST_SUITE
