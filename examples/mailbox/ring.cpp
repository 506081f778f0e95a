// A ring of tasklets passes one message round and round.
//
// 1,000 tasklets each wait for a message in their mailbox, add one to the
// counter it carries and pass it on to the next tasklet. After 1,000 rounds
// (a million hops) the message comes back to main, which prints how fast it
// went. Usage: ring [tasklets] [rounds]

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "mailbox/mailbox.hpp"
#include "tasklet/dispatch.hpp"

int main(int argc, char** argv) {
  const int tasklets = argc > 1 ? std::atoi(argv[1]) : 1000;
  const long rounds = argc > 2 ? std::atol(argv[2]) : 1000;
  if (tasklets < 1 || rounds < 1) {
    std::fprintf(stderr, "usage: ring [tasklets >= 1] [rounds >= 1]\n");
    return 2;
  }
  const long hops = tasklets * rounds;

  return weft::dispatch([&] {
    weft::Tasklet main = weft::Tasklet::current();
    std::vector<weft::Tasklet> ring(tasklets);
    for (int i = 0; i < tasklets; ++i) {
      ring[i] = weft::Tasklet::spawn([&, i] {
        weft::Tasklet& next = ring[(i + 1) % tasklets];
        for (;;) {
          weft::Message m = weft::receive();
          long& count = m.as<long>();
          ++count;
          // Pass the same message on; the last hop goes back to main.
          weft::send(count == hops ? main : next, std::move(m));
        }
      });
    }

    std::printf("%d tasklets in a ring, passing a message round %ld times...\n", tasklets, rounds);
    auto start = std::chrono::steady_clock::now();
    weft::send(ring[0], 0L);
    long count = weft::receive().as<long>();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("the message came back after %ld hops in %.3f s: %.1f million messages a second\n",
                count, seconds, static_cast<double>(count) / seconds / 1e6);

    for (auto& t : ring) t.kill();
  });
}
