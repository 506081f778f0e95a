// Deferred: callbacks, chaining, errors, pause, cancel (conformance §1 and
// §2 cases 1-3, 18, 19, 39, 40, 42, 45-52, 54).

#include <memory>
#include <string>
#include <vector>

#include "tests/compat_twisted/support.hpp"

using namespace weft::twisted;
using twisted_test::GenericError;
using twisted_test::run;

namespace {

std::string hello(const std::string& r, const std::string& w) { return r + " " + w; }

}  // namespace

TEST_SUITE("compat_twisted") {

TEST_CASE("case 1: addCallback passes extra arguments after the result") {
  run([] {
    Deferred d;
    std::string seen;
    d.addCallback(hello, "world");
    d.addCallback([&](const std::string& s) { seen = s; });
    d.callback("hello");
    CHECK(seen == "hello world");
    // Keyword arguments map to positional ones or to a lambda's captures.
    Deferred k;
    std::string world = "world";
    k.addCallback([&world](const std::string& r) { return r + " " + world; });
    k.callback("hello");
    CHECK(k.result().as<std::string>() == "hello world");
  });
}

TEST_CASE("case 2: the second callback receives the first callback's return value") {
  run([] {
    Deferred d;
    std::vector<int> seen;
    d.addCallback([&](int x) {
      seen.push_back(x);
      return x + 1;
    });
    d.addCallback([&](int x) {
      seen.push_back(x);
      return x * 10;
    });
    d.callback(1);
    CHECK(seen == std::vector<int>{1, 2});
    CHECK(d.result().as<int>() == 20);
  });
}

TEST_CASE("case 3: addCallbacks(cb, nullptr) passes a failure through to a later errback") {
  run([] {
    Deferred d;
    bool cbCalled = false;
    std::string caught;
    d.addCallbacks([&](Result&) { cbCalled = true; }, nullptr);
    d.addErrback([&](const Failure& f) { caught = f.getErrorMessage(); });
    d.errback(GenericError("boom"));
    CHECK_FALSE(cbCalled);
    CHECK(caught == "boom");
    CHECK(d.result().isNone());
  });
}

TEST_CASE("addCallbacks with callbackArgs and errbackArgs") {
  run([] {
    Deferred ok, bad;
    std::vector<std::string> seen;
    auto cb = [&](int r, const std::string& tag) { seen.push_back(tag + std::to_string(r)); };
    auto eb = [&](const Failure& f, const std::string& tag, int n) {
      seen.push_back(tag + f.getErrorMessage() + std::to_string(n));
    };
    ok.addCallbacks(cb, eb, callbackArgs("cb:"), errbackArgs("eb:", 7));
    bad.addCallbacks(cb, eb, callbackArgs("cb:"), errbackArgs("eb:", 7));
    ok.callback(3);
    bad.errback(GenericError("x"));
    Deferred only;
    only.addCallbacks(nullptr, eb, errbackArgs("only:", 1));
    only.errback(GenericError("y"));
    CHECK(seen == std::vector<std::string>{"cb:3", "eb:x7", "only:y1"});
  });
}

TEST_CASE("addCallbacks with callbackArgs only; errback(exception_ptr)") {
  run([] {
    Deferred d;
    std::string seen;
    d.addCallbacks([&](int r, const std::string& tag) { seen = tag + std::to_string(r); },
                   [&](const Failure&) { seen = "eb"; }, callbackArgs("cb:"));
    d.callback(2);
    CHECK(seen == "cb:2");
    Deferred e;
    e.addCallbacks([&](int r, const std::string& tag) { seen = tag + std::to_string(r); },
                   [&](const Failure& f) { seen = "eb:" + f.getErrorMessage(); }, callbackArgs("cb:"));
    e.errback(std::make_exception_ptr(GenericError("ptr")));
    CHECK(seen == "eb:ptr");
  });
}

TEST_CASE("extension tier: setCancelOverride replaces cancel(); state() round-trips") {
  run([] {
    Deferred d;
    int overrides = 0;
    d.setCancelOverride([&](Deferred& self) {
      ++overrides;
      return !self.called();  // handled while unfired; fired: the standard rule
    });
    d.cancel();
    CHECK(overrides == 1);
    CHECK_FALSE(d.called());
    CHECK(Deferred(d.state()) == d);
    d.callback(1);  // firing releases the override
    d.cancel();
    CHECK(overrides == 1);
    CHECK(d.result().as<int>() == 1);
  });
}

TEST_CASE("setUnhandledErrorHook returns the previous hook") {
  run([] {
    int calls = 0;
    UnhandledErrorHook previous = setUnhandledErrorHook([&](const Failure&) { ++calls; });
    CHECK(previous);  // the one twisted_test::run installed
    fail(GenericError("reported"));
    CHECK(calls == 1);
    UnhandledErrorHook mine = setUnhandledErrorHook(previous);
    CHECK(mine);
  });
}

TEST_CASE("addBoth runs for values and failures; chains return *this") {
  run([] {
    std::vector<std::string> seen;
    Deferred d;
    d.addBoth([&](Result& r) {
       seen.push_back(r.describe());
       return r;
     })
        .addBoth([&](Result& r) {
          seen.push_back(r.isFailure() ? "failure" : "value");
          return Result();
        });
    d.errback(GenericError("e"));
    CHECK(seen.size() == 2);
    CHECK(seen[1] == "failure");
    CHECK(d.result().isNone());
  });
}

TEST_CASE("a fired Deferred runs callbacks added later at once, inside addCallback") {
  run([] {
    Deferred d;
    d.callback(1);
    int seen = 0;
    d.addCallback([&](int x) {
      seen = x;
      return x + 1;
    });
    CHECK(seen == 1);
    CHECK(d.result().as<int>() == 2);
  });
}

TEST_CASE("case 19: a raising callback and a returned Failure both take the errback path") {
  run([] {
    for (bool raise : {true, false}) {
      Deferred d;
      std::string type;
      d.addCallback([raise](Result&) -> Result {
        if (raise) throw std::domain_error("zero division");
        return Failure(std::domain_error("zero division"));
      });
      d.addErrback([&](const Failure& f) {
        if (f.check<std::domain_error>()) type = "domain_error";
      });
      d.callback(1);
      CHECK(type == "domain_error");
    }
  });
}

TEST_CASE("an errback returning a value switches back to the callback path") {
  run([] {
    Deferred d;
    std::vector<std::string> seen;
    d.addErrback([](const Failure&) { return 5; });
    d.addCallbacks([&](int v) { seen.push_back("cb " + std::to_string(v)); },
                   [&](const Failure&) { seen.push_back("eb"); });
    d.errback(GenericError("x"));
    CHECK(seen == std::vector<std::string>{"cb 5"});
  });
}

TEST_CASE("a returned (not thrown) exception object is an ordinary value") {
  run([] {
    Deferred d;
    bool errbackRan = false;
    d.addCallback([](Result&) { return GenericError("just a value"); });
    d.addErrback([&](const Failure&) { errbackRan = true; });
    d.callback();
    CHECK_FALSE(errbackRan);
    CHECK(d.result().is<GenericError>());
  });
}

TEST_CASE("trap() rethrows an unmatched failure: the next errback sees the same exception") {
  run([] {
    Deferred d;
    std::exception_ptr first, second;
    d.addErrback([&](const Failure& f) {
      first = f.value();
      f.trap<std::out_of_range>();
    });
    d.addErrback([&](const Failure& f) { second = f.value(); });
    d.errback(GenericError("g"));
    CHECK(first == second);
  });
}

TEST_CASE("callback(aFailure) behaves like errback; errback(exc) wraps it") {
  run([] {
    Deferred d;
    std::string msg;
    d.addErrback([&](const Failure& f) { msg = f.getErrorMessage(); });
    d.callback(Failure(GenericError("via callback")));
    CHECK(msg == "via callback");
    Deferred e;
    e.addErrback([&](const Failure& f) { msg = f.typeName(); });
    e.errback(std::out_of_range("r"));
    CHECK(msg == "std::out_of_range");
  });
}

TEST_CASE("case 42: errback() with no argument takes the exception being handled") {
  run([] {
    Deferred d;
    std::string msg;
    d.addErrback([&](const Failure& f) { msg = f.getErrorMessage(); });
    try {
      throw GenericError("caught");
    } catch (...) {
      d.errback();
    }
    CHECK(msg == "caught");
    Deferred e;
    CHECK_THROWS_AS(e.errback(), NoCurrentExceptionError);
    CHECK_FALSE(e.called());
  });
}

TEST_CASE("case 45: any second fire raises AlreadyCalledError") {
  run([] {
    auto fire = [](Deferred& d, bool cb) {
      if (cb) {
        d.callback(1);
      } else {
        d.errback(GenericError("e"));
      }
    };
    for (bool first : {true, false}) {
      for (bool second : {true, false}) {
        Deferred d;
        d.addErrback([](const Failure&) {});
        fire(d, first);
        CHECK_THROWS_AS(fire(d, second), AlreadyCalledError);
      }
    }
  });
}

TEST_CASE("case 46: debugging adds creation (C:) and invocation (I:) stacks to AlreadyCalledError") {
  run([] {
    CHECK_FALSE(getDebugging());
    auto message = [] {
      Deferred d;
      d.callback();
      try {
        d.callback();
      } catch (const AlreadyCalledError& e) {
        return std::string(e.what());
      }
      return std::string();
    };
    std::string plain = message();
    CHECK(plain.find(" C:") == std::string::npos);
    CHECK(plain.find(" I:") == std::string::npos);
    setStackCaptureHook([] { return std::string("frame-a\nframe-b"); });
    setDebugging(true);
    CHECK(getDebugging());
    std::string debug = message();
    CHECK(debug.find(" C:frame-a") != std::string::npos);
    CHECK(debug.find(" I:frame-b") != std::string::npos);
    setDebugging(false);
    setStackCaptureHook({});
  });
}

TEST_CASE("re-entrancy: a callback added during a run runs after the current one") {
  run([] {
    Deferred d;
    std::vector<std::string> order;
    d.addCallback([&](Result& r) {
      d.addCallback([&](Result& r2) {
        order.push_back("added");
        return r2;
      });
      order.push_back("first");
      return r;
    });
    d.addCallback([&](Result& r) {
      order.push_back("second");
      return r;
    });
    d.callback();
    CHECK(order == std::vector<std::string>{"first", "second", "added"});
  });
}

TEST_CASE("callback() on its own Deferred inside a callback raises AlreadyCalledError there") {
  run([] {
    Deferred d;
    bool raised = false;
    d.addCallback([&](Result&) {
      try {
        d.callback(2);
      } catch (const AlreadyCalledError&) {
        raised = true;
      }
    });
    d.callback(1);
    CHECK(raised);
  });
}

TEST_CASE("case 39: returning its own Deferred from a callback is an error, not a hang") {
  run([] {
    Deferred d;
    std::string msg;
    d.addCallback([&](Result&) { return d; });
    d.addErrback([&](const Failure& f) {
      if (f.check<std::logic_error>()) msg = f.getErrorMessage();
    });
    d.callback(1);
    CHECK(msg.find("returned the Deferred it was attached to") != std::string::npos);
  });
}

TEST_CASE("chaining: a callback returning an unfired Deferred pauses the outer one") {
  run([] {
    Deferred outer, inner;
    std::vector<std::string> seen;
    outer.addCallback([&](Result&) { return inner; });
    outer.addCallback([&](const std::string& s) { seen.push_back(s); });
    outer.callback();
    CHECK(outer.paused() == 1);
    CHECK(seen.empty());
    inner.callback("inner value");
    CHECK(seen == std::vector<std::string>{"inner value"});
    CHECK(outer.paused() == 0);
    CHECK(inner.result().isNone());  // the result moved to the outer Deferred
  });
}

TEST_CASE("chaining: an already-fired returned Deferred has its result taken at once") {
  run([] {
    Deferred outer, inner;
    inner.callback(7);
    outer.addCallback([&](Result&) { return inner; });
    outer.callback();
    CHECK(outer.result().as<int>() == 7);
    CHECK(inner.result().isNone());
    // A paused returned Deferred is waited for instead.
    Deferred o2, paused;
    paused.callback(8);
    paused.pause();
    o2.addCallback([&](Result&) { return paused; });
    o2.callback();
    CHECK(o2.paused() == 1);
    paused.unpause();
    CHECK(o2.result().as<int>() == 8);
  });
}

TEST_CASE("chaining is iterative: 100000 nested Deferreds neither recurse nor leak") {
  run([] {
    const int n = 100000;
    std::vector<Deferred> ds(n);
    for (int i = 0; i + 1 < n; ++i) {
      Deferred next = ds[i + 1];
      ds[i].addCallback([next](Result&) { return next; });
    }
    for (int i = 0; i + 1 < n; ++i) ds[i].callback();
    int seen = 0;
    ds[0].addCallback([&](int v) { seen = v; });
    ds[n - 1].callback(42);  // unwinds the whole line through continuations
    CHECK(seen == 42);
    // And a long line of never-fired continuations is released iteratively.
    std::vector<Deferred> line(n);
    for (int i = 0; i + 1 < n; ++i) {
      Deferred next = line[i + 1];
      line[i].addCallback([next](Result&) { return next; });
      line[i].callback();
    }
    line.clear();
  });
}

TEST_CASE("case 18: a paused failed Deferred runs its errback only after unpause") {
  run([] {
    Deferred d = fail(GenericError("x"));
    d.pause();
    bool ran = false;
    d.addErrback([&](const Failure&) { ran = true; });
    CHECK_FALSE(ran);
    d.unpause();
    CHECK(ran);
  });
}

TEST_CASE("pause nests; unpause without pause is a precondition error") {
  run([] {
    Deferred d;
    bool ran = false;
    d.addCallback([&](Result&) { ran = true; });
    d.pause();
    d.pause();
    d.callback();
    d.unpause();
    CHECK_FALSE(ran);
    d.unpause();
    CHECK(ran);
    CHECK_THROWS_AS(d.unpause(), std::logic_error);
  });
}

TEST_CASE("case 47: cancel() without a canceller fails with CancelledError; callbacks skipped") {
  run([] {
    Deferred d;
    bool cb = false;
    bool cancelled = false;
    d.addCallbacks([&](Result&) { cb = true; },
                   [&](const Failure& f) { cancelled = f.check<CancelledError>() != nullptr; });
    d.cancel();
    CHECK_FALSE(cb);
    CHECK(cancelled);
  });
}

TEST_CASE("case 48: without a canceller one later fire is swallowed, the next raises") {
  run([] {
    for (bool viaCallback : {true, false}) {
      Deferred d;
      d.addErrback([](const Failure&) {});
      d.cancel();
      if (viaCallback) {
        d.callback(1);
        CHECK_THROWS_AS(d.callback(2), AlreadyCalledError);
      } else {
        d.errback(GenericError("late"));
        CHECK_THROWS_AS(d.errback(GenericError("later")), AlreadyCalledError);
      }
    }
  });
}

TEST_CASE("case 49: a second cancel() does nothing; the canceller runs once") {
  run([] {
    Deferred plain;
    Result first;
    plain.addErrback([&](const Failure& f) { first = f; return f; });
    plain.cancel();
    plain.cancel();
    CHECK(plain.result().failure() == first.failure());
    plain.addErrback([](const Failure&) {});

    int calls = 0;
    Deferred d([&](Deferred&) { ++calls; });
    d.addErrback([](const Failure&) {});
    d.cancel();
    d.cancel();
    CHECK(calls == 1);
  });
}

TEST_CASE("case 50: the canceller receives the Deferred; later fires raise AlreadyCalledError") {
  run([] {
    Deferred* seen = nullptr;
    Deferred d([&](Deferred& self) { seen = &self; });
    bool cancelled = false;
    d.addErrback([&](const Failure& f) { cancelled = f.check<CancelledError>() != nullptr; });
    d.cancel();
    REQUIRE(seen != nullptr);
    CHECK(cancelled);
    CHECK_THROWS_AS(d.callback(1), AlreadyCalledError);
    CHECK_THROWS_AS(d.errback(GenericError("x")), AlreadyCalledError);
  });
}

TEST_CASE("the canceller's argument is the Deferred itself") {
  run([] {
    bool same = false;
    Deferred* outer = nullptr;
    Deferred d([&](Deferred& self) { same = outer != nullptr && self == *outer; });
    outer = &d;
    d.addErrback([](const Failure&) {});
    d.cancel();
    CHECK(same);
  });
}

TEST_CASE("case 51: cancel after firing neither calls the canceller nor changes the result") {
  run([] {
    int calls = 0;
    Deferred d([&](Deferred&) { ++calls; });
    d.callback(5);
    d.cancel();
    CHECK(calls == 0);
    CHECK(d.result().as<int>() == 5);
    Deferred e([&](Deferred&) { ++calls; });
    e.errback(GenericError("e"));
    e.cancel();
    CHECK(calls == 0);
    CHECK(e.result().failure().check<GenericError>());
    e.addErrback([](const Failure&) {});
  });
}

TEST_CASE("case 52: a canceller that fires the Deferred decides its result") {
  run([] {
    Deferred errs([](Deferred& d) { d.errback(GenericError("canceller")); });
    std::string seen;
    errs.addErrback([&](const Failure& f) { seen = f.typeName() + ":" + f.getErrorMessage(); });
    errs.cancel();
    CHECK(seen.find("GenericError:canceller") != std::string::npos);
    Deferred cbs([](Deferred& d) { d.callback("hello!"); });
    cbs.cancel();
    CHECK(cbs.result().as<std::string>() == "hello!");
  });
}

TEST_CASE("a raising canceller propagates and leaves the Deferred unfired (callable again)") {
  run([] {
    int calls = 0;
    Deferred d([&](Deferred&) {
      ++calls;
      throw GenericError("canceller broke");
    });
    CHECK_THROWS_AS(d.cancel(), GenericError);
    CHECK_FALSE(d.called());
    CHECK_THROWS_AS(d.cancel(), GenericError);
    CHECK(calls == 2);
    d.callback(1);
    CHECK(d.result().as<int>() == 1);
  });
}

TEST_CASE("a canceller that leaves it unfired: CancelledError, then a late callback raises") {
  run([] {
    Deferred d([](Deferred&) {});
    d.addErrback([](const Failure&) {});
    d.cancel();
    CHECK(d.called());
    CHECK_THROWS_AS(d.callback(1), AlreadyCalledError);
  });
}

TEST_CASE("cancel() of a Deferred waiting on a chained one cancels that one") {
  run([] {
    bool innerCancelled = false;
    Deferred inner([&](Deferred&) { innerCancelled = true; });
    Deferred outer;
    outer.addCallback([&](Result&) { return inner; });
    bool outerSawCancel = false;
    outer.addErrback([&](const Failure& f) { outerSawCancel = f.check<CancelledError>() != nullptr; });
    outer.callback();
    outer.cancel();
    CHECK(innerCancelled);
    CHECK(outerSawCancel);
  });
}

TEST_CASE("chainDeferred: b gets a's result, a's becomes None; b.cancel() does not reach a") {
  run([] {
    Deferred a, b;
    a.chainDeferred(b);
    a.callback(3);
    CHECK(b.result().as<int>() == 3);
    CHECK(a.result().isNone());

    Deferred a2, b2;
    b2.callback(1);
    a2.chainDeferred(b2);
    a2.callback(2);
    CHECK(a2.result().failure().check<AlreadyCalledError>());
    a2.addErrback([](const Failure&) {});

    int aCancels = 0;
    Deferred a3([&](Deferred&) { ++aCancels; });
    Deferred b3;
    a3.chainDeferred(b3);
    b3.addErrback([](const Failure&) {});
    b3.cancel();
    CHECK(aCancels == 0);
    CHECK_FALSE(a3.called());
  });
}

TEST_CASE("typed callbacks: a mismatch becomes a TypeMismatch failure naming both types") {
  run([] {
    Deferred d;
    std::string msg;
    d.addCallback([](int x) { return x; });
    d.addErrback([&](const Failure& f) {
      if (f.check<TypeMismatch>()) msg = f.getErrorMessage();
    });
    d.callback(std::string("text"));
    CHECK(msg.find("int") != std::string::npos);
    CHECK(msg.find("std::string") != std::string::npos);
  });
}

TEST_CASE("callback parameters: Result, std::any, Failure, const T& and generic lambdas") {
  run([] {
    Deferred d;
    std::vector<std::string> seen;
    d.addCallback([&](const std::any& a) {
      seen.push_back(a.type() == typeid(int) ? "any int" : "any ?");
      return a;
    });
    d.addCallback([&](const int& x) {
      seen.push_back("ref " + std::to_string(x));
      return x;
    });
    d.addCallback([&](auto& r) {
      seen.push_back("generic " + r.describe());
      return r;
    });
    d.callback(4);
    CHECK(seen == std::vector<std::string>{"any int", "ref 4", "generic int"});
    CHECK_THROWS_AS(d.result().as<double>(), TypeMismatch);
  });
}

TEST_CASE("callback(Deferred) is rejected (inside a Result too)") {
  run([] {
    Deferred d, other;
    CHECK_THROWS_AS(d.callback(Result(other)), std::invalid_argument);
    CHECK_FALSE(d.called());
  });
}

TEST_CASE("case 54: a Deferred dropped with an unhandled failure is reported once, via the hook") {
  std::vector<std::string> unhandled;
  run(
      [] {
        {
          Deferred d;
          d.errback(GenericError("nobody handles me"));
        }
        {
          Deferred handled;
          handled.errback(GenericError("handled"));
          handled.addErrback([](const Failure&) {});
        }
        {
          // A failure moved on by chaining is not reported by the inner Deferred.
          Deferred inner, outer;
          outer.addCallback([&](Result&) { return inner; });
          outer.addErrback([](const Failure&) {});
          outer.callback();
          inner.errback(GenericError("moved"));
        }
      },
      &unhandled);
  REQUIRE(unhandled.size() == 1);
  CHECK(unhandled[0].find("nobody handles me") != std::string::npos);
}

TEST_CASE("the default unhandled-error report goes to the loop's log") {
  weft_test::LogCapture log;
  weft_test::run_logged(log, [] {
    Deferred d;
    d.errback(GenericError("to the log"));
  });
  CHECK(log.count("Unhandled error in Deferred") == 1);
  CHECK(log.count("to the log") == 1);
}

TEST_CASE("case 40: repr shows the result or the Deferred waited on") {
  run([] {
    Deferred d;
    CHECK(repr(d).rfind("<Deferred at 0x", 0) == 0);
    d.callback(std::string("orange"));
    CHECK(repr(d).find("current result:") != std::string::npos);
    Deferred outer, inner;
    outer.addCallback([&](Result&) { return inner; });
    outer.callback();
    CHECK(repr(outer).find("waiting on Deferred at") != std::string::npos);
    inner.callback();
  });
}

TEST_CASE("setDebugging outside dispatch is a precondition error") {
  CHECK_THROWS_AS(setDebugging(true), std::logic_error);
  CHECK_FALSE(getDebugging());
}

TEST_CASE("the canceller is released when the Deferred fires") {
  run([] {
    auto token = std::make_shared<int>(0);
    Deferred d([token](Deferred&) {});
    CHECK(token.use_count() == 2);
    d.callback(1);
    CHECK(token.use_count() == 1);
  });
}

TEST_CASE("chaining: a returned Deferred that fired but is paused is waited for, not stolen") {
  run([] {
    Deferred inner;
    inner.callback(5);
    inner.pause();
    Deferred outer;
    outer.addCallback([&](Result&) { return inner; });
    outer.callback();
    CHECK(outer.paused() == 1);
    CHECK(outer.result().isNone());
    CHECK(repr(outer).find("waiting on Deferred") != std::string::npos);
    inner.unpause();
    CHECK(outer.paused() == 0);
    CHECK(outer.result().as<int>() == 5);
    CHECK(inner.result().isNone());  // the result moved to the outer Deferred
  });
}

TEST_CASE("pending callbacks added while paused run, in order, at the last unpause") {
  run([] {
    std::vector<int> seen;
    Deferred d;
    d.pause();
    d.pause();
    d.callback(1);
    d.addCallback([&](int x) {
      seen.push_back(x);
      return x + 1;
    });
    d.addCallback([&](int x) {
      seen.push_back(x);
      return x + 1;
    });
    d.unpause();
    CHECK(seen.empty());
    d.unpause();
    CHECK(seen == std::vector<int>{1, 2});
    CHECK(d.result().as<int>() == 3);
  });
}

}
