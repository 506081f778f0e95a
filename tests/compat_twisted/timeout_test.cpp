// Deferred::addTimeout (conformance §1 addTimeout).

#include "tests/compat_twisted/support.hpp"

using namespace weft::twisted;
using twisted_test::GenericError;
using twisted_test::run;

TEST_SUITE("compat_twisted") {

TEST_CASE("addTimeout: times out with TimeoutError after the clock passes the delay") {
  run([] {
    Clock clock;
    Deferred d;
    d.addTimeout(10, clock);
    clock.advance(9);
    CHECK_FALSE(d.called());
    clock.advance(1);
    REQUIRE(d.called());
    CHECK(d.result().failure().check<TimeoutError>());
    CHECK(d.result().failure().check<weft::TimeoutError>());
    d.addErrback([](const Failure&) {});
  });
}

TEST_CASE("addTimeout: earlier errbacks see CancelledError, later ones TimeoutError") {
  run([] {
    Clock clock;
    Deferred d;
    std::string early, late;
    d.addErrback([&](const Failure& f) {
      early = f.check<CancelledError>() ? "cancelled" : "other";
      return f;
    });
    d.addTimeout(1, clock);
    d.addErrback([&](const Failure& f) { late = f.check<TimeoutError>() ? "timeout" : "other"; });
    clock.advance(1);
    CHECK(early == "cancelled");
    CHECK(late == "timeout");
  });
}

TEST_CASE("addTimeout: a result in time cancels the timer; on a fired Deferred at once") {
  run([] {
    Clock clock;
    Deferred d;
    d.addTimeout(5, clock);
    CHECK(clock.getDelayedCalls().size() == 1);
    d.callback(1);
    CHECK(clock.getDelayedCalls().empty());
    CHECK(d.result().as<int>() == 1);
    Deferred fired = succeed(2);
    fired.addTimeout(5, clock);
    CHECK(clock.getDelayedCalls().empty());
    CHECK(fired.result().as<int>() == 2);
  });
}

TEST_CASE("addTimeout: a manual cancel keeps CancelledError; other failures pass through") {
  run([] {
    Clock clock;
    Deferred d;
    d.addTimeout(5, clock);
    d.cancel();
    CHECK(d.result().failure().check<CancelledError>());
    CHECK_FALSE(d.result().failure().check<TimeoutError>());
    d.addErrback([](const Failure&) {});
    CHECK(clock.getDelayedCalls().empty());

    Deferred e([](Deferred& self) { self.errback(GenericError("canceller failure")); });
    e.addTimeout(1, clock);
    clock.advance(1);
    CHECK(e.result().failure().check<GenericError>());
    e.addErrback([](const Failure&) {});
  });
}

TEST_CASE("addTimeout: onTimeoutCancel converts the result; the cancel reaches a chained Deferred") {
  run([] {
    Clock clock;
    Deferred d;
    d.addTimeout(2, clock, [](Result r, double timeout) -> Result {
      return "converted after " + std::to_string(static_cast<int>(timeout)) +
             (r.isFailure() ? " (failure)" : "");
    });
    clock.advance(2);
    CHECK(d.result().as<std::string>() == "converted after 2 (failure)");

    bool innerCancelled = false;
    Deferred inner([&](Deferred&) { innerCancelled = true; });
    Deferred outer;
    outer.addCallback([&](Result&) { return inner; });
    outer.callback();
    outer.addTimeout(1, clock);
    clock.advance(1);
    CHECK(innerCancelled);
    CHECK(outer.result().failure().check<TimeoutError>());
    outer.addErrback([](const Failure&) {});
  });
}

TEST_CASE("addTimeout: a canceller's value after the timeout passes through unchanged") {
  run([] {
    Clock clock;
    Deferred d([](Deferred& self) { self.callback(std::string("canceller value")); });
    d.addTimeout(1, clock);
    clock.advance(1);
    CHECK(d.result().as<std::string>() == "canceller value");
    CHECK(clock.getDelayedCalls().empty());
  });
}

}
