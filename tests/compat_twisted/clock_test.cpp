// Clock and DelayedCall (conformance §1 Clock, §2 case 69).

#include <optional>
#include <string>
#include <vector>

#include "tests/compat_twisted/support.hpp"

using namespace weft::twisted;
using twisted_test::GenericError;

TEST_SUITE("compat_twisted") {

TEST_CASE("case 69: callLater runs only once its time is reached, then is inactive") {
  Clock c;
  CHECK(c.seconds() == 0.0);
  int calls = 0;
  DelayedCall call = c.callLater(2, [&] { ++calls; });
  CHECK(call.getTime() == 2.0);
  c.advance(1);
  CHECK(calls == 0);
  CHECK(call.active());
  c.advance(1);
  CHECK(calls == 1);
  CHECK_FALSE(call.active());
  CHECK(call.called());
  CHECK(c.getDelayedCalls().empty());
}

TEST_CASE("case 69: cancel inside its own call raises AlreadyCalled") {
  Clock c;
  std::optional<DelayedCall> self;
  bool raised = false;
  self = c.callLater(1, [&] {
    try {
      self->cancel();
    } catch (const AlreadyCalled&) {
      raised = true;
    }
  });
  c.advance(1);
  CHECK(raised);
}

TEST_CASE("case 69: delay, reset later, reset sooner") {
  Clock c;
  DelayedCall a = c.callLater(1, [] {});
  a.delay(1);
  CHECK(a.getTime() == 2.0);
  c.advance(1);
  CHECK(a.active());
  DelayedCall b = c.callLater(2, [] {});  // at 3
  b.reset(3);
  CHECK(b.getTime() == 4.0);
  DelayedCall s = c.callLater(4, [] {});  // at 5
  s.reset(2);
  CHECK(s.getTime() == 3.0);
  c.advance(10);
  CHECK_FALSE(a.active());
  CHECK_FALSE(b.active());
  CHECK_FALSE(s.active());
}

TEST_CASE("DelayedCall: cancel/reset/delay raise AlreadyCancelled and AlreadyCalled") {
  Clock c;
  int calls = 0;
  DelayedCall x = c.callLater(1, [&] { ++calls; });
  x.cancel();
  CHECK(x.cancelled());
  CHECK_FALSE(x.active());
  CHECK_THROWS_AS(x.cancel(), AlreadyCancelled);
  CHECK_THROWS_AS(x.reset(1), AlreadyCancelled);
  CHECK_THROWS_AS(x.delay(1), AlreadyCancelled);
  c.advance(2);
  CHECK(calls == 0);
  DelayedCall y = c.callLater(1, [] {});
  c.advance(1);
  CHECK_THROWS_AS(y.cancel(), AlreadyCalled);
  CHECK_THROWS_AS(y.reset(1), AlreadyCalled);
  CHECK_THROWS_AS(y.delay(1), AlreadyCalled);
  CHECK(y.time() == 3.0);
}

TEST_CASE("Clock: every call in one advance sees the final time; due new calls run too") {
  Clock c;
  std::vector<std::string> seen;
  c.callLater(1, [&] {
    seen.push_back("a@" + std::to_string(c.seconds()));
    c.callLater(0, [&] { seen.push_back("zero-delay@" + std::to_string(c.seconds())); });
    c.callLater(5, [&] { seen.push_back("later"); });
  });
  c.callLater(2, [&] { seen.push_back("b@" + std::to_string(c.seconds())); });
  c.advance(3);
  CHECK(seen == std::vector<std::string>{"a@3.000000", "b@3.000000", "zero-delay@3.000000"});
  CHECK(c.getDelayedCalls().size() == 1);
}

TEST_CASE("Clock: ties run in list order; a reset re-sorts only at the next sort") {
  Clock c;
  std::vector<std::string> seen;
  c.callLater(1, [&] { seen.push_back("x"); });
  c.callLater(1, [&] { seen.push_back("y"); });
  c.advance(1);
  CHECK(seen == std::vector<std::string>{"x", "y"});
  seen.clear();
  Clock d;
  d.callLater(2, [&] { seen.push_back("a"); });
  DelayedCall b = d.callLater(1, [&] { seen.push_back("b"); });
  b.reset(2);
  d.advance(2);
  CHECK(seen == std::vector<std::string>{"b", "a"});
}

TEST_CASE("Clock: a call cancelled by an earlier same-time call does not run") {
  Clock c;
  bool second = false;
  std::optional<DelayedCall> victim;
  c.callLater(1, [&] { victim->cancel(); });
  victim = c.callLater(1, [&] { second = true; });
  c.advance(1);
  CHECK_FALSE(second);
}

TEST_CASE("Clock: an exception escapes advance and leaves the rest pending") {
  Clock c;
  bool later = false;
  c.callLater(1, [] { throw GenericError("call failed"); });
  c.callLater(1, [&] { later = true; });
  CHECK_THROWS_AS(c.advance(1), GenericError);
  CHECK_FALSE(later);
  CHECK(c.getDelayedCalls().size() == 1);
  c.advance(0);
  CHECK(later);
}

TEST_CASE("Clock: negative delays and negative advances are accepted") {
  Clock c;
  int calls = 0;
  c.callLater(-1, [&] { ++calls; });
  c.advance(0);
  CHECK(calls == 1);
  c.advance(-5);
  CHECK(c.seconds() == -5.0);
}

TEST_CASE("Clock: callLater passes extra arguments; pump advances step by step") {
  Clock c;
  std::vector<int> seen;
  c.callLater(1, [&](int a, int b) { seen.push_back(a + b); }, 2, 3);
  c.callLater(2, [&](int a) { seen.push_back(a); }, 7);
  c.pump({0.5, 0.5, 0.5, 0.5});
  CHECK(seen == std::vector<int>{5, 7});
  CHECK(c.seconds() == 2.0);
}

TEST_CASE("Clock: getDelayedCalls lists pending calls in time order") {
  Clock c;
  DelayedCall late = c.callLater(3, [] {});
  DelayedCall early = c.callLater(1, [] {});
  auto calls = c.getDelayedCalls();
  REQUIRE(calls.size() == 2);
  CHECK(calls[0] == early);
  CHECK(calls[1] == late);
}

TEST_CASE("a Clock's destruction abandons its pending calls") {
  std::optional<DelayedCall> call;
  {
    Clock c;
    call = c.callLater(1, [] {});
  }
  CHECK(call->cancelled());
  CHECK_THROWS_AS(call->cancel(), AlreadyCancelled);
}

TEST_CASE("DelayedCall: the time-change hook hears every reset and delay") {
  DelayedCall c(5, [] {}, {}, {}, [] { return 0.0; });
  int changes = 0;
  c.setTimeChangeHook([&](DelayedCall&) { ++changes; });
  c.reset(10);
  c.delay(1);
  c.reset(1);
  CHECK(changes == 3);
  c.abandon();
  CHECK(c.cancelled());
}

TEST_CASE("DelayedCall's own constructor calls its hooks") {
  double now = 10;
  int cancels = 0, resets = 0;
  DelayedCall c(
      12, [] {}, [&](DelayedCall&) { ++cancels; }, [&](DelayedCall&) { ++resets; },
      [&] { return now; });
  c.reset(5);  // 15: later, no hook (the owner re-sorts lazily)
  CHECK(resets == 0);
  CHECK(c.getTime() == 15.0);
  c.reset(1);  // 11: sooner
  CHECK(resets == 1);
  c.delay(-2);
  CHECK(resets == 2);
  CHECK(c.getTime() == 9.0);
  c.cancel();
  CHECK(cancels == 1);
}

TEST_CASE("DelayedCall: reset and delay from inside its own call raise AlreadyCalled") {
  twisted_test::run([] {
    Clock clock;
    std::optional<DelayedCall> call;
    int tries = 0;
    call = clock.callLater(1, [&] {
      CHECK_FALSE(call->active());
      CHECK_THROWS_AS(call->reset(1), AlreadyCalled);
      CHECK_THROWS_AS(call->delay(1), AlreadyCalled);
      ++tries;
    });
    clock.advance(1);
    CHECK(tries == 1);
    CHECK(call->called());
    CHECK_FALSE(call->cancelled());
  });
}

}
