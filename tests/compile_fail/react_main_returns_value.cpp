// react's main returning a value other than a Deferred (an exit code?).
// expect: react's main returns nothing (it then runs as an inlineCallbacks body
#include "compat_twisted/react.hpp"

int run() {
#ifdef WEFT_CONTROL
  return weft::twisted::react([](weft::twisted::Reactor&) {});
#else
  return weft::twisted::react([](weft::twisted::Reactor&) { return 3; });
#endif
}
