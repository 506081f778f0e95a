// The weft half of the side-by-side test: scenarios.py line by line on
// weft::twisted, printing the same lines. compare.py runs both and diffs them.

#include <charconv>
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "compat_twisted/twisted.hpp"

using namespace weft::twisted;

namespace {

// Python's repr of a float: shortest round trip, with ".0" for whole numbers.
std::string py(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, r.ptr);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}
std::string py(int v) { return std::to_string(v); }
std::string py(long v) { return std::to_string(v); }
std::string py(bool v) { return v ? "True" : "False"; }
std::string quoted(const std::string& s) { return "'" + s + "'"; }

void out(std::initializer_list<std::string> parts) {
  std::string line;
  for (const auto& p : parts) line += (line.empty() ? "" : " ") + p;
  std::cout << line << "\n";
}

void section(const std::string& name) { std::cout << "== " << name << "\n"; }

// ---- the how-to's examples

void howto_call_later() {
  section("callLater");
  Clock clock;
  auto f = [&](const std::string& s) {
    out({py(clock.seconds()), "this will run 3.5 seconds after it was scheduled: " + s});
  };
  clock.callLater(3.5, f, "hello, world");
  clock.pump({1, 1, 1, 0.5});
}

void howto_defer_later() {
  section("deferLater");
  Clock clock;
  auto f = [](const std::string& s) {
    return "This will run 3.5 seconds after it was scheduled: " + s;
  };
  Deferred d = deferLater(clock, 3.5, f, "hello, world");
  auto called = [&](const std::string& result) { out({py(clock.seconds()), result}); };
  d.addCallback(called);
  clock.advance(3.5);
}

void howto_looping_call(int loopTimes, bool failInTheEnd) {
  section("LoopingCall loopTimes=" + std::to_string(loopTimes) +
          " failInTheEnd=" + py(failInTheEnd));
  Clock clock;
  int counter = 0;
  std::optional<LoopingCall> loop;
  auto runEverySecond = [&] {
    if (counter < loopTimes) {
      counter += 1;
      out({py(clock.seconds()), "A new second has passed."});
      return;
    }
    if (failInTheEnd) throw std::runtime_error("Failure during loop execution.");
    loop->stop();
  };
  auto cbLoopDone = [&](const LoopingCall& result) {
    out({py(clock.seconds()), "Loop done.", py(result == *loop)});
  };
  auto ebLoopFailed = [&](const Failure& failure) {
    out({py(clock.seconds()), "failed:", failure.getErrorMessage()});
  };
  loop = LoopingCall(clock, runEverySecond);
  Deferred loopDeferred = loop->start(1.0);
  loopDeferred.addCallback(cbLoopDone);
  loopDeferred.addErrback(ebLoopFailed);
  clock.pump({1, 1, 1, 1, 1});
  out({"running", py(loop->running()), "pending", py(int(clock.getDelayedCalls().size()))});
}

void howto_cancel() {
  section("cancel");
  Clock clock;
  auto f = [] { out({"I'll never run."}); };
  DelayedCall callID = clock.callLater(5, f);
  callID.cancel();
  clock.advance(10);
  out({"active", py(callID.active()), "pending", py(int(clock.getDelayedCalls().size()))});
}

// ---- Deferred chains

void chain_paths() {
  section("callback and errback paths");
  Deferred d;
  auto doubled = [](int x) {
    out({"double", py(x)});
    return x * 2;
  };
  auto explode = [](int x) -> int {
    out({"explode", py(x)});
    throw std::invalid_argument("boom " + std::to_string(x));
  };
  auto skipped = [](Result&) { out({"never"}); };
  auto recover = [](const Failure& f) {
    out({"recover", f.getErrorMessage()});
    return 7;
  };
  auto show = [](int x, const std::string& tag) {
    out({"show", tag, py(x)});
    return x;
  };
  d.addCallback(doubled).addCallback(explode).addCallback(skipped);
  d.addErrback(recover).addCallback(show, "final");
  d.callback(5);
  out({"result", py(d.result().as<int>())});
}

void chain_nested() {
  section("a callback returning a Deferred");
  Clock clock;
  Deferred outer;
  auto later = [&](int x) {
    out({py(clock.seconds()), "later", py(x)});
    return deferLater(clock, 2, [x] { return x + 1; });
  };
  auto after = [&](int x) {
    out({py(clock.seconds()), "after", py(x)});
    return x;
  };
  outer.addCallback(later).addCallback(after);
  outer.callback(1);
  out({"paused", py(outer.paused())});
  clock.advance(1);
  clock.advance(1);
  out({"result", py(outer.result().as<int>())});
}

void chain_pause() {
  section("pause and unpause");
  Deferred d;
  d.addCallback([](int x) {
    out({"cb1", py(x)});
    return x + 1;
  });
  d.pause();
  d.callback(1);
  out({"called", py(d.called()), "paused", py(d.paused())});
  d.addCallback([](int x) {
    out({"cb2", py(x)});
    return x + 1;
  });
  d.unpause();
  out({"result", py(d.result().as<int>())});
}

void chain_cancel() {
  section("cancel without canceller");
  Deferred d;
  d.addErrback([](const Failure& f) { out({"errback", py(f.check<CancelledError>() != nullptr)}); });
  d.cancel();
  d.callback("swallowed");
  try {
    d.callback("again");
  } catch (const AlreadyCalledError&) {
    out({"AlreadyCalledError"});
  }
  section("cancel with canceller");
  Deferred e([](Deferred& self) {
    out({"canceller runs"});
    self.callback("from canceller");
  });
  e.addCallback([](const std::string& r) { out({"got", r}); });
  e.cancel();
  e.cancel();
}

void chain_deferred_list() {
  section("DeferredList");
  Deferred d1, d2, d3;
  DeferredList dl({d1, d2, d3}, {.consumeErrors = true});
  dl.addCallback([](const DeferredListResult& results) {
    for (const auto& [ok, value] : results) {
      out({py(ok), ok ? value.as<std::string>() : value.failure().getErrorMessage()});
    }
  });
  d3.callback("three");
  d1.callback("one");
  d2.errback(std::invalid_argument("two failed"));
  section("DeferredList fireOnOneCallback");
  Deferred a, b;
  DeferredList first({a, b}, true);
  first.addCallback([](const DeferredListHit& r) {
    out({"first", r.result.as<std::string>(), py(int(r.index))});
  });
  b.callback("b wins");
  a.callback("a late");
  const auto& rec = *first.resultList()[0];
  out({"recorded", "(" + py(rec.success) + ", " + quoted(rec.result.as<std::string>()) + ")"});
  section("gatherResults");
  Deferred g1, g2, g3;
  Deferred g = gatherResults({g1, g2, g3}, true);
  g.addErrback([](const Failure& f) {
    const FirstError* e = f.valueAs<FirstError>();
    out({"FirstError index", py(int(e->index())), e->subFailure().getErrorMessage()});
  });
  g1.callback(1);
  g3.errback(std::invalid_argument("third"));
  g2.errback(std::invalid_argument("second"));
  Deferred ok = gatherResults({succeed(1), succeed(2)});
  ok.addCallback([](const std::vector<Result>& values) {
    out({"values", "[" + py(values[0].as<int>()) + ", " + py(values[1].as<int>()) + "]"});
  });
}

void chain_inline_callbacks() {
  section("inlineCallbacks");
  Clock clock;
  Deferred gate;
  auto worker = inlineCallbacks([&](const std::string& name) {
    out({py(clock.seconds()), name, "starts"});
    int x = wait<int>(succeed(1));
    out({py(clock.seconds()), name, "fired wait", py(x)});
    wait(deferLater(clock, 1));
    out({py(clock.seconds()), name, "slept"});
    try {
      wait(gate);
    } catch (const CancelledError&) {
      out({py(clock.seconds()), name, "cancelled, goes on"});
    }
    int y = wait<int>(deferLater(clock, 2, [] { return 40; }));
    return y + 2;
  });
  Deferred d = worker("w");
  out({"worker returned, called", py(d.called())});
  d.addCallback([&](int r) { out({py(clock.seconds()), "result", py(r)}); });
  clock.advance(1);
  d.cancel();
  out({"cancel returned"});
  clock.advance(2);
}

void clock_ordering() {
  section("Clock ordering");
  Clock clock;
  auto say = [](const std::string& s) { out({s}); };
  clock.callLater(2, say, "a");
  DelayedCall b = clock.callLater(1, say, "b");
  b.reset(2);
  clock.callLater(2, say, "c");
  clock.callLater(0, [&] { clock.callLater(0, say, "nested zero"); });
  clock.advance(2);
  section("LoopingCall skipping");
  std::vector<double> times;
  LoopingCall lc(clock, [&] { times.push_back(clock.seconds()); });
  lc.start(1.0);
  clock.advance(3.5);
  clock.advance(0.5);
  clock.advance(0.25);
  clock.advance(1);
  lc.stop();
  std::string list;
  for (double t : times) {
    if (!list.empty()) list += ", ";
    list += py(t);
  }
  out({"times", "[" + list + "]"});
  section("withCount");
  std::vector<std::pair<double, long>> counts;
  LoopingCall wc = LoopingCall::withCount(clock, [&](long n) { counts.emplace_back(clock.seconds(), n); });
  wc.start(0.5, false);
  clock.pump({0.5, 1.75, 0.25, 0.5, 3});
  wc.stop();
  std::string cl;
  for (auto& [t, n] : counts) cl += (cl.empty() ? "(" : ", (") + py(t) + ", " + py(n) + ")";
  out({"counts", "[" + cl + "]"});
}

void cooperator() {
  section("Cooperator");
  Clock clock;
  int units = 0;
  CooperatorOptions options;
  options.terminationPredicateFactory = [&units] {
    int start = units;
    return [&units, start] { return units - start >= 2; };
  };
  options.scheduler = [&clock](std::function<void()> f) { return clock.callLater(1, std::move(f)); };
  Cooperator coop(options);
  std::map<std::string, CooperativeTask> tasks;
  auto it = [&](std::string name, int n) -> Iterator {
    return [&, name, n, i = 0]() mutable -> std::optional<Result> {
      if (i == n) return StopIteration;
      units += 1;
      out({py(clock.seconds()), name, py(i)});
      if (name == "b" && i == 1) tasks.at("a").stop();
      ++i;
      return Result();
    };
  };
  for (auto [name, n] : {std::pair<std::string, int>{"a", 5}, {"b", 3}, {"c", 3}}) {
    tasks.emplace(name, coop.cooperate(it(name, n)));
    tasks.at(name).whenDone().addBoth([&clock, name](Result& r) {
      std::string how = "ok";
      if (r.isFailure()) {
        std::string t = r.failure().typeName();
        how = t.substr(t.rfind(':') + 1);
      }
      out({py(clock.seconds()), name, "done", how});
    });
  }
  for (int i = 0; i < 6; ++i) clock.advance(1);
}

std::string py_list(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) {
    if (!s.empty()) s += ", ";
    s += quoted(x);
  }
  return "[" + s + "]";
}

void locks_and_queue() {
  section("DeferredLock");
  DeferredLock lock;
  std::vector<std::string> order;
  Clock clock;
  auto job = [&](const std::string& name) {
    order.push_back(name + " in");
    return deferLater(clock, 1, [&order, name] { order.push_back(name + " out"); });
  };
  for (const char* name : {"x", "y", "z"}) lock.run(job, std::string(name));
  clock.pump({1, 1, 1});
  out({py_list(order)});
  section("DeferredSemaphore");
  DeferredSemaphore sem(2);
  order.clear();
  for (const char* name : {"p", "q", "r", "s"}) sem.run(job, std::string(name));
  clock.pump({1, 1});
  out({py_list(order)});
  section("DeferredQueue");
  DeferredQueue q(2, 1);
  q.get().addCallback([](int v) { out({"got", py(v)}); });
  try {
    q.get();
  } catch (const QueueUnderflow&) {
    out({"QueueUnderflow"});
  }
  q.put(1);
  q.put(2);
  q.put(3);
  try {
    q.put(4);
  } catch (const QueueOverflow&) {
    out({"QueueOverflow"});
  }
  q.get().addCallback([](int v) { out({"got", py(v)}); });
}

void timeouts() {
  section("addTimeout");
  Clock clock;
  Deferred d;
  d.addErrback([](const Failure& f) {
    out({"early errback sees", f.check<CancelledError>() ? "CancelledError" : "?"});
    return f;
  });
  d.addTimeout(5, clock);
  d.addErrback([&](const Failure& f) {
    out({py(clock.seconds()), "late errback sees", f.check<TimeoutError>() ? "TimeoutError" : "?"});
  });
  clock.advance(4);
  out({"called", py(d.called())});
  clock.advance(1);
  Deferred e;
  e.addTimeout(5, clock);
  e.callback("in time");
  out({"pending after fire", py(int(clock.getDelayedCalls().size()))});
}


void chain_more() {
  section("chainDeferred");
  Deferred a, b;
  b.addCallback([](const std::string& r) { out({"b got", r}); });
  a.chainDeferred(b);
  a.callback("value");
  out({"a result", a.result().isNone() ? "None" : "?"});
  Deferred c, e;
  e.callback("early");
  c.chainDeferred(e);
  c.callback("late");
  out({"c fails with AlreadyCalledError",
       py(c.result().failure().check<AlreadyCalledError>() != nullptr)});
  c.addErrback([](const Failure&) {});

  section("cancel reaches a chained Deferred");
  Deferred inner([](Deferred&) { out({"inner canceller"}); });
  Deferred outer;
  outer.addCallback([&](Result&) { return inner; });
  outer.addErrback(
      [](const Failure& f) { out({"outer errback", py(f.check<CancelledError>() != nullptr)}); });
  outer.callback();
  out({"outer paused", py(outer.paused())});
  outer.cancel();
  out({"inner called", py(inner.called()), "outer paused", py(outer.paused())});

  section("maybeDeferred");
  maybeDeferred([] { return 3; }).addCallback([](int r) { out({"maybe value", py(r)}); });
  maybeDeferred([]() -> int { throw std::invalid_argument("bad"); }).addErrback([](const Failure& f) {
    out({"maybe raise", f.getErrorMessage()});
  });
  Deferred pending;
  out({"maybe same Deferred", py(maybeDeferred([&] { return pending; }) == pending)});

  section("deferLater cancel");
  {
    Clock clock;
    Deferred later = deferLater(clock, 2, [] { out({"never"}); });
    later.addErrback([](const Failure& f) {
      out({"deferLater cancelled", py(f.check<CancelledError>() != nullptr)});
    });
    out({"pending", py(int(clock.getDelayedCalls().size()))});
    later.cancel();
    out({"pending", py(int(clock.getDelayedCalls().size()))});
    clock.advance(3);
  }

  section("CooperativeTask pause and resume");
  Clock clock;
  CooperatorOptions o;
  o.terminationPredicateFactory = [] { return [] { return true; }; };
  o.scheduler = [&clock](std::function<void()> f) { return clock.callLater(1, std::move(f)); };
  Cooperator coop(o);
  auto steps = [&clock](std::string name, int n) -> Iterator {
    return [&clock, name, n, i = 0]() mutable -> std::optional<Result> {
      if (i == n) return StopIteration;
      out({py(clock.seconds()), name, py(i)});
      ++i;
      return Result();
    };
  };
  CooperativeTask t1 = coop.cooperate(steps("p", 4));
  coop.cooperate(steps("q", 3)).whenDone().addCallback([&clock](Result&) {
    out({py(clock.seconds()), "q done"});
  });
  clock.advance(1);
  t1.pause();
  t1.pause();
  clock.advance(1);
  t1.resume();
  clock.advance(1);
  t1.resume();
  for (int i = 0; i < 5; ++i) clock.advance(1);
}

}  // namespace

int main() {
  return weft::dispatch([] {
    howto_call_later();
    howto_defer_later();
    howto_looping_call(3, false);
    howto_looping_call(3, true);
    howto_cancel();
    chain_paths();
    chain_nested();
    chain_pause();
    chain_cancel();
    chain_deferred_list();
    chain_inline_callbacks();
    clock_ordering();
    cooperator();
    locks_and_queue();
    timeouts();
    chain_more();
    std::cout.flush();
  });
}
