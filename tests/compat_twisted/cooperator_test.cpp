// Cooperator and CooperativeTask (conformance §1 Cooperator, §2 case 70).

#include <chrono>
#include <string>
#include <vector>

#include "tests/compat_twisted/support.hpp"

using namespace weft::twisted;
using twisted_test::GenericError;
using twisted_test::run;

namespace {

// Twisted's FakeScheduler: ticks wait in a list until pump().
struct FakeScheduler {
  std::vector<DelayedCall> work;
  std::function<DelayedCall(std::function<void()>)> fn() {
    return [this](std::function<void()> thunk) {
      DelayedCall c(0, std::move(thunk), {}, {}, [] { return 0.0; });
      work.push_back(c);
      return c;
    };
  }
  void pump() {
    std::vector<DelayedCall> now = std::move(work);
    work.clear();
    for (DelayedCall& unit : now) {
      if (unit.active()) unit.invoke();
    }
  }
};

// An iterator over `items`, recording each into `out`.
Iterator recording(std::vector<std::string> items, std::vector<std::string>& out) {
  return [items = std::move(items), i = std::size_t(0), &out]() mutable -> std::optional<Result> {
    if (i == items.size()) return StopIteration;
    out.push_back(items[i]);
    return Result(items[i++]);
  };
}

Iterator counting(int n, int& value) {
  return [n, &value]() mutable -> std::optional<Result> {
    if (value + 1 >= n) return StopIteration;
    return ++value;
  };
}

// The outcome of a whenDone/coiterate Deferred, as text.
std::string outcome(Deferred d) {
  std::string s = "pending";
  d.addBoth([&s](Result& r) {
    s = r.isFailure() ? "failed " + r.failure().typeName() : "done";
    return Result();
  });
  return s;
}

CooperatorOptions oneUnitPerTick(FakeScheduler& sched) {
  CooperatorOptions o;
  o.scheduler = sched.fn();
  o.terminationPredicateFactory = [] { return [] { return true; }; };
  return o;
}

}  // namespace

TEST_SUITE("compat_twisted") {

TEST_CASE("case 70: a stopped Cooperator rejects new tasks with SchedulerStopped") {
  run([] {
    FakeScheduler sched;
    Cooperator c(CooperatorOptions{.scheduler = sched.fn()});
    c.stop();
    int advanced = 0;
    Iterator it = [&]() -> std::optional<Result> {
      ++advanced;
      return StopIteration;
    };
    CHECK(outcome(c.coiterate(it)) == "failed weft::twisted::SchedulerStopped");
    Deferred given;
    Deferred d = c.coiterate(it, given);
    CHECK(d == given);
    CHECK(outcome(d) == "failed weft::twisted::SchedulerStopped");
    sched.pump();
    CHECK(advanced == 0);
  });
}

TEST_CASE("case 70: stop() while running fails the task; the iterator is not advanced") {
  run([] {
    FakeScheduler sched;
    Cooperator c(CooperatorOptions{.scheduler = sched.fn()});
    int value = -1;
    Deferred d = c.coiterate(counting(3, value));
    c.stop();
    CHECK(outcome(d) == "failed weft::twisted::SchedulerStopped");
    sched.pump();
    CHECK(value == -1);
    CHECK_FALSE(c.running());
  });
}

TEST_CASE("case 70: an iterator raising, or yielding a failing Deferred, fails coiterate") {
  run([] {
    FakeScheduler sched;
    Cooperator c(CooperatorOptions{.scheduler = sched.fn()});
    Deferred raising = c.coiterate([]() -> std::optional<Result> { throw std::runtime_error("it"); });
    Deferred later;
    bool yielded = false;
    Deferred laterFail = c.coiterate([&]() -> std::optional<Result> {
      if (yielded) return StopIteration;
      yielded = true;
      return Result(later);
    });
    Deferred nowFail = c.coiterate([]() -> std::optional<Result> {
      return Result(fail(std::runtime_error("already failed")));
    });
    sched.pump();
    later.errback(std::runtime_error("later"));
    CHECK(outcome(raising) == "failed std::runtime_error");
    CHECK(outcome(laterFail) == "failed std::runtime_error");
    CHECK(outcome(nowFail) == "failed std::runtime_error");
  });
}

TEST_CASE("a task paused on a Deferred when stop() runs fails with SchedulerStopped once it fires") {
  run([] {
    FakeScheduler sched;
    Cooperator c(CooperatorOptions{.scheduler = sched.fn()});
    Deferred outstanding;
    bool second = false;
    Deferred d = c.coiterate([&, n = 0]() mutable -> std::optional<Result> {
      if (n++ == 0) return Result(outstanding);
      second = true;
      return StopIteration;
    });
    sched.pump();
    c.stop();
    outstanding.callback("arglebargle");
    CHECK(outcome(d) == "failed weft::twisted::SchedulerStopped");
    CHECK_FALSE(second);
  });
}

TEST_CASE("round robin: one unit per task in turn") {
  run([] {
    FakeScheduler sched;
    Cooperator c(CooperatorOptions{.scheduler = sched.fn()});
    std::vector<std::string> seen;
    std::vector<Deferred> done;
    for (auto group : {std::vector<std::string>{"a", "b", "c"}, {"1", "2", "3"},
                       {"d", "e", "f"}, {"4", "5", "6"}}) {
      done.push_back(c.coiterate(recording(group, seen)));
    }
    DeferredList all(done);
    while (!all.called()) sched.pump();
    CHECK(seen == std::vector<std::string>{"a", "1", "d", "4", "b", "2", "e", "5", "c", "3", "f",
                                           "6"});
  });
}

TEST_CASE("the termination predicate ends a tick; the position carries to the next one") {
  run([] {
    FakeScheduler sched;
    int units = 0;
    CooperatorOptions o;
    o.scheduler = sched.fn();
    o.terminationPredicateFactory = [&units] {
      int start = units;
      return [&units, start] { return units - start >= 2; };
    };
    Cooperator c(o);
    std::vector<std::string> seen;
    auto it = [&](std::string name) -> Iterator {
      return [&, name]() -> std::optional<Result> {
        ++units;
        seen.push_back(name);
        return Result();
      };
    };
    CooperativeTask a = c.cooperate(it("a"));
    CooperativeTask b = c.cooperate(it("b"));
    CooperativeTask t3 = c.cooperate(it("c"));
    sched.pump();
    CHECK(seen == std::vector<std::string>{"a", "b"});
    sched.pump();
    CHECK(seen == std::vector<std::string>{"a", "b", "c", "a"});
    c.stop();
  });
}

TEST_CASE("removing a task mid-pass skips the next one for that pass (Twisted's list walk)") {
  run([] {
    FakeScheduler sched;
    CooperatorOptions o;
    o.scheduler = sched.fn();
    o.terminationPredicateFactory = [] {
      int n = 0;
      return [n]() mutable { return ++n >= 3; };
    };
    Cooperator c(o);
    std::vector<std::string> seen;
    std::optional<CooperativeTask> a;
    a = c.cooperate([&]() -> std::optional<Result> {
      seen.push_back("a");
      return Result();
    });
    CooperativeTask b = c.cooperate([&]() -> std::optional<Result> {
      seen.push_back("b");
      a->stop();  // removes a (before b): c slides under the position
      return Result();
    });
    CooperativeTask t3 = c.cooperate([&]() -> std::optional<Result> {
      seen.push_back("c");
      return Result();
    });
    sched.pump();
    CHECK(seen == std::vector<std::string>{"a", "b", "b"});
    c.stop();
  });
}

TEST_CASE("the default termination predicate ends a tick after about 10 ms") {
  run([] {
    FakeScheduler sched;
    Cooperator c(CooperatorOptions{.scheduler = sched.fn()});
    CooperativeTask t = c.cooperate([]() -> std::optional<Result> { return Result(); });
    const auto start = weft::now();
    sched.pump();
    CHECK(weft_test::near(weft_test::since(start), 0.01, 0.03));
    CHECK(weft_test::since(start) >= 0.01);
    c.stop();
  });
}

TEST_CASE("a Cooperator on a Clock schedules ticks with callLater(1e-8)") {
  run([] {
    Clock clock;
    Cooperator c(clock);
    int value = -1;
    Deferred d = c.coiterate(counting(3, value));
    REQUIRE(clock.getDelayedCalls().size() == 1);
    CHECK(clock.getDelayedCalls()[0].getTime() == 1e-8);
    clock.advance(1);
    CHECK(value == 2);
    CHECK(outcome(d) == "done");
    CHECK(clock.getDelayedCalls().empty());
  });
}

TEST_CASE("removing the last task cancels the pending tick; a new task schedules one") {
  run([] {
    FakeScheduler sched;
    Cooperator c(CooperatorOptions{.scheduler = sched.fn()});
    CooperativeTask t1 = c.cooperate([]() -> std::optional<Result> { return Result(); });
    CooperativeTask t2 = c.cooperate([]() -> std::optional<Result> { return Result(); });
    REQUIRE(sched.work.size() == 1);
    t1.stop();
    CHECK(sched.work[0].active());
    t2.stop();
    CHECK(sched.work[0].cancelled());
    CooperativeTask t3 = c.cooperate([]() -> std::optional<Result> { return StopIteration; });
    CHECK(sched.work.back().active());
    sched.pump();
  });
}

TEST_CASE("started=false queues tasks until start(); running() reports the state") {
  run([] {
    FakeScheduler sched;
    CooperatorOptions o;
    o.scheduler = sched.fn();
    o.started = false;
    Cooperator c(o);
    CHECK_FALSE(c.running());
    int value = -1;
    Deferred d = c.coiterate(counting(2, value));
    CHECK(sched.work.empty());
    c.start();
    CHECK(c.running());
    CHECK(sched.work.size() == 1);
    sched.pump();
    CHECK(value == 1);
    CHECK(outcome(d) == "done");
    c.stop();
    CHECK_FALSE(c.running());
  });
}

TEST_CASE("stop() fails every running task (not every other one)") {
  run([] {
    FakeScheduler sched;
    Cooperator c(CooperatorOptions{.scheduler = sched.fn()});
    std::vector<Deferred> done;
    for (int i = 0; i < 4; ++i) {
      done.push_back(c.cooperate([]() -> std::optional<Result> { return Result(); }).whenDone());
    }
    c.stop();
    for (Deferred& d : done) CHECK(outcome(d) == "failed weft::twisted::SchedulerStopped");
  });
}

TEST_CASE("CooperativeTask: whenDone, pause nesting, resume, stop, finished states") {
  run([] {
    FakeScheduler sched;
    Cooperator c(oneUnitPerTick(sched));
    int value = 0;
    CooperativeTask t = c.cooperate(counting(100, value));
    Deferred first = t.whenDone();
    sched.pump();
    CHECK(value == 1);
    t.pause();
    t.pause();
    sched.pump();
    CHECK(value == 1);
    t.resume();
    sched.pump();
    CHECK(value == 1);
    t.resume();
    CHECK(value == 1);  // resume() does no work by itself
    sched.pump();
    CHECK(value == 2);
    CHECK_THROWS_AS(t.resume(), NotPaused);
    t.stop();
    CHECK(outcome(first) == "failed weft::twisted::TaskStopped");
    CHECK(outcome(t.whenDone()) == "failed weft::twisted::TaskStopped");
    CHECK_THROWS_AS(t.pause(), TaskStopped);
    CHECK_THROWS_AS(t.stop(), TaskStopped);

    int v2 = 0;
    CooperativeTask done = c.cooperate(counting(2, v2));
    sched.pump();
    sched.pump();
    Deferred w = done.whenDone();
    REQUIRE(w.called());
    CHECK(w.result().as<std::shared_ptr<Iterator>>() == done.iterator());
    CHECK_THROWS_AS(done.pause(), TaskDone);

    CooperativeTask failing = c.cooperate([]() -> std::optional<Result> { throw GenericError("x"); });
    sched.pump();  // no whenDone listener: dropped silently
    CHECK_THROWS_AS(failing.stop(), TaskFailed);
    Deferred late = failing.whenDone();
    CHECK(late.result().failure().check<GenericError>());
    late.addErrback([](const Failure&) {});
  });
}

TEST_CASE("CooperativeTask: pause, stop, resume is a silent no-op") {
  run([] {
    FakeScheduler sched;
    Cooperator c(oneUnitPerTick(sched));
    int value = 0;
    CooperativeTask t = c.cooperate(counting(100, value));
    t.pause();
    t.stop();
    t.resume();
    sched.pump();
    CHECK(value == 0);
  });
}

TEST_CASE("a yielded Deferred pauses the task; success resumes it and leaves None") {
  run([] {
    FakeScheduler sched;
    Cooperator c(oneUnitPerTick(sched));
    Deferred gate;
    std::vector<std::string> seen;
    int n = 0;
    CooperativeTask t = c.cooperate([&]() -> std::optional<Result> {
      ++n;
      if (n == 1) return Result(gate);
      if (n == 3) return StopIteration;
      seen.push_back("unit");
      return Result();
    });
    sched.pump();
    sched.pump();
    CHECK(seen.empty());
    gate.callback("value");
    CHECK(gate.result().isNone());
    sched.pump();
    sched.pump();
    CHECK(seen == std::vector<std::string>{"unit"});
    CHECK(outcome(t.whenDone()) == "done");
  });
}

TEST_CASE("a stopped task's yielded Deferred failing later leaves the task stopped") {
  run([] {
    FakeScheduler sched;
    Cooperator c(oneUnitPerTick(sched));
    Deferred gate;
    CooperativeTask t = c.cooperate([&]() -> std::optional<Result> { return Result(gate); });
    sched.pump();
    t.stop();
    gate.errback(GenericError("late"));
    CHECK(gate.result().isNone());  // not AlreadyCalledError, as Twisted would leave
    CHECK_THROWS_AS(t.pause(), TaskStopped);
  });
}

TEST_CASE("a whenDone callback may coiterate again; scheduling stays minimal") {
  run([] {
    FakeScheduler sched;
    Cooperator c(oneUnitPerTick(sched));
    std::vector<std::string> done;
    c.coiterate([]() -> std::optional<Result> { return StopIteration; })
        .addCallback([&](Result&) {
          c.coiterate([]() -> std::optional<Result> { return StopIteration; })
              .addBoth([&](Result&) { done.push_back("second"); });
        });
    int work = 0;
    while (done.empty() && work < 50) {
      CHECK(sched.work.size() <= 1);
      sched.pump();
      ++work;
    }
    CHECK(done.size() == 1);
  });
}

TEST_CASE("Cooperator without a scheduler or reactor is rejected") {
  CHECK_THROWS_AS(Cooperator(CooperatorOptions{}), std::invalid_argument);
}

TEST_CASE("a failing task with no whenDone listener is dropped silently") {
  std::vector<std::string> unhandled;
  run(
      [] {
        Clock clock;
        Cooperator c(clock);
        c.cooperate([]() -> std::optional<Result> { throw GenericError("nobody listens"); });
        c.cooperate([n = 0]() mutable -> std::optional<Result> {
          if (n++ == 0) return Result(fail(GenericError("a yielded Deferred fails")));
          return StopIteration;
        });
        for (int i = 0; i < 3; ++i) clock.advance(1);
        CHECK(clock.getDelayedCalls().empty());
      },
      &unhandled);
  CHECK(unhandled.empty());
}

TEST_CASE("at most one tick is outstanding, and none once every task finished") {
  run([] {
    Clock clock;
    Cooperator c(clock);
    int a = 0, b = 0, d = 0;
    c.coiterate(counting(3, a));
    c.coiterate(counting(3, b));
    c.coiterate(counting(3, d));
    CHECK(clock.getDelayedCalls().size() == 1);
    clock.advance(1);
    CHECK(clock.getDelayedCalls().empty());
    CHECK(a == 2);
    CHECK(b == 2);
    CHECK(d == 2);
  });
}

}
