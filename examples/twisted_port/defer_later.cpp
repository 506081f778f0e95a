// Twisted's how-to "Scheduling tasks for the future", example 2: deferLater.
// Line by line; the lines marked "weft:" are not in the original.

#include <cstdio>
#include <string>

#include "compat_twisted/twisted.hpp"

using namespace weft::twisted;

int main() {
  return weft::dispatch([] {
    Reactor reactor;  // weft: the reactor is an object, not a global

    auto f = [](const std::string& s) {
      return "This will run 3.5 seconds after it was scheduled: " + s;
    };

    Deferred d = deferLater(reactor, 3.5, f, "hello, world");
    auto called = [&](const std::string& result) {
      std::printf("%s\n", result.c_str());
      reactor.stop();  // weft: end the example
    };
    d.addCallback(called);

    // f() runs while the loop runs; reactor.run() waits for reactor.stop().
    reactor.run();
  });
}
