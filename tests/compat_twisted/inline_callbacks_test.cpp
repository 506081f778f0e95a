// wait(), inlineCallbacks, ensureDeferred: the bridge to tasklets
// (conformance §1 inlineCallbacks, §3, §2 cases 43 and 66).

#include <chrono>
#include <string>
#include <vector>

#include "sched/timer.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/compat_twisted/support.hpp"

using namespace weft::twisted;
using twisted_test::GenericError;
using twisted_test::run;
using weft::Tasklet;

TEST_SUITE("compat_twisted") {

TEST_CASE("wait: a fired Deferred returns at once and its result is consumed") {
  run([] {
    Deferred d = succeed(5);
    CHECK(wait<int>(d) == 5);
    CHECK(d.result().isNone());
    Deferred f = fail(GenericError("fired failure"));
    CHECK_THROWS_AS(wait(f), GenericError);
    CHECK(f.result().isNone());  // consumed: nothing left to report
  });
}

TEST_CASE("wait: parks until the Deferred fires; a failure is rethrown") {
  run([] {
    Deferred d;
    auto firer = Tasklet::spawn([d]() mutable { d.callback(std::string("later")); });
    CHECK(wait<std::string>(d) == "later");
    firer.join();
    Deferred e;
    auto failer = Tasklet::spawn([e]() mutable { e.errback(GenericError("later failure")); });
    CHECK_THROWS_AS(wait(e), GenericError);
    failer.join();
    CHECK_THROWS_AS(wait<int>(succeed(std::string("s"))), TypeMismatch);
  });
}

TEST_CASE("wait: timeout throws weft's TimeoutError and leaves the Deferred alone") {
  run([] {
    Deferred d;
    CHECK_THROWS_AS(wait(d, 0.02), weft::TimeoutError);
    d.callback(3);
    CHECK(d.result().as<int>() == 3);  // passed through, not consumed
    weft::DeadlineScope scope(0.02);
    Deferred e;
    CHECK_THROWS_AS(wait(e), weft::TimeoutError);
  });
}

TEST_CASE("wait: a killed waiter unwinds; the Deferred's result then passes through") {
  run([] {
    Deferred d;
    bool unwound = false;
    auto t = Tasklet::spawn([&] {
      struct Flag {
        bool& f;
        ~Flag() { f = true; }
      } flag{unwound};
      wait(d);
    });
    Tasklet::yield_();
    t.kill();
    CHECK(unwound);
    d.callback(1);
    CHECK(d.result().as<int>() == 1);
  });
}

TEST_CASE("wait: outside a tasklet an unfired Deferred is NotInTasklet; a fired one works") {
  run([] {
    std::string outcome;
    Deferred pending;
    weft::Timer timer(std::chrono::milliseconds(1), [&] {
      CHECK(wait<int>(succeed(1)) == 1);
      try {
        wait(pending);
      } catch (const weft::NotInTasklet&) {
        outcome = "not in tasklet";
      }
    });
    Tasklet::sleep(0.02);
    CHECK(outcome == "not in tasklet");
    pending.callback();
  });
}

TEST_CASE("wait on a Deferred from inside its own callback is refused, not a hang") {
  run([] {
    Deferred d;
    bool refused = false;
    d.addCallback([&](Result& r) {
      try {
        wait(d);
      } catch (const std::logic_error&) {
        refused = true;
      }
      return r;
    });
    d.callback(1);
    CHECK(refused);
  });
}

TEST_CASE("wait in a plain tasklet resumes it later, in run-queue order") {
  run([] {
    std::vector<std::string> order;
    Deferred d;
    auto waiter = Tasklet::spawn([&] {
      wait(d);
      order.push_back("waiter resumed");
    });
    Tasklet::yield_();
    d.callback();
    order.push_back("after callback");
    waiter.join();
    CHECK(order == std::vector<std::string>{"after callback", "waiter resumed"});
  });
}

TEST_CASE("inlineCallbacks starts synchronously, up to its first wait on an unfired Deferred") {
  run([] {
    std::vector<std::string> order;
    Deferred first;
    auto f = inlineCallbacks([&](const std::string& who) {
      order.push_back("start " + who);
      order.push_back("fired wait " + std::to_string(wait<int>(succeed(1))));
      wait(first);
      order.push_back("after first");
    });
    Deferred d = f("a");
    order.push_back("returned");
    CHECK(order == std::vector<std::string>{"start a", "fired wait 1", "returned"});
    first.callback();
    CHECK(order.back() == "after first");
    CHECK(d.called());
    CHECK(d.result().isNone());
  });
}

TEST_CASE("inlineCallbacks resumes synchronously, nested like Twisted's callbacks") {
  run([] {
    std::vector<std::string> order;
    Deferred a, b;
    auto inner = inlineCallbacks([&] {
      order.push_back("inner waits b");
      wait(b);
      order.push_back("inner resumed");
    });
    auto outer = inlineCallbacks([&] {
      order.push_back("outer waits a");
      wait(a);
      order.push_back("outer fires b");
      b.callback();
      order.push_back("outer after b");
    });
    Deferred i = inner();
    Deferred o = outer();
    a.callback();
    order.push_back("main after a");
    CHECK(order == std::vector<std::string>{"inner waits b", "outer waits a", "outer fires b",
                                            "inner resumed", "outer after b", "main after a"});
    CHECK(i.called());
    CHECK(o.called());
  });
}

TEST_CASE("inlineCallbacks: return value, exception, returned Failure") {
  run([] {
    auto value = inlineCallbacks([](int x) { return x * 3; });
    CHECK(value(4).result().as<int>() == 12);
    auto raising = inlineCallbacks([]() -> int { throw GenericError("body raised"); });
    Deferred r = raising();
    CHECK(r.result().failure().check<GenericError>());
    r.addErrback([](const Failure&) {});
    auto failing = inlineCallbacks([] { return Failure(GenericError("returned failure")); });
    Deferred f = failing();
    CHECK(f.result().failure().getErrorMessage() == "returned failure");
    f.addErrback([](const Failure&) {});
    auto nested = inlineCallbacks([&] { return wait<int>(value(2)) + 1; });
    CHECK(nested().result().as<int>() == 7);
  });
}

TEST_CASE("inlineCallbacks: 5000 already-fired waits in a row run on a bounded stack") {
  run([] {
    auto f = inlineCallbacks([] {
      long total = 0;
      for (int i = 0; i < 5000; ++i) total += wait<int>(succeed(i));
      return total;
    });
    CHECK(f().result().as<long>() == 4999L * 5000 / 2);
  });
}

TEST_CASE("cancel forwards to the awaited Deferred; a caught CancelledError goes on") {
  run([] {
    Deferred first, second;
    std::vector<std::string> seen;
    auto f = inlineCallbacks([&] {
      try {
        wait(first);
      } catch (const CancelledError&) {
        seen.push_back("first cancelled");
      }
      try {
        wait(second);
      } catch (const CancelledError&) {
        seen.push_back("second cancelled");
        throw;
      }
    });
    Deferred d = f();
    d.cancel();
    CHECK(seen == std::vector<std::string>{"first cancelled"});
    CHECK_FALSE(d.called());
    d.cancel();
    CHECK(seen == std::vector<std::string>{"first cancelled", "second cancelled"});
    REQUIRE(d.called());
    CHECK(d.result().failure().check<CancelledError>());
    d.addErrback([](const Failure&) {});
    d.cancel();  // after completion: nothing
  });
}

TEST_CASE("cancel delivers the awaited Deferred's canceller outcome into the function") {
  run([] {
    Deferred awaited([](Deferred& self) { self.callback("from canceller"); });
    auto f = inlineCallbacks([&] { return wait<std::string>(awaited) + "!"; });
    Deferred d = f();
    d.cancel();
    CHECK(d.result().as<std::string>() == "from canceller!");
  });
}

TEST_CASE("inlineCallbacks called outside a tasklet starts later, in run-queue order") {
  run([] {
    std::vector<std::string> order;
    std::optional<Deferred> d;
    weft::Timer timer(std::chrono::milliseconds(1), [&] {
      d = inlineCallbacks([&] { order.push_back("body"); })();
      order.push_back("timer returns");
    });
    Tasklet::sleep(0.02);
    CHECK(order == std::vector<std::string>{"timer returns", "body"});
    REQUIRE(d);
    CHECK(d->called());
  });
}

TEST_CASE("a body blocked forever is killed at loop exit without leaks") {
  run([] {
    Deferred never;
    Deferred d = inlineCallbacks([never] { wait(never); })();
    CHECK_FALSE(d.called());
  });
}

TEST_CASE("a firer killed while a body runs its synchronous section unwinds; the body goes on") {
  run([] {
    Deferred gate;
    std::vector<std::string> order;
    Deferred body = inlineCallbacks([&] {
      wait(gate);
      order.push_back("body resumed");
      Tasklet::sleep(0.03);  // a blocking call in the synchronous section
      order.push_back("body done");
    })();
    Deferred after;
    after.addCallback([&](Result&) { order.push_back("chain went on"); });
    auto firer = Tasklet::spawn([&] {
      try {
        gate.addBoth([&](Result& r) {  // sees the kill as a TaskletExit failure
          after.callback();
          return r;
        });
        gate.callback();  // parks until the body hands back
        order.push_back("firer continued");
      } catch (const weft::TaskletExit&) {
        order.push_back("firer unwound");
        throw;
      }
    });
    Tasklet::sleep(0.01);
    CHECK(order == std::vector<std::string>{"body resumed"});
    firer.kill();
    CHECK(order == std::vector<std::string>{"body resumed", "chain went on", "firer unwound"});
    CHECK(firer.has_finished());
    wait(body);
    CHECK(order.back() == "body done");
  });
}

TEST_CASE("case 66: ensureDeferred") {
  run([] {
    Deferred d;
    CHECK(ensureDeferred(d) == d);
    CHECK(ensureDeferred([] { return wait<std::string>(succeed(std::string("foo"))); })
              .result()
              .as<std::string>() == "foo");
    CHECK(ensureDeferred(Result(d)) == d);
  });
}

TEST_CASE("case 43: ensureDeferred of a non-Deferred value is NotACoroutineError") {
  run([] {
    CHECK_THROWS_AS(ensureDeferred(Result("something")), NotACoroutineError);
    CHECK_THROWS_AS(ensureDeferred(Result(1)), NotACoroutineError);
    CHECK_THROWS_AS(ensureDeferred(Result(true)), NotACoroutineError);
    CHECK_THROWS_AS(ensureDeferred(Result()), NotACoroutineError);
    CHECK_THROWS_AS(ensureDeferred(Result(Failure(GenericError("x")))), NotACoroutineError);
  });
}

}
