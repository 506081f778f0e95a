// Twisted's how-to "Scheduling tasks for the future", example 1: callLater.
// Line by line; the lines marked "weft:" are not in the original.

#include <cstdio>
#include <string>

#include "compat_twisted/twisted.hpp"

using namespace weft::twisted;

int main() {
  return weft::dispatch([] {
    Reactor reactor;  // weft: the reactor is an object, not a global

    auto f = [](const std::string& s) {
      std::printf("this will run 3.5 seconds after it was scheduled: %s\n", s.c_str());
    };

    reactor.callLater(3.5, f, "hello, world");
    reactor.callLater(3.5, [&] { reactor.stop(); });  // weft: end the example

    // f() runs while the loop runs; reactor.run() waits for reactor.stop().
    reactor.run();
  });
}
