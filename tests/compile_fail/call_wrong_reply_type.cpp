// call<R> with an R other than the reply type the request names.
// expect: msg's type names its reply type (using reply = ...); R must be that type
#include "mailbox/mailbox.hpp"

struct Stats {
  using reply = int;
};

void ask(const weft::Tasklet& t) {
#ifdef WEFT_CONTROL
  [[maybe_unused]] int n = weft::call(t, Stats{});
#else
  [[maybe_unused]] long n = weft::call<long>(t, Stats{});
#endif
}
