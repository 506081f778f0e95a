// LoopingCall (conformance §1 LoopingCall, §2 cases 75-77).

#include <optional>
#include <string>
#include <vector>

#include "tests/compat_twisted/support.hpp"

using namespace weft::twisted;
using twisted_test::GenericError;
using twisted_test::run;

TEST_SUITE("compat_twisted") {

TEST_CASE("case 75: interval 0.1, pump [0.05, 0.1, 0.1]: 3 calls; stop fires with the loop") {
  run([] {
    Clock clock;
    std::vector<std::string> calls;
    LoopingCall lc(clock, [&](const std::string& a, const std::string& b) { calls.push_back(a + b); },
                   "a", "b");
    Deferred d = lc.start(0.1);
    std::optional<LoopingCall> fired;
    d.addCallback([&](const LoopingCall& l) { fired = l; });
    clock.pump({0.05, 0.1, 0.1});
    CHECK(calls == std::vector<std::string>{"ab", "ab", "ab"});
    CHECK(lc.running());
    lc.stop();
    REQUIRE(fired);
    CHECK(*fired == lc);
    CHECK_FALSE(lc.running());
    CHECK(clock.getDelayedCalls().empty());
  });
}

TEST_CASE("case 75: now=false: 2 calls over the same pump") {
  run([] {
    Clock clock;
    int calls = 0;
    LoopingCall lc(clock, [&] { ++calls; });
    Deferred d = lc.start(0.1, false);
    clock.pump({0.05, 0.1, 0.1});
    CHECK(calls == 2);
    lc.stop();
    CHECK(d.called());
    CHECK(clock.getDelayedCalls().empty());
  });
}

TEST_CASE("case 76: start(-1) is invalid; start+stop never calls f; reset re-bases the grid") {
  run([] {
    Clock clock;
    int calls = 0;
    LoopingCall lc(clock, [&] { ++calls; });
    CHECK_THROWS_AS(lc.start(-1), std::invalid_argument);
    CHECK_FALSE(lc.running());
    for (double delay : {0.0, 10.0}) {
      lc.start(delay, false);
      lc.stop();
      CHECK(calls == 0);
      CHECK(clock.getDelayedCalls().empty());
    }
    Clock c;
    LoopingCall r(c, [&] { ++calls; });
    r.start(2, false);
    c.advance(1);
    r.reset();
    CHECK(r.starttime() == 1.0);
    c.advance(1);
    CHECK(calls == 0);
    c.advance(1);
    CHECK(calls == 1);
    r.stop();
  });
}

TEST_CASE("precondition errors: start while running, stop or reset while stopped") {
  run([] {
    Clock clock;
    LoopingCall lc(clock, [] {});
    CHECK_THROWS_AS(lc.stop(), std::logic_error);
    CHECK_THROWS_AS(lc.reset(), std::logic_error);
    lc.start(1);
    CHECK_THROWS_AS(lc.start(1), std::logic_error);
    CHECK_THROWS_AS(lc.setClock(clock), std::logic_error);
    lc.stop();
    CHECK(&lc.clock() == &clock);
    Clock other;
    lc.setClock(other);
    CHECK(&lc.clock() == &other);
    lc.start(1, false);
    CHECK(other.getDelayedCalls().size() == 1);
    CHECK(clock.getDelayedCalls().empty());
    lc.stop();
  });
}

TEST_CASE("case 77: f raising fails the start Deferred, even when f stopped the loop first") {
  run([] {
    Clock clock;
    LoopingCall lc(clock, [](const std::string& x) { throw GenericError(x); }, "bar");
    Deferred d = lc.start(0.1);
    CHECK(d.result().failure().getErrorMessage() == "bar");  // the first call raised inside start()
    d.addErrback([](const Failure&) {});
    CHECK_FALSE(lc.running());

    std::optional<LoopingCall> self;
    LoopingCall stopper(clock, [&] {
      self->stop();
      throw GenericError("after stop");
    });
    self = stopper;
    Deferred s = stopper.start(0.1);
    CHECK(s.result().failure().getErrorMessage() == "after stop");
    s.addErrback([](const Failure&) {});
    CHECK(clock.getDelayedCalls().empty());
  });
}

TEST_CASE("case 77: nothing is scheduled while f's Deferred is pending; its failure propagates") {
  run([] {
    Clock clock;
    std::optional<LoopingCall> lc;
    int calls = 0;
    lc = LoopingCall(clock, [&] {
      ++calls;
      Deferred d;
      d.addCallback([&](Result&) { lc->stop(); });
      clock.callLater(1, [d]() mutable { d.callback(); });
      return d;
    });
    Deferred done = lc->start(0.2);
    clock.pump({0.2, 0.8});
    CHECK(calls == 1);
    CHECK(done.called());
    CHECK(clock.getDelayedCalls().empty());

    Clock c2;
    LoopingCall failing(c2, [&] {
      Deferred d;
      c2.callLater(0.3, [d]() mutable { d.errback(GenericError("async failure")); });
      return d;
    });
    Deferred f = failing.start(1);
    c2.pump({0.3});
    CHECK(f.result().failure().getErrorMessage() == "async failure");
    f.addErrback([](const Failure&) {});
    CHECK(c2.getDelayedCalls().empty());
  });
}

TEST_CASE("stop while f's Deferred is outstanding fires when that Deferred does") {
  run([] {
    Clock clock;
    Deferred inner;
    LoopingCall lc(clock, [&] { return inner; });
    Deferred done = lc.start(1);
    lc.stop();
    CHECK_FALSE(done.called());
    inner.errback(GenericError("late"));
    CHECK(done.result().failure().getErrorMessage() == "late");
    done.addErrback([](const Failure&) {});
  });
}

TEST_CASE("missed grid points are skipped, not replayed") {
  run([] {
    Clock clock;
    std::vector<double> at;
    LoopingCall lc(clock, [&] { at.push_back(clock.seconds()); });
    lc.start(1.0);
    clock.advance(3.5);  // one late call at 3.5, then back on the grid at 4
    clock.advance(0.5);
    CHECK(at == std::vector<double>{0.0, 3.5, 4.0});
    lc.stop();
  });
}

TEST_CASE("interval 0 loops within one advance(0) until stopped; a stopped loop restarts") {
  run([] {
    Clock clock;
    int calls = 0;
    int limit = 6;
    std::optional<LoopingCall> lc;
    lc = LoopingCall(clock, [&] {
      if (++calls == limit) lc->stop();
    });
    Deferred d = lc->start(0);
    clock.advance(0);
    CHECK(calls == 6);
    CHECK(d.called());
    limit = 9;
    Deferred again = lc->start(0, false);
    CHECK(lc->running());
    CHECK(lc->interval() == 0.0);
    clock.advance(0);
    CHECK(calls == 9);
    CHECK(again.called());
  });
}

TEST_CASE("deferred() and call() show the running state") {
  run([] {
    Clock clock;
    LoopingCall lc(clock, [] {});
    CHECK_FALSE(lc.deferred());
    Deferred d = lc.start(1);
    REQUIRE(lc.deferred());
    CHECK(*lc.deferred() == d);
    REQUIRE(lc.call());
    CHECK(lc.call()->getTime() == 1.0);
    lc.stop();
    CHECK_FALSE(lc.deferred());
    CHECK_FALSE(lc.call());
  });
}

TEST_CASE("withCount: 1 normally, the number of elapsed intervals after a delay") {
  run([] {
    Clock clock;
    std::vector<std::pair<double, long>> times;
    LoopingCall call = LoopingCall::withCount(clock, [&](long n) { times.emplace_back(clock.seconds(), n); });
    call.start(0.5);
    CHECK(times.back() == std::make_pair(0.0, 1L));
    clock.advance(0.51);
    CHECK(times.back() == std::make_pair(0.51, 1L));
    clock.advance(0.5 * 1.75);
    CHECK(times.back().second == 1);
    clock.advance(0.5 * 0.25);
    CHECK(times.back().second == 1);
    clock.advance(1.6);  // skipped three grid points
    CHECK(times.back().second == 3);
    call.stop();
  });
}

TEST_CASE("withCount never calls with 0 and counts every interval across float boundaries") {
  run([] {
    Clock clock;
    std::vector<long> counts;
    LoopingCall call = LoopingCall::withCount(clock, [&](long n) { counts.push_back(n); });
    const double interval = 1.0 / 10;
    call.start(interval, false);
    for (int i = 0; i < 10; ++i) clock.advance(interval);
    double sum = 0;
    for (int i = 0; i < 10; ++i) sum += interval;
    clock.advance(1.0 - sum);
    long total = 0;
    for (long n : counts) {
      CHECK(n != 0);
      total += n;
    }
    CHECK(total == 10);
    call.stop();
  });
}

TEST_CASE("withCount with interval 0 always counts 1, also after a pending Deferred") {
  run([] {
    Clock clock;
    std::vector<long> counts;
    Deferred gate;
    std::optional<LoopingCall> loop;
    loop = LoopingCall::withCount(clock, [&](long n) -> Result {
      counts.push_back(n);
      if (counts.size() == 2) return gate;
      if (counts.size() > 4) loop->stop();
      return Result();
    });
    Deferred d = loop->start(0, false);
    clock.advance(0);
    CHECK(counts == std::vector<long>{1, 1});
    clock.advance(2);
    CHECK(counts.size() == 2);
    gate.callback();
    clock.advance(0);
    CHECK(counts == std::vector<long>{1, 1, 1, 1, 1});
    CHECK(d.called());
  });
}

TEST_CASE("reset() while f's Deferred is outstanding leaves the grid alone") {
  run([] {
    Clock clock;
    std::optional<Deferred> pending;
    int calls = 0;
    LoopingCall lc(clock, [&]() -> Deferred {
      ++calls;
      pending.emplace();
      return *pending;
    });
    Deferred done = lc.start(1.0);
    clock.advance(0.5);
    lc.reset();  // no call pending: nothing to re-base
    CHECK(lc.starttime() == 0.0);
    CHECK(clock.getDelayedCalls().empty());
    pending->callback();
    REQUIRE(clock.getDelayedCalls().size() == 1);
    CHECK(clock.getDelayedCalls()[0].getTime() == 1.0);
    clock.advance(0.5);
    CHECK(calls == 2);
    lc.stop();
    CHECK_FALSE(done.called());  // f's second Deferred is still outstanding
    pending->callback();
    CHECK(done.result().as<LoopingCall>() == lc);
  });
}

TEST_CASE("a LoopingCall that failed can be started again") {
  run([] {
    Clock clock;
    int calls = 0;
    LoopingCall lc(clock, [&] {
      if (++calls == 2) throw GenericError("second call fails");
    });
    Deferred first = lc.start(1.0);
    clock.advance(1);
    CHECK(first.result().failure().getErrorMessage() == "second call fails");
    first.addErrback([](const Failure&) {});
    CHECK_FALSE(lc.running());
    Deferred second = lc.start(1.0);
    CHECK(lc.running());
    CHECK(calls == 3);
    clock.advance(1);
    CHECK(calls == 4);
    lc.stop();
    CHECK(second.called());
  });
}

TEST_CASE("withCount with now=false: the first call counts 1") {
  run([] {
    Clock clock;
    std::vector<long> counts;
    LoopingCall lc = LoopingCall::withCount(clock, [&](long n) { counts.push_back(n); });
    lc.start(1.0, false);
    CHECK(counts.empty());
    clock.advance(1);
    clock.advance(3);
    CHECK(counts == std::vector<long>{1, 3});
    lc.stop();
  });
}

}
