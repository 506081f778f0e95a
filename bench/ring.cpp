// ring: 1,000 tasklets in a ring pass a message round 1,000 times (1M hops),
// messages per second. weft: each tasklet receive()s the message and sends
// it on to the next one's mailbox. Peer: Boost.Fiber, 1,000 fibers each
// popping its own buffered_channel and pushing to the next one's. Target:
// weft >= 5x Boost.Fiber's rate. Timed in the thread's CPU time (bench::CpuTimer).

#include <boost/fiber/all.hpp>

#include <memory>
#include <vector>

#include "bench/bench_util.hpp"
#include "mailbox/mailbox.hpp"
#include "tasklet/dispatch.hpp"

namespace {

constexpr int kTasklets = 1000;

double weft_ring(long rounds) {
  const long hops = kTasklets * rounds;
  double rate = 0;
  weft::dispatch([&] {
    weft::Tasklet main = weft::Tasklet::current();
    std::vector<weft::Tasklet> ring(kTasklets);
    for (int i = 0; i < kTasklets; ++i) {
      ring[i] = weft::Tasklet::spawn([&ring, &main, i, hops] {
        weft::Tasklet& next = ring[(i + 1) % kTasklets];
        for (;;) {
          weft::Message m = weft::receive();
          long& count = m.as<long>();
          if (++count == hops) {
            weft::send(main, std::move(m));
          } else {
            weft::send(next, std::move(m));  // pass the same message on
          }
        }
      });
    }
    weft::Tasklet::yield_();  // every tasklet parks in receive
    bench::CpuTimer t0;
    weft::send(ring[0], 0L);
    if (weft::receive().as<long>() != hops) std::abort();
    rate = static_cast<double>(hops) / t0.seconds();
    for (auto& t : ring) t.kill();
  });
  return rate;
}

double fiber_ring(long rounds) {
  namespace bf = boost::fibers;
  const long hops = kTasklets * rounds;
  std::vector<std::unique_ptr<bf::buffered_channel<long>>> inbox;
  for (int i = 0; i < kTasklets; ++i) inbox.push_back(std::make_unique<bf::buffered_channel<long>>(2));
  bf::buffered_channel<long> done(2);
  std::vector<bf::fiber> ring;
  for (int i = 0; i < kTasklets; ++i) {
    ring.emplace_back([&, i] {
      bf::buffered_channel<long>& next = *inbox[(i + 1) % kTasklets];
      long count;
      while (inbox[i]->pop(count) == bf::channel_op_status::success) {
        if (++count == hops) {
          done.push(count);
        } else {
          next.push(count);
        }
      }
    });
  }
  boost::this_fiber::yield();
  bench::CpuTimer t0;
  inbox[0]->push(0);
  long count = 0;
  done.pop(count);
  double rate = static_cast<double>(hops) / t0.seconds();
  if (count != hops) std::abort();
  for (auto& c : inbox) c->close();
  for (auto& f : ring) f.join();
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  auto args = bench::parse(argc, argv);
  const long rounds = static_cast<long>(1000 * args.scale);
  std::vector<bench::Impl> impls{{"weft", weft_ring}, {"boost.fiber", fiber_ring}};
  auto v = bench::measure(args, impls, rounds);
  bench::report(args, "ring", "msgs/s", "1,000 tasklets passing a message round 1,000 times",
                {"weft", "boost.fiber"}, v, false, "weft >= 5x Boost.Fiber");
}
