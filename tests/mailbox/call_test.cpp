// call / reply: request and reply between tasklets, timeouts, late replies,
// errors, and calls whose reply can never come.

#include <algorithm>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "mailbox/mailbox.hpp"
#include "tests/support/weft_test.hpp"

using weft::CallError;
using weft::Message;
using weft::Tasklet;
using weft::TimeoutError;
using weft_test::exact;
using weft_test::run;
using weft_test::run_virtual;
using weft_test::since;

namespace {

struct Sum {
  std::vector<int> args;
};
struct Max {
  std::vector<int> args;
};
struct Nap {
  double seconds;
};

// Concurrence's testMessageCall handler.
void serve() {
  for (;;) {
    Message m = weft::receive();
    if (auto* s = m.get_if<Sum>()) {
      m.reply(std::accumulate(s->args.begin(), s->args.end(), 0));
    } else if (auto* x = m.get_if<Max>()) {
      m.reply(*std::max_element(x->args.begin(), x->args.end()));
    } else if (auto* n = m.get_if<Nap>()) {
      Tasklet::sleep(n->seconds);
      m.reply(true);
    }
  }
}

}  // namespace

TEST_SUITE("mailbox") {

TEST_CASE("call returns what the receiver passed to reply (Concurrence's testMessageCall)") {
  run_virtual([] {
    auto child = Tasklet::spawn(serve);
    CHECK(weft::call<int>(child, Sum{{10, 20, 30}}) == 60);
    CHECK(weft::call<int>(child, Max{{10, 20, 30}}) == 30);
    auto start = weft::now();
    CHECK(weft::call<bool>(child, Nap{1.0}) == true);
    CHECK(exact(since(start), 1.0));
    start = weft::now();
    CHECK_THROWS_AS(weft::call<bool>(child, Nap{2.0}, 1.0), TimeoutError);
    CHECK(exact(since(start), 1.0));
    child.kill();
  });
}

TEST_CASE("a reply that arrives after the caller gave up is dropped and never blocks the replier") {
  run_virtual([] {
    bool replied = false;
    bool wanted = true;
    auto slow = Tasklet::spawn([&] {
      Message m = weft::receive();
      Tasklet::sleep(0.2);
      wanted = m.wants_reply();
      m.reply(std::string("late"));  // returns at once: nobody is waiting
      replied = true;
    });
    auto start = weft::now();
    CHECK_THROWS_AS(weft::call<std::string>(slow, 1, 0.1), TimeoutError);
    CHECK(exact(since(start), 0.1));
    slow.join();
    CHECK(replied);
    CHECK_FALSE(wanted);
  });
}

TEST_CASE("the timeout message names the callee") {
  run_virtual([] {
    auto t = Tasklet::spawn([] { Tasklet::sleep(weft::never); }, {.name = "sleepy"});
    try {
      weft::call(t, 1, 0.01);
      FAIL("expected TimeoutError");
    } catch (const TimeoutError& e) {
      CHECK(std::string(e.what()).find("call to tasklet 'sleepy'") != std::string::npos);
    }
    t.kill();
  });
}

TEST_CASE("a call under a deadline scope obeys the scope") {
  run_virtual([] {
    auto t = Tasklet::spawn([] { Tasklet::sleep(weft::never); });
    auto start = weft::now();
    {
      weft::DeadlineScope scope(0.2);
      CHECK_THROWS_AS(weft::call<int>(t, 1, 5.0), TimeoutError);
    }
    CHECK(exact(since(start), 0.2));
    t.kill();
  });
}

TEST_CASE("is_call and wants_reply; a second reply is an error") {
  run_virtual([] {
    auto server = Tasklet::spawn([] {
      Message m = weft::receive();
      CHECK(m.is_call());
      CHECK(m.wants_reply());
      m.reply(1);
      CHECK(m.is_call());
      CHECK_FALSE(m.wants_reply());
      CHECK_THROWS_AS(m.reply(2), std::logic_error);
      CHECK_THROWS_AS(m.reply(), std::logic_error);
    });
    CHECK(weft::call<int>(server, std::string("q")) == 1);
    server.join();
  });
}

TEST_CASE("call<void> ends with any reply; a reply of another type than R is the caller's error") {
  run_virtual([] {
    auto server = Tasklet::spawn([] {
      for (;;) {
        Message m = weft::receive();
        if (m.is<int>()) m.reply();
        if (m.is<double>()) m.reply(3);           // an int, not a long
        if (m.is<char>()) m.reply();               // nothing, not a long
        if (m.is<bool>()) m.reply(std::string("x"));
      }
    });
    weft::call(server, 1);
    weft::call<void>(server, true);
    try {
      weft::call<long>(server, 1.5);
      FAIL("expected std::logic_error");
    } catch (const std::logic_error& e) {
      CHECK(std::string(e.what()).find("call<long> got a int") != std::string::npos);
    }
    CHECK_THROWS_AS(weft::call<long>(server, 'c'), std::logic_error);
    server.kill();
  });
}

TEST_CASE("move-only replies are moved to the caller; an lvalue one is refused") {
  run_virtual([] {
    auto server = Tasklet::spawn([] {
      Message a = weft::receive();  // from the helper
      Message b = weft::receive();  // from main
      auto p = std::make_unique<int>(8);
      a.reply(p);  // an lvalue of a move-only type: the caller is told to move it
      b.reply(std::move(p));
    });
    bool helper_refused = false;
    auto helper = Tasklet::spawn([&] {
      try {
        weft::call<std::unique_ptr<int>>(server, 0);
      } catch (const std::logic_error& e) {
        helper_refused = std::string(e.what()).find("std::move") != std::string::npos;
      }
    });
    Tasklet::yield_();  // the helper calls first
    auto got = weft::call<std::unique_ptr<int>>(server, 1);
    REQUIRE(got);
    CHECK(*got == 8);
    helper.join();
    CHECK(helper_refused);
    server.join();
  });
}

TEST_CASE("reply_error makes the caller's call throw that exception") {
  run_virtual([] {
    auto server = Tasklet::spawn([] {
      Message m = weft::receive();
      m.reply_error(std::make_exception_ptr(std::runtime_error("insufficient funds")));
      CHECK_THROWS_AS(m.reply_error(nullptr), std::invalid_argument);
    });
    try {
      weft::call<int>(server, 100);
      FAIL("expected the server's exception");
    } catch (const std::runtime_error& e) {
      CHECK(std::string(e.what()) == "insufficient funds");
    }
    server.join();
  });
}

TEST_CASE("a call to a finished tasklet throws CallError") {
  run_virtual([] {
    auto t = Tasklet::spawn([] {}, {.name = "gone"});
    t.join();
    try {
      weft::call<int>(t, 1);
      FAIL("expected CallError");
    } catch (const CallError& e) {
      CHECK(std::string(e.what()).find("tasklet 'gone'") != std::string::npos);
      CHECK(std::string(e.what()).find("has finished") != std::string::npos);
    }
  });
}

TEST_CASE("a call whose callee finishes, or drops the message, without replying throws CallError") {
  run_virtual([] {
    auto quitter = Tasklet::spawn([] { Tasklet::sleep(0.05); });  // never receives
    auto start = weft::now();
    try {
      weft::call<int>(quitter, 1);
      FAIL("expected CallError");
    } catch (const CallError& e) {
      CHECK(std::string(e.what()).find("finished without replying") != std::string::npos);
    }
    CHECK(since(start) < 0.5);

    auto dropper = Tasklet::spawn([] {
      { Message m = weft::receive(); }  // dropped unanswered
      Tasklet::sleep(weft::never);
    });
    try {
      weft::call<int>(dropper, 1);
      FAIL("expected CallError");
    } catch (const CallError& e) {
      CHECK(std::string(e.what()).find("dropped the message") != std::string::npos);
    }
    dropper.kill();
  });
}

TEST_CASE("a call to itself, to an empty handle or outside a tasklet is refused") {
  CHECK_THROWS_AS(weft::call(Tasklet(), 1), std::logic_error);
  run_virtual([] {
    CHECK_THROWS_AS(weft::call(Tasklet::current(), 1), std::logic_error);
    CHECK_THROWS_AS(weft::call(Tasklet(), 1), std::logic_error);
    CHECK(weft_test::Counted::live == 0);
  });
}

TEST_CASE("calls are answered in the order they were made") {
  run_virtual([] {
    auto server = Tasklet::spawn([] {
      for (;;) {
        Message m = weft::receive();
        m.reply(m.as<int>() * 2);
      }
    });
    std::vector<int> answers;
    std::vector<Tasklet> callers;
    for (int i = 0; i < 5; ++i) {
      callers.push_back(Tasklet::spawn([&, i] { answers.push_back(weft::call<int>(server, i)); }));
    }
    Tasklet::join_all(callers);
    CHECK(answers == std::vector<int>{0, 2, 4, 6, 8});
    server.kill();
  });
}

}  // TEST_SUITE

namespace {

struct Stats {  // names its reply type: call(t, Stats{}) is an int
  using reply = int;
  int bucket = 0;
};
struct Flush {  // a request answered with no value
  using reply = void;
};
struct Rename {
  using reply = std::string;
  std::string to;
};

}  // namespace

TEST_SUITE("mailbox") {

TEST_CASE("a request type that names its reply type makes call() return it") {
  run([] {
    bool flushed = false;
    auto server = weft::receiver([&](Message& m) {
      if (auto* s = m.get_if<Stats>()) {
        m.reply<Stats>(short(40 + s->bucket));  // converted to Stats::reply (int)
      } else if (m.is<Flush>()) {
        flushed = true;
        m.reply<Flush>();
      } else if (auto* r = m.get_if<Rename>()) {
        m.reply<Rename>("now " + r->to);
      }
    });
    auto n = weft::call(server, Stats{2});
    static_assert(std::is_same_v<decltype(n), int>);
    CHECK(n == 42);
    CHECK(weft::call<int>(server, Stats{1}) == 41);  // the same type spelled out
    static_assert(std::is_void_v<decltype(weft::call(server, Flush{}))>);
    weft::call(server, Flush{});
    CHECK(flushed);
    const std::string name = weft::call(server, Rename{"b"});
    CHECK(name == "now b");
    weft::call<void>(server, Stats{});  // void still means "any reply"
    server.kill();
  });
}

TEST_CASE("reply<Req> to a message of another type is the replier's error; the dynamic forms stay") {
  run([] {
    std::string error;
    auto server = weft::receiver([&](Message& m) {
      try {
        m.reply<Stats>(1);
      } catch (const std::logic_error& e) {
        error = e.what();
        m.reply(7L);  // the dynamic reply: any type, checked by the caller at run time
      }
    });
    CHECK(weft::call<long>(server, Sum{{1}}) == 7L);
    CHECK(weft_test::contains(error, "weft: reply<(anonymous namespace)::Stats>() to a message "
                                     "that is a (anonymous namespace)::Sum, not a"));
    Message empty;
    try {
      empty.reply<Stats>(1);
      FAIL("expected std::logic_error");
    } catch (const std::logic_error& e) {
      CHECK(weft_test::contains(e.what(), "Stats>() on an empty Message"));
    }
    server.kill();
  });
}

}  // TEST_SUITE
