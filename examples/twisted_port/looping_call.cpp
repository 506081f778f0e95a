// Twisted's how-to "Scheduling tasks for the future", example 3: LoopingCall.
// Line by line; the lines marked "weft:" are not in the original. Pass --fail
// for failInTheEnd = True.

#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "compat_twisted/twisted.hpp"

using namespace weft::twisted;

int main(int argc, char** argv) {
  const int loopTimes = 3;
  const bool failInTheEnd = argc > 1 && std::strcmp(argv[1], "--fail") == 0;
  int _loopCounter = 0;

  return weft::dispatch([&] {
    Reactor reactor;                  // weft: the reactor is an object, not a global
    std::optional<LoopingCall> loop;  // weft: runEverySecond refers to it before it exists

    // Called at ever loop interval.
    auto runEverySecond = [&] {
      if (_loopCounter < loopTimes) {
        _loopCounter += 1;
        std::printf("A new second has passed.\n");
        return;
      }
      if (failInTheEnd) throw std::runtime_error("Failure during loop execution.");
      // We looped enough times.
      loop->stop();
    };

    // Called when loop was stopped with success.
    auto cbLoopDone = [&](Result&) {
      std::printf("Loop done.\n");
      reactor.stop();
    };

    // Called when loop execution failed.
    auto ebLoopFailed = [&](const Failure& failure) {
      // weft: no tracebacks in C++ (Twisted prints failure.getBriefTraceback())
      std::printf("%s: %s\n", failure.typeName().c_str(), failure.getErrorMessage().c_str());
      reactor.stop();
    };

    loop.emplace(reactor, runEverySecond);
    // Start looping every 1 second.
    Deferred loopDeferred = loop->start(1.0);
    // Add callbacks for stop and failure.
    loopDeferred.addCallback(cbLoopDone);
    loopDeferred.addErrback(ebLoopFailed);

    reactor.run();
  });
}
