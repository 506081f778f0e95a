// A program that uses weft the way a consumer does: through the installed
// headers (<weft/FOLDER/NAME.hpp>) and the installed library. Built by
// consumer_test.sh three ways (pkg-config, CMake, meson subproject) and with
// AddressSanitizer against the release library. Prints "consumer ok <sum>".
//
// Its tasklets keep arrays on their stacks across switches, throw and catch
// across parks and get killed while parked: what an unannotated context
// switch gets wrong under ASan (a false stack-buffer-overflow at the first
// switch, or on a stack reused from the pool).

#include <weft/sync/channel.hpp>
#include <weft/tasklet/dispatch.hpp>
#include <weft/tasklet/tasklet.hpp>

#include <cstdio>
#include <stdexcept>
#include <vector>

namespace {

int work(weft::Channel<int>& ch, int id) {
  volatile char buf[256];  // a frame with ASan redzones, live across switches
  for (int i = 0; i < 256; ++i) buf[i] = static_cast<char>(id + i);
  int sum = 0;
  for (int round = 0; round < 20; ++round) {
    weft::Tasklet::yield_();
    try {
      if (round % 5 == 0) throw std::runtime_error("caught across a park");
    } catch (const std::runtime_error&) {
      weft::Tasklet::yield_();  // park inside the catch block
      sum += 1;
    }
    sum += buf[round] - buf[0];
  }
  ch.send(sum);
  return sum;
}

}  // namespace

int main() {
  int total = 0;
  const int code = weft::dispatch([&] {
    weft::Channel<int> ch;
    std::vector<weft::TaskletOf<int>> workers;
    for (int id = 0; id < 16; ++id) {
      workers.push_back(weft::Tasklet::spawn([&ch, id] { return work(ch, id); }));
    }
    int received = 0;
    for (int i = 0; i < 16; ++i) received += ch.receive(5.0);
    for (auto& w : workers) total += w.join(5.0);
    if (received != total) throw std::logic_error("channel and join disagree");
    // A tasklet killed while parked unwinds on its stack; the stack goes back
    // to the pool and the next spawns reuse it.
    auto sleeper = weft::Tasklet::spawn([] {
      volatile char deep[1024];
      deep[0] = 1;
      weft::Tasklet::sleep(60.0);
      return static_cast<int>(deep[0]);
    });
    weft::Tasklet::yield_();
    sleeper.kill();
    for (int i = 0; i < 4; ++i) {
      total += weft::Tasklet::spawn([i] {
        volatile char again[512];
        again[511] = static_cast<char>(i);
        weft::Tasklet::yield_();
        return static_cast<int>(again[511]);
      }).join(5.0);
    }
  });
  if (code != 0) return code;
  std::printf("consumer ok %d\n", total);
  return total == 16 * (4 + 190) + 6 ? 0 : 3;
}
