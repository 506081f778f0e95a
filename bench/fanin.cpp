// fanin: 100 tasklets each send 100k messages to one receiver, messages per
// second. weft: send() into a mailbox bounded at 1,024 (a sender parks while
// it is full). Peer: Boost.Fiber, 100 fibers pushing into one
// buffered_channel of 1,024. No target: reported for comparison. Timed in
// the thread's CPU time (bench::CpuTimer).

#include <boost/fiber/all.hpp>

#include <vector>

#include "bench/bench_util.hpp"
#include "mailbox/mailbox.hpp"
#include "tasklet/dispatch.hpp"

namespace {

constexpr int kSenders = 100;
constexpr std::size_t kBound = 1024;

double weft_fanin(long each) {
  const long total = kSenders * each;
  double rate = 0;
  weft::dispatch([&] {
    auto sink = weft::Tasklet::spawn(
        [total] {
          long sum = 0;
          for (long i = 0; i < total; ++i) sum += weft::receive().as<long>();
          return sum;
        },
        {.max_mailbox_len = kBound});
    bench::CpuTimer t0;
    for (int s = 0; s < kSenders; ++s) {
      weft::Tasklet::spawn([sink, each] {
        for (long i = 0; i < each; ++i) weft::send(sink, 1L);
      });
    }
    if (sink.join() != total) std::abort();
    rate = static_cast<double>(total) / t0.seconds();
  });
  return rate;
}

double fiber_fanin(long each) {
  namespace bf = boost::fibers;
  const long total = kSenders * each;
  bf::buffered_channel<long> sink(kBound);
  bench::CpuTimer t0;
  std::vector<bf::fiber> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([&sink, each] {
      for (long i = 0; i < each; ++i) sink.push(1L);
    });
  }
  long sum = 0;
  for (long i = 0; i < total; ++i) {
    long v = 0;
    sink.pop(v);
    sum += v;
  }
  double rate = static_cast<double>(total) / t0.seconds();
  for (auto& f : senders) f.join();
  if (sum != total) std::abort();
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  auto args = bench::parse(argc, argv);
  const long each = static_cast<long>(100'000 * args.scale);
  std::vector<bench::Impl> impls{{"weft", weft_fanin}, {"boost.fiber", fiber_fanin}};
  auto v = bench::measure(args, impls, each);
  bench::report(args, "fanin", "msgs/s", "100 tasklets x 100k messages into one receiver",
                {"weft", "boost.fiber"}, v, false, "none (reported)");
}
