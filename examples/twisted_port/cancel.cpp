// Twisted's how-to "Scheduling tasks for the future", example 4: cancelling a
// call. Line by line; the lines marked "weft:" are not in the original.

#include <cstdio>

#include "compat_twisted/twisted.hpp"

using namespace weft::twisted;

int main() {
  return weft::dispatch([] {
    Reactor reactor;  // weft: the reactor is an object, not a global

    auto f = [] { std::printf("I'll never run.\n"); };

    DelayedCall callID = reactor.callLater(5, f);
    callID.cancel();
    reactor.callLater(5.5, [&] { reactor.stop(); });  // weft: end the example
    reactor.run();
    std::printf("cancelled: %s\n", callID.cancelled() ? "yes" : "no");  // weft
  });
}
