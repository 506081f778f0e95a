// The program tests/tools/gdb_test.sh runs under gdb: a loop with tasklets
// parked in known places, stopped in weft_gdb_stop_here().

#include "mailbox/mailbox.hpp"
#include "sync/event.hpp"
#include "tasklet/dispatch.hpp"
#include "tasklet/tasklet.hpp"

extern "C" [[gnu::noinline]] void weft_gdb_stop_here() { asm volatile("" ::: "memory"); }

namespace {

volatile int after_park = 0;

[[gnu::noinline]] void parked_for_gdb(weft::Event& e) {
  e.wait();
  after_park = after_park + 1;
}

}  // namespace

int main() {
  return weft::dispatch([] {
    weft::Event event;
    auto a = weft::Tasklet::spawn([&] { parked_for_gdb(event); }, {.name = "waiter"});
    auto b = weft::Tasklet::spawn([] { weft::Tasklet::sleep(30.0); }, {.name = "sleeper"});
    auto c = weft::Tasklet::spawn([] { weft::receive(); }, {.name = "inbox"});
    weft::Tasklet::yield_();
    weft_gdb_stop_here();
    event.set();
    a.join();
    b.kill();
    c.kill();
  });
}
