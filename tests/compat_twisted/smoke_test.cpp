#include "tests/compat_twisted/support.hpp"

using namespace weft::twisted;
using twisted_test::run;

TEST_SUITE("compat_twisted") {

TEST_CASE("smoke: chain, inlineCallbacks start and resume") {
  run([] {
    std::vector<std::string> order;
    Deferred d;
    d.addCallback([](int x) { return x * 2; });
    d.callback(21);
    CHECK(d.result().as<int>() == 42);

    Deferred gate;
    auto body = inlineCallbacks([&](int start) {
      order.push_back("start " + std::to_string(start));
      int v = wait<int>(gate);
      order.push_back("resumed " + std::to_string(v));
      return v + 1;
    });
    Deferred out = body(5);
    order.push_back("after call");
    CHECK_FALSE(out.called());
    gate.callback(10);
    order.push_back("after fire");
    CHECK(out.called());
    CHECK(out.result().as<int>() == 11);
    CHECK(order == std::vector<std::string>{"start 5", "after call", "resumed 10", "after fire"});
  });
}

}
