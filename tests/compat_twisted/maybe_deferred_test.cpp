// succeed, fail, execute, maybeDeferred (conformance §1, §2 cases 27-29).

#include "tests/compat_twisted/support.hpp"

using namespace weft::twisted;
using twisted_test::GenericError;
using twisted_test::run;

TEST_SUITE("compat_twisted") {

TEST_CASE("succeed and fail give already-fired Deferreds") {
  run([] {
    Deferred s = succeed(3);
    CHECK(s.called());
    CHECK(s.result().as<int>() == 3);
    CHECK(succeed().result().isNone());
    Deferred f = fail(GenericError("f"));
    CHECK(f.result().failure().check<GenericError>());
    f.addErrback([](const Failure&) {});
    Failure given(GenericError("given"));
    Deferred g = fail(given);
    CHECK(g.result().failure() == given);
    g.addErrback([](const Failure&) {});
    Deferred p = fail(std::make_exception_ptr(std::out_of_range("p")));
    CHECK(p.result().failure().check<std::out_of_range>());
    p.addErrback([](const Failure&) {});
    CHECK_THROWS_AS(fail(), NoCurrentExceptionError);
    try {
      throw GenericError("current");
    } catch (...) {
      Deferred c = fail();
      CHECK(c.result().failure().getErrorMessage() == "current");
      c.addErrback([](const Failure&) {});
    }
  });
}

TEST_CASE("execute: a value succeeds, a throw or a returned Failure fails") {
  run([] {
    CHECK(execute([](int a, int b) { return a + b; }, 2, 3).result().as<int>() == 5);
    CHECK(execute([] {}).result().isNone());
    Deferred t = execute([]() -> int { throw GenericError("t"); });
    CHECK(t.result().failure().check<GenericError>());
    t.addErrback([](const Failure&) {});
    Deferred r = execute([] { return Failure(GenericError("r")); });
    CHECK(r.result().isFailure());
    r.addErrback([](const Failure&) {});
  });
}

TEST_CASE("case 27: maybeDeferred of a value, a throw, a returned Failure (that very one)") {
  run([] {
    CHECK(maybeDeferred([] { return 10; }).result().as<int>() == 10);
    Deferred t = maybeDeferred([]() -> int { throw GenericError("sync"); });
    CHECK(t.result().failure().check<GenericError>());
    t.addErrback([](const Failure&) {});
    Failure f(GenericError("returned"));
    Deferred r = maybeDeferred([f] { return f; });
    CHECK(r.result().failure() == f);
    r.addErrback([](const Failure&) {});
    Result dyn = 4;
    CHECK(maybeDeferred([dyn] { return dyn; }).result().as<int>() == 4);
  });
}

TEST_CASE("case 28: maybeDeferred of a returned Deferred is that Deferred, outcome included") {
  run([] {
    Deferred later;
    Deferred d = maybeDeferred([later] { return later; });
    CHECK(d == later);
    later.callback("async");
    CHECK(d.result().as<std::string>() == "async");
    Deferred bad;
    Deferred e = maybeDeferred([bad] { return Result(bad); });
    CHECK(e == bad);
    bad.errback(GenericError("async error"));
    CHECK(e.result().failure().check<GenericError>());
    e.addErrback([](const Failure&) {});
  });
}

TEST_CASE("case 29: maybeDeferred of an inlineCallbacks function (the coroutine case)") {
  run([] {
    auto seven = inlineCallbacks([] { return 7; });
    CHECK(maybeDeferred(seven).result().as<int>() == 7);
    auto raising = inlineCallbacks([]() -> int { throw GenericError("coroutine"); });
    Deferred d = maybeDeferred(raising);
    CHECK(d.result().failure().check<GenericError>());
    d.addErrback([](const Failure&) {});
  });
}

}
