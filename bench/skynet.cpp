// skynet: a tree of 1M leaves (each node spawns 10 children and sums their
// results; leaves return their number: the sum of 0..999999), in ms. Peer:
// Boost.Fiber with fibers and join, the children launched with `dispatch`
// (depth first: every other launch policy allocates a stack for each of the
// 1M leaves at once) on its pooled stack allocator. Target: <= 1/10 of Boost.Fiber.

#include <boost/fiber/all.hpp>

#include "bench/bench_util.hpp"
#include "tasklet/dispatch.hpp"
#include "tasklet/tasklet.hpp"

namespace {

long weft_node(long num, long size) {
  if (size == 1) return num;
  std::array<weft::TaskletOf<long>, 10> kids;
  const long step = size / 10;
  for (long i = 0; i < 10; ++i) {
    kids[static_cast<std::size_t>(i)] =
        weft::Tasklet::spawn([num, i, step] { return weft_node(num + i * step, step); });
  }
  long sum = 0;
  for (auto& k : kids) sum += k.join();
  return sum;
}

double weft_skynet(long leaves) {
  double ms = 0;
  weft::dispatch([&] {
    bench::CpuTimer t0;
    long sum = weft_node(0, leaves);
    ms = t0.seconds() * 1e3;
    if (sum != leaves * (leaves - 1) / 2) std::abort();
  });
  return ms;
}

using Alloc = boost::fibers::pooled_fixedsize_stack;

void fiber_node(Alloc& alloc, long num, long size, long& out) {
  if (size == 1) {
    out = num;
    return;
  }
  std::array<long, 10> results{};
  std::array<boost::fibers::fiber, 10> kids;
  const long step = size / 10;
  for (long i = 0; i < 10; ++i) {
    long& slot = results[static_cast<std::size_t>(i)];
    kids[static_cast<std::size_t>(i)] =
        boost::fibers::fiber(boost::fibers::launch::dispatch, std::allocator_arg, alloc,
                             [&alloc, num, i, step, &slot] { fiber_node(alloc, num + i * step, step, slot); });
  }
  long sum = 0;
  for (std::size_t i = 0; i < 10; ++i) {
    kids[i].join();
    sum += results[i];
  }
  out = sum;
}

double fiber_skynet(long leaves) {
  Alloc alloc(64 * 1024);
  bench::CpuTimer t0;
  long sum = 0;
  fiber_node(alloc, 0, leaves, sum);
  double ms = t0.seconds() * 1e3;
  if (sum != leaves * (leaves - 1) / 2) std::abort();
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  auto args = bench::parse(argc, argv);
  const long leaves = args.scale < 1 ? 100'000 : 1'000'000;
  auto v = bench::measure(args, {{"weft", weft_skynet}, {"boost.fiber", fiber_skynet}}, leaves);
  bench::report(args, "skynet", "ms", "1M-leaf tree of tasklets, whole run", {"weft", "boost.fiber"},
                v, true, "weft <= 1/10 of Boost.Fiber");
}
