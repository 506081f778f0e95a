// deferLater and react (conformance §1, §2 case 79).

#include <string>
#include <vector>

#include "tests/compat_twisted/support.hpp"

using namespace weft::twisted;
using twisted_test::GenericError;
using twisted_test::run;

namespace {

// Twisted's _FakeReactor: a reactor on a Clock whose run() advances to each
// call in turn until stopped.
class FakeReactor final : public IReactorTime, public IReactorCore {
 public:
  double seconds() const override { return clock_.seconds(); }
  std::vector<DelayedCall> getDelayedCalls() const override { return clock_.getDelayedCalls(); }
  void run() override {
    running_ = true;
    std::vector<std::function<void()>> when = std::move(whenRunning_);
    started_ = true;
    for (auto& f : when) f();
    while (running_) {
      auto calls = getDelayedCalls();
      if (calls.empty()) throw std::runtime_error("No DelayedCalls left");
      clock_.advance(calls[0].getTime() - seconds());
    }
    for (auto& f : before_) f();
    for (auto& f : during_) f();
  }
  void stop() override {
    if (!running_) throw ReactorNotRunning();
    running_ = false;
  }
  bool running() const override { return running_; }
  void addSystemEventTrigger(const std::string& phase, const std::string& event,
                             std::function<void()> f) override {
    REQUIRE(event == "shutdown");
    (phase == "before" ? before_ : during_).push_back(std::move(f));
  }

 protected:
  DelayedCall scheduleCall(double delay, std::function<void()> f) override {
    return clock_.callLater(delay, std::move(f));
  }
  void scheduleWhenRunning(std::function<void()> f) override {
    if (started_) {
      f();
    } else {
      whenRunning_.push_back(std::move(f));
    }
  }

 private:
  Clock clock_;
  bool running_ = false;
  bool started_ = false;
  std::vector<std::function<void()>> whenRunning_, before_, during_;
};

class ExpectedException : public std::runtime_error {
 public:
  ExpectedException() : std::runtime_error("expected") {}
};

}  // namespace

TEST_SUITE("compat_twisted") {

TEST_CASE("deferLater: fires with the callable's result at the delay") {
  run([] {
    Clock clock;
    Deferred d = deferLater(clock, 3, [](const std::string& a, int b) { return a + std::to_string(b); },
                            "x", 1);
    clock.advance(2);
    CHECK_FALSE(d.called());
    clock.advance(1);
    CHECK(d.result().as<std::string>() == "x1");
    Deferred none = deferLater(clock, 0);
    CHECK_FALSE(none.called());  // even a zero delay needs the clock to run
    clock.advance(0);
    CHECK(none.result().isNone());
  });
}

TEST_CASE("deferLater: a raise fails it; a returned Deferred is chained") {
  run([] {
    Clock clock;
    Deferred bad = deferLater(clock, 1, []() -> int { throw GenericError("later"); });
    Deferred inner;
    Deferred chained = deferLater(clock, 1, [&] { return inner; });
    clock.advance(1);
    CHECK(bad.result().failure().check<GenericError>());
    bad.addErrback([](const Failure&) {});
    CHECK(chained.paused() == 1);
    inner.callback("inner");
    CHECK(chained.result().as<std::string>() == "inner");
  });
}

TEST_CASE("deferLater: cancel before firing removes the call; the callable never runs") {
  run([] {
    Clock clock;
    bool ran = false;
    Deferred d = deferLater(clock, 1, [&] { ran = true; });
    d.cancel();
    CHECK(d.result().failure().check<CancelledError>());
    d.addErrback([](const Failure&) {});
    CHECK(clock.getDelayedCalls().empty());
    clock.advance(2);
    CHECK_FALSE(ran);
    Deferred fired = deferLater(clock, 1, [] { return 5; });
    clock.advance(1);
    fired.cancel();
    CHECK(fired.result().as<int>() == 5);
  });
}

TEST_CASE("case 79: react runs until main's Deferred fires, exit 0 at t=2") {
  run([] {
    FakeReactor r;
    std::vector<bool> timePassed;
    int code = react(
        [&](FakeReactor& reactor) {
          Deferred finished;
          reactor.callLater(1, [&] { timePassed.push_back(true); });
          reactor.callLater(2, [finished]() mutable { finished.callback(); });
          return finished;
        },
        r);
    CHECK(code == 0);
    CHECK(timePassed == std::vector<bool>{true});
    CHECK(r.seconds() == 2.0);
    FakeReactor s;
    CHECK(react([](FakeReactor&) { return succeed(); }, s) == 0);
    CHECK(s.seconds() == 0.0);
  });
}

TEST_CASE("case 79: a failure gives exit 1 and one logged error") {
  weft_test::LogCapture log;
  weft_test::run_logged(log, [] {
    FakeReactor r;
    int code = react(
        [](FakeReactor& reactor) {
          Deferred finished;
          reactor.callLater(1, [finished]() mutable { finished.errback(ExpectedException()); });
          return finished;
        },
        r);
    CHECK(code == 1);
    FakeReactor s;
    CHECK(react([](FakeReactor&) { return fail(ExpectedException()); }, s) == 1);
  });
  CHECK(log.count("main function encountered error") == 2);
}

TEST_CASE("case 79: SystemExit's code passes through") {
  weft_test::LogCapture log;
  weft_test::run_logged(log, [] {
    FakeReactor a, b, c;
    CHECK(react([](FakeReactor&) { return fail(SystemExit(23)); }, a) == 23);
    CHECK(react([](FakeReactor&) { return fail(SystemExit()); }, b) == 0);
    CHECK(react([](FakeReactor&) { return fail(SystemExit(std::string("bye"))); }, c) == 1);
  });
  CHECK(log.count("main function encountered error") == 0);
  CHECK(log.count("bye") == 1);
}

TEST_CASE("case 79: stopped from outside without a result gives 0; stop-then-fire counts once") {
  weft_test::LogCapture log;
  weft_test::run_logged(log, [] {
    FakeReactor r;
    CHECK(react(
              [](FakeReactor& reactor) {
                reactor.callLater(1, [&reactor] { reactor.stop(); });
                return Deferred();
              },
              r) == 0);
    CHECK(r.seconds() == 1.0);
    FakeReactor s;
    CHECK(react(
              [](FakeReactor& reactor) {
                Deferred d;
                reactor.callWhenRunning([&reactor, d]() mutable {
                  reactor.stop();
                  d.callback();
                });
                return d;
              },
              s) == 0);
    FakeReactor t;
    int code = react(
        [](FakeReactor& reactor) {
          reactor.callLater(1, [&reactor] { reactor.stop(); });
          Deferred finished;
          reactor.addSystemEventTrigger("during", "shutdown",
                                        [finished]() mutable { finished.errback(ExpectedException()); });
          return finished;
        },
        t);
    CHECK(code == 1);
    CHECK(t.seconds() == 1.0);
  });
  CHECK(log.count("main function encountered error") == 1);
}

TEST_CASE("react: main raising escapes before the reactor runs; a non-Deferred is rejected") {
  run([] {
    FakeReactor r;
    CHECK_THROWS_AS(react([](FakeReactor&) -> Deferred { throw GenericError("sync"); }, r),
                    GenericError);
    CHECK_FALSE(r.running());
    FakeReactor s;
    CHECK_THROWS_AS(react([](FakeReactor&) { return Result(42); }, s), NotACoroutineError);
  });
}

TEST_CASE("react with an inlineCallbacks main on the real Reactor") {
  run([] {
    const auto start = weft::now();
    int code = react(inlineCallbacks([](Reactor& reactor) {
      wait(deferLater(reactor, 0.05));
      return 7;
    }));
    CHECK(code == 0);
    CHECK(weft_test::near(weft_test::since(start), 0.05));
  });
}

TEST_CASE("react outside dispatch runs its own loop") {
  int code = react([](Reactor& reactor) {
    return deferLater(reactor, 0.01, [] { return Failure(SystemExit(5)); });
  });
  CHECK(code == 5);
}


TEST_CASE("react: a main that returns nothing keeps its locals alive while what it started runs") {
  // The trap of Twisted's form in C++: a main that returns lc.start()'s
  // Deferred leaves its LoopingCall ticking on dead locals. Here main waits
  // instead (an inlineCallbacks body), so they die only after the last tick.
  run([] {
    std::vector<std::string> events;
    int code = react([&](Reactor& reactor) {
      struct Guard {
        std::vector<std::string>& ev;
        ~Guard() { ev.push_back("locals gone"); }
      } guard{events};
      int ticks = 0;
      LoopingCall lc(reactor, [&] {
        events.push_back("tick " + std::to_string(++ticks));
        if (ticks == 3) lc.stop();
      });
      wait(lc.start(0.01));
      events.push_back("main returns");
    });
    CHECK(code == 0);
    CHECK(events == std::vector<std::string>{"tick 1", "tick 2", "tick 3", "main returns",
                                             "locals gone"});
  });
}

TEST_CASE("react: what a main that returns nothing throws is its failure; SystemExit gives its code") {
  weft_test::LogCapture log;
  weft_test::run_logged(log, [] {
    FakeReactor r;
    CHECK(react([](FakeReactor&) { throw GenericError("in main"); }, r) == 1);
    FakeReactor s;
    CHECK(react([](FakeReactor&) { throw SystemExit(9); }, s) == 9);
    const auto start = weft::now();
    CHECK(react([](Reactor& reactor) { wait(deferLater(reactor, 0.05)); }) == 0);
    CHECK(weft_test::near(weft_test::since(start), 0.05));
  });
  CHECK(log.count("main function encountered error: twisted_test::GenericError: in main") == 1);
}

TEST_CASE("react outside dispatch with a main that returns nothing") {
  bool waited = false;
  int code = react([&](Reactor& reactor) {
    wait(deferLater(reactor, 0.01));
    waited = true;
  });
  CHECK(code == 0);
  CHECK(waited);
}

}
