// DeferredList, gatherResults, FirstError (conformance §1, §2 cases 4-17, 24-26, 44).

#include <string>
#include <vector>

#include "tests/compat_twisted/support.hpp"

using namespace weft::twisted;
using twisted_test::GenericError;
using twisted_test::run;

namespace {

// Where a DeferredList's chain ended up.
struct Outcome {
  std::optional<Result> result;
  void attach(Deferred& d) {
    d.addBoth([this](Result& r) {
      result = r;
      return Result();
    });
  }
};

Deferred cancelToCallback() {
  return Deferred([](Deferred& d) { d.callback("Callback Result"); });
}

}  // namespace

TEST_SUITE("compat_twisted") {

TEST_CASE("case 4: DeferredList records (success, result) in member order") {
  run([] {
    Deferred d1, d2, d3;
    DeferredList dl({d1, d2, d3});
    Outcome out;
    out.attach(dl);
    d1.callback("1");
    d2.errback(GenericError("2"));
    CHECK_FALSE(out.result);
    d3.callback("3");
    REQUIRE(out.result);
    auto& items = out.result->as<DeferredListResult>();
    REQUIRE(items.size() == 3);
    CHECK(items[0].success);
    CHECK(items[0].result.as<std::string>() == "1");
    CHECK_FALSE(items[1].success);
    CHECK(items[1].result.failure().getErrorMessage() == "2");
    CHECK(items[2].result.as<std::string>() == "3");
    d2.addErrback([](const Failure&) {});
  });
}

TEST_CASE("case 5: an empty DeferredList fires [] at once; with fireOnOneCallback never") {
  run([] {
    DeferredList empty({});
    CHECK(empty.called());
    CHECK(empty.result().as<DeferredListResult>().empty());
    DeferredList never({}, true);
    CHECK_FALSE(never.called());
  });
}

TEST_CASE("case 6: fireOnOneErrback fails with FirstError(subFailure, index)") {
  run([] {
    Deferred d1, d2;
    DeferredList dl({d1, d2}, {.fireOnOneErrback = true});
    Outcome out;
    out.attach(dl);
    d2.errback(GenericError("from def2"));
    REQUIRE(out.result);
    const FirstError* fe = out.result->failure().valueAs<FirstError>();
    REQUIRE(fe != nullptr);
    CHECK(fe->index() == 1);
    CHECK(fe->subFailure().check<GenericError>());
    CHECK(fe->subFailure().getErrorMessage() == "from def2");
    d2.addErrback([](const Failure&) {});
    d1.callback();
  });
}

TEST_CASE("cases 7 and 8: consumeErrors decides whether later member errbacks see the failure") {
  run([] {
    for (bool consume : {false, true}) {
      Deferred d;
      DeferredList dl({d}, {.consumeErrors = consume});
      d.errback(GenericError("member"));
      bool errbackRan = false;
      d.addErrback([&](const Failure&) { errbackRan = true; });
      CHECK(errbackRan == !consume);
      CHECK_FALSE(dl.result().as<DeferredListResult>()[0].success);
      CHECK(dl.result().as<DeferredListResult>()[0].result.failure().check<GenericError>());
    }
  });
}

TEST_CASE("case 9: a member failed before construction fails a fireOnOneErrback list at once") {
  run([] {
    Deferred ok;
    Deferred bad = fail(GenericError("early"));
    DeferredList dl({ok, bad}, {.fireOnOneErrback = true});
    CHECK(dl.called());
    CHECK(dl.result().failure().check<FirstError>());
    dl.addErrback([](const Failure&) {});
    bad.addErrback([](const Failure&) {});
    ok.callback();
  });
}

TEST_CASE("case 10: all members fired before construction gives the result at once") {
  run([] {
    DeferredList dl({succeed(1), succeed(2)});
    REQUIRE(dl.called());
    auto& items = dl.result().as<DeferredListResult>();
    CHECK(items[0].result.as<int>() == 1);
    CHECK(items[1].result.as<int>() == 2);
  });
}

TEST_CASE("fireOnOneCallback fires with (value, index); results keep being recorded") {
  run([] {
    Deferred d1, d2, d3;
    DeferredList dl({d1, d2, d3}, {.fireOnOneCallback = true});
    d2.callback("two");
    REQUIRE(dl.called());
    const auto& hit = dl.result().as<DeferredListHit>();
    CHECK(hit.index == 1);
    CHECK(hit.result.as<std::string>() == "two");
    d1.callback("one");
    d3.errback(GenericError("three"));
    CHECK(dl.finishedCount() == 3);
    CHECK(dl.resultList()[0]->result.as<std::string>() == "one");
    CHECK_FALSE(dl.resultList()[2]->success);
    d3.addErrback([](const Failure&) {});
  });
}

TEST_CASE("fireOnOneCallback with every member failing fires with the full list") {
  run([] {
    Deferred d1, d2;
    DeferredList dl({d1, d2}, {.fireOnOneCallback = true, .consumeErrors = true});
    d1.errback(GenericError("a"));
    d2.errback(GenericError("b"));
    REQUIRE(dl.called());
    CHECK(dl.result().as<DeferredListResult>().size() == 2);
  });
}

TEST_CASE("case 11: cancel() of an unfired list cancels every member") {
  run([] {
    Deferred d1, d2;
    DeferredList dl({d1, d2}, {.consumeErrors = true});
    dl.cancel();
    CHECK(d1.called());
    CHECK(d2.called());
    auto& items = dl.result().as<DeferredListResult>();
    CHECK(items[0].result.failure().check<CancelledError>());
    CHECK(items[1].result.failure().check<CancelledError>());
  });
}

TEST_CASE("case 12: a member canceller that calls back keeps its result") {
  run([] {
    Deferred d1 = cancelToCallback();
    Deferred d2;
    DeferredList dl({d1, d2}, {.consumeErrors = true});
    dl.cancel();
    auto& items = dl.result().as<DeferredListResult>();
    CHECK(items[0].success);
    CHECK(items[0].result.as<std::string>() == "Callback Result");
    CHECK_FALSE(items[1].success);
    CHECK(items[1].result.failure().check<CancelledError>());
  });
}

TEST_CASE("case 13: the same with fireOnOneCallback fires (\"Callback Result\", 0)") {
  run([] {
    Deferred d1 = cancelToCallback();
    Deferred d2;
    DeferredList dl({d1, d2}, {.fireOnOneCallback = true, .consumeErrors = true});
    dl.cancel();
    const auto& hit = dl.result().as<DeferredListHit>();
    CHECK(hit.index == 0);
    CHECK(hit.result.as<std::string>() == "Callback Result");
  });
}

TEST_CASE("case 14: cancel with fireOnOneErrback fails with FirstError(CancelledError)") {
  run([] {
    Deferred d1, d2;
    DeferredList dl({d1, d2}, {.fireOnOneErrback = true, .consumeErrors = true});
    dl.cancel();
    const FirstError* fe = dl.result().failure().valueAs<FirstError>();
    REQUIRE(fe != nullptr);
    CHECK(fe->subFailure().check<CancelledError>());
    dl.addErrback([](const Failure&) {});
  });
}

TEST_CASE("case 15: a Deferred appended to the caller's list afterwards is not cancelled") {
  run([] {
    std::vector<Deferred> list{Deferred()};
    DeferredList dl(list, {.consumeErrors = true});
    Deferred extra;
    list.push_back(extra);
    dl.cancel();
    CHECK(list[0].called());
    CHECK_FALSE(extra.called());
  });
}

TEST_CASE("case 16: a raising member canceller is logged; the other member is still cancelled") {
  weft_test::LogCapture log;
  weft_test::run_logged(log, [] {
    setUnhandledErrorHook([](const Failure&) {});
    Deferred d1([](Deferred&) { throw GenericError("canceller raised"); });
    Deferred d2;
    DeferredList dl({d1, d2}, {.consumeErrors = true});
    dl.cancel();
    CHECK_FALSE(d1.called());
    CHECK(d2.called());
    CHECK(dl.resultList()[1]->result.failure().check<CancelledError>());
    d1.callback();
  });
  CHECK(log.count("canceller raised") == 1);
}

TEST_CASE("case 17: cancel() of a fired list leaves the remaining members alone") {
  run([] {
    for (bool onCallback : {true, false}) {
      Deferred d1, d2;
      DeferredList dl({d1, d2}, {.fireOnOneCallback = onCallback, .fireOnOneErrback = !onCallback,
                                 .consumeErrors = true});
      if (onCallback) {
        d1.callback("x");
      } else {
        d1.errback(GenericError("x"));
        dl.addErrback([](const Failure&) {});
      }
      REQUIRE(dl.called());
      dl.cancel();
      CHECK_FALSE(d2.called());
      d2.callback();
    }
  });
}

TEST_CASE("case 24: gatherResults gives the values, or fails once") {
  run([] {
    Deferred ok = gatherResults({succeed(1), succeed(2)});
    auto& values = ok.result().as<std::vector<Result>>();
    REQUIRE(values.size() == 2);
    CHECK(values[0].as<int>() == 1);
    CHECK(values[1].as<int>() == 2);
    int errbacks = 0;
    Deferred bad = gatherResults({succeed(1), fail(std::invalid_argument("v"))}, true);
    bad.addErrback([&](const Failure& f) {
      ++errbacks;
      CHECK(f.check<FirstError>());
    });
    CHECK(errbacks == 1);
    CHECK(gatherResults({}).result().as<std::vector<Result>>().empty());
  });
}

TEST_CASE("gatherResults' FirstError carries the first member to fail in firing order") {
  run([] {
    Deferred d0, d1, d2;
    Deferred g = gatherResults({d0, d1, d2}, true);
    d2.errback(GenericError("third fails first"));
    d0.errback(GenericError("first fails later"));
    CHECK(g.result().failure().valueAs<FirstError>()->index() == 2);
    g.addErrback([](const Failure&) {});
    d1.callback();
  });
}

TEST_CASE("case 25: consumeErrors: the member's later errback is not called") {
  run([] {
    Deferred d1 = fail(std::runtime_error("member"));
    Deferred g = gatherResults({d1}, true);
    bool memberErrback = false;
    d1.addErrback([&](const Failure&) { memberErrback = true; });
    CHECK_FALSE(memberErrback);
    const FirstError* fe = g.result().failure().valueAs<FirstError>();
    REQUIRE(fe != nullptr);
    CHECK(fe->subFailure().check<std::runtime_error>());
    g.addErrback([](const Failure&) {});
  });
}

TEST_CASE("case 26: cancel() of gatherResults cancels the members") {
  run([] {
    Deferred d1, d2;
    Deferred g = gatherResults({d1, d2}, true);
    g.cancel();
    CHECK(g.result().failure().valueAs<FirstError>()->subFailure().check<CancelledError>());
    g.addErrback([](const Failure&) {});
    Deferred c1 = cancelToCallback();
    Deferred c2 = cancelToCallback();
    Deferred both = gatherResults({c1, c2});
    both.cancel();
    auto& values = both.result().as<std::vector<Result>>();
    REQUIRE(values.size() == 2);
    CHECK(values[0].as<std::string>() == "Callback Result");
    CHECK(values[1].as<std::string>() == "Callback Result");
  });
}

TEST_CASE("case 44: FirstError text and equality") {
  Failure f(std::invalid_argument("some text"));
  FirstError a(f, 3);
  CHECK(std::string(a.what()) == "FirstError[#3, std::invalid_argument('some text')]");
  CHECK(a == FirstError(f, 3));
  CHECK_FALSE(a == FirstError(f, 4));
  CHECK_FALSE(a == FirstError(Failure(std::invalid_argument("some text")), 3));
}

TEST_CASE("fireOnOneErrback: later outcomes are still recorded; members keep their failures") {
  run([] {
    Deferred a, b, c;
    DeferredList dl({a, b, c}, false, true);
    dl.addErrback([](const Failure&) {});
    b.errback(GenericError("b"));
    CHECK(dl.called());
    a.callback(1);
    c.errback(GenericError("c"));
    REQUIRE(dl.finishedCount() == 3);
    CHECK(dl.resultList()[0]->success);
    CHECK(dl.resultList()[0]->result.as<int>() == 1);
    CHECK_FALSE(dl.resultList()[2]->success);
    CHECK(dl.resultList()[2]->result.failure().getErrorMessage() == "c");
    // Without consumeErrors each member's own chain still holds its Failure.
    CHECK(c.result().isFailure());
    bool seen = false;
    c.addErrback([&](const Failure&) { seen = true; });
    CHECK(seen);
    b.addErrback([](const Failure&) {});
  });
}

}
