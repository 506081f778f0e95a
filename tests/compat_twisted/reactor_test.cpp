// Reactor: the reactor facade on the weft loop (real time, through the
// tolerance helper).

#include <string>
#include <vector>

#include "sched/timer.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/compat_twisted/support.hpp"

using namespace weft::twisted;
using twisted_test::GenericError;
using twisted_test::run;
using weft::Tasklet;
using weft_test::near;
using weft_test::since;

TEST_SUITE("compat_twisted") {

TEST_CASE("Reactor: callLater runs after the delay, in time order; seconds() follows the loop clock") {
  run([] {
    Reactor reactor;
    const double t0 = reactor.seconds();
    const auto start = weft::now();
    std::vector<std::string> order;
    std::vector<double> at;
    reactor.callLater(0.06, [&] {
      order.push_back("b");
      at.push_back(since(start));
    });
    reactor.callLater(0.03, [&](const std::string& s) {
      order.push_back(s);
      at.push_back(since(start));
    }, "a");
    CHECK(reactor.getDelayedCalls().size() == 2);
    Tasklet::sleep(0.1);
    CHECK(order == std::vector<std::string>{"a", "b"});
    REQUIRE(at.size() == 2);
    CHECK(near(at[0], 0.03));
    CHECK(near(at[1], 0.06));
    CHECK(near(reactor.seconds() - t0, 0.1));
    CHECK(reactor.getDelayedCalls().empty());
  });
}

TEST_CASE("Reactor: cancel, reset and delay re-arm the loop timer") {
  run([] {
    Reactor reactor;
    const auto start = weft::now();
    bool cancelled = false;
    double resetAt = -1, delayedAt = -1;
    DelayedCall c = reactor.callLater(0.02, [&] { cancelled = true; });
    DelayedCall r = reactor.callLater(0.2, [&] { resetAt = since(start); });
    DelayedCall d = reactor.callLater(0.02, [&] { delayedAt = since(start); });
    c.cancel();
    r.reset(0.04);
    d.delay(0.04);
    Tasklet::sleep(0.1);
    CHECK_FALSE(cancelled);
    CHECK(near(resetAt, 0.04));
    CHECK(near(delayedAt, 0.06));
  });
}

TEST_CASE("Reactor: a raising call is logged and the others still run") {
  weft_test::LogCapture log;
  weft_test::run_logged(log, [] {
    Reactor reactor;
    bool second = false;
    reactor.callLater(0.01, [] { throw GenericError("reactor call failed"); });
    reactor.callLater(0.01, [&] { second = true; });
    Tasklet::sleep(0.05);
    CHECK(second);
  });
  CHECK(log.count("reactor call failed") == 1);
}

TEST_CASE("Reactor: run() runs callWhenRunning calls, blocks until stop(), then the shutdown triggers") {
  run([] {
    Reactor reactor;
    std::vector<std::string> order;
    CHECK_FALSE(reactor.running());
    CHECK_THROWS_AS(reactor.stop(), ReactorNotRunning);
    reactor.callWhenRunning([&](int n) { order.push_back("running " + std::to_string(n)); }, 1);
    reactor.addSystemEventTrigger("after", "shutdown", [&] { order.push_back("after"); });
    reactor.addSystemEventTrigger("before", "shutdown", [&] { order.push_back("before"); });
    reactor.addSystemEventTrigger("during", "shutdown", [&] { order.push_back("during"); });
    CHECK_THROWS_AS(reactor.addSystemEventTrigger("before", "startup", [] {}), std::invalid_argument);
    CHECK_THROWS_AS(reactor.addSystemEventTrigger("later", "shutdown", [] {}), std::invalid_argument);
    reactor.callLater(0.02, [&] {
      CHECK(reactor.running());
      reactor.callWhenRunning([&] { order.push_back("while running"); });
      reactor.stop();
      CHECK_THROWS_AS(reactor.stop(), ReactorNotRunning);
    });
    const auto start = weft::now();
    reactor.run();
    CHECK(near(since(start), 0.02));
    CHECK(order == std::vector<std::string>{"running 1", "while running", "before", "during", "after"});
    CHECK_FALSE(reactor.running());
    CHECK_THROWS_AS(reactor.run(), ReactorNotRestartable);
  });
}

TEST_CASE("Reactor: run() outside a tasklet is NotInTasklet") {
  run([] {
    Reactor reactor;
    bool refused = false;
    weft::Timer t(std::chrono::milliseconds(1), [&] {
      try {
        reactor.run();
      } catch (const weft::NotInTasklet&) {
        refused = true;
      }
    });
    Tasklet::sleep(0.02);
    CHECK(refused);
  });
}

TEST_CASE("Reactor: calls run in a tasklet, so inlineCallbacks code starts and resumes synchronously") {
  run([] {
    Reactor reactor;
    std::vector<std::string> order;
    Deferred gate;
    auto body = inlineCallbacks([&] {
      order.push_back("body starts");
      wait(gate);
      order.push_back("body resumes");
    });
    reactor.callLater(0.01, [&] {
      body();
      order.push_back("call continues");
    });
    reactor.callLater(0.02, [&] {
      gate.callback();
      order.push_back("after callback");
    });
    Tasklet::sleep(0.05);
    CHECK(order == std::vector<std::string>{"body starts", "call continues", "body resumes",
                                            "after callback"});
  });
}

TEST_CASE("Reactor drives LoopingCall, deferLater, addTimeout and a Cooperator in real time") {
  run([] {
    Reactor reactor;
    const auto start = weft::now();
    std::vector<double> ticks;
    LoopingCall lc(reactor, [&] { ticks.push_back(since(start)); });
    Deferred stopped = lc.start(0.02);
    Deferred later = deferLater(reactor, 0.07, [&] { lc.stop(); return std::string("later"); });
    CHECK(wait<std::string>(later) == "later");
    CHECK(stopped.called());
    REQUIRE(ticks.size() == 4);
    for (std::size_t i = 0; i < ticks.size(); ++i) CHECK(near(ticks[i], 0.02 * static_cast<double>(i)));

    Deferred slow;
    slow.addTimeout(0.02, reactor);
    CHECK_THROWS_AS(wait(slow), TimeoutError);

    Cooperator coop(reactor);
    int units = 0;
    Deferred done = coop.coiterate([&]() -> std::optional<Result> {
      if (units == 100) return StopIteration;
      ++units;
      return Result();
    });
    wait(done);
    CHECK(units == 100);
  });
}

TEST_CASE("Reactor: destruction abandons pending calls; nothing leaks") {
  run([] {
    std::optional<DelayedCall> call;
    {
      Reactor reactor;
      call = reactor.callLater(10, [] {});
    }
    CHECK(call->cancelled());
  });
}

}

TEST_SUITE("compat_twisted") {

TEST_CASE("Reactor: created outside dispatch() it refuses at once and says what to do") {
  try {
    Reactor reactor;
    FAIL("expected std::logic_error");
  } catch (const std::logic_error& e) {
    CHECK(weft_test::contains(e.what(), "a Reactor was created outside dispatch()"));
    CHECK(weft_test::contains(e.what(), "react(main)"));
  }
}

}  // TEST_SUITE
