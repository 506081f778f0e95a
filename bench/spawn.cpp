// spawn: spawn + join of 1M trivial tasklets, ns each (in batches of 1,000:
// spawn the batch, then join it). Peer: Boost.Fiber doing the same with
// fibers, with its default stack allocator and with its pooled allocator; the
// faster of the two is the peer. Target (DESIGN.md §9): weft <= 0.3 of
// Boost.Fiber with its pooled allocator.

#include <boost/fiber/all.hpp>

#include "bench/bench_util.hpp"
#include "tasklet/dispatch.hpp"
#include "tasklet/tasklet.hpp"

namespace {

constexpr long kBatch = 1000;

double weft_spawn(long n) {
  double ns = 0;
  weft::dispatch([&] {
    std::vector<weft::TaskletOf<long>> batch;
    batch.reserve(kBatch);
    long sum = 0;
    bench::CpuTimer t0;
    for (long done = 0; done < n; done += kBatch) {
      for (long i = 0; i < kBatch; ++i) batch.push_back(weft::Tasklet::spawn([i] { return i; }));
      for (auto& t : batch) sum += t.join();
      batch.clear();
    }
    ns = t0.seconds() * 1e9 / static_cast<double>(n);
    if (sum < 0) std::abort();
  });
  return ns;
}

template <class Alloc>
double fiber_spawn_with(long n, Alloc alloc) {
  std::vector<boost::fibers::fiber> batch;
  batch.reserve(kBatch);
  long sum = 0;
  bench::CpuTimer t0;
  for (long done = 0; done < n; done += kBatch) {
    for (long i = 0; i < kBatch; ++i) {
      batch.emplace_back(std::allocator_arg, alloc, [i, &sum] { sum += i; });
    }
    for (auto& f : batch) f.join();
    batch.clear();
  }
  double ns = t0.seconds() * 1e9 / static_cast<double>(n);
  if (sum < 0) std::abort();
  return ns;
}

double fiber_spawn_default(long n) { return fiber_spawn_with(n, boost::fibers::default_stack()); }
double fiber_spawn_pooled(long n) {
  return fiber_spawn_with(n, boost::fibers::pooled_fixedsize_stack(64 * 1024));
}

}  // namespace

int main(int argc, char** argv) {
  auto args = bench::parse(argc, argv);
  const long n = static_cast<long>(1'000'000 * args.scale);
  auto v = bench::measure(args,
                          {{"weft", weft_spawn},
                           {"boost.fiber/default", fiber_spawn_default},
                           {"boost.fiber/pooled", fiber_spawn_pooled}},
                          n);
  const double peer = std::min(v[1], v[2]);
  if (args.json) {
    bench::report(args, "spawn", "ns", "", {"weft", "boost.fiber"}, {v[0], peer}, true, "");
    return 0;
  }
  bench::report(args, "spawn", "ns", "spawn + join of a trivial tasklet, each",
                {"weft", "boost.fiber/default", "boost.fiber/pooled"}, v, true,
                "weft <= 0.3 of Boost.Fiber pooled (its faster allocator)");
}
