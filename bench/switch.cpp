// switch: yield_ between two tasklets, ns per switch; peers: raw Boost.Context
// (a fiber pair resuming each other: the floor) and Boost.Fiber (two fibers
// calling this_fiber::yield()). Target: weft <= 2x raw Boost.Context.

#include <boost/context/fiber.hpp>
#include <boost/fiber/all.hpp>

#include "bench/bench_util.hpp"
#include "tasklet/dispatch.hpp"
#include "tasklet/tasklet.hpp"

namespace {

double weft_switch(long n) {
  double ns = 0;
  weft::dispatch([&] {
    auto body = [n] {
      for (long i = 0; i < n; ++i) weft::Tasklet::yield_();
    };
    auto a = weft::Tasklet::spawn(body);
    auto b = weft::Tasklet::spawn(body);
    bench::CpuTimer t0;
    a.join();
    b.join();
    ns = t0.seconds() * 1e9 / (2.0 * n);
  });
  return ns;
}

double context_switch(long n) {
  namespace ctx = boost::context;
  ctx::fiber f{[n](ctx::fiber&& main) {
    for (long i = 0; i < n; ++i) main = std::move(main).resume();
    return std::move(main);
  }};
  bench::CpuTimer t0;
  for (long i = 0; i < n; ++i) f = std::move(f).resume();
  double ns = t0.seconds() * 1e9 / (2.0 * n);
  f = std::move(f).resume();  // let it return
  return ns;
}

double fiber_switch(long n) {
  auto body = [n] {
    for (long i = 0; i < n; ++i) boost::this_fiber::yield();
  };
  bench::CpuTimer t0;
  boost::fibers::fiber a(body), b(body);
  a.join();
  b.join();
  return t0.seconds() * 1e9 / (2.0 * n);
}

}  // namespace

int main(int argc, char** argv) {
  auto args = bench::parse(argc, argv);
  const long n = static_cast<long>(10'000'000 * args.scale);
  std::vector<bench::Impl> impls{
      {"weft", weft_switch}, {"boost.context", context_switch}, {"boost.fiber", fiber_switch}};
  auto v = bench::measure(args, impls, n);
  bench::report(args, "switch", "ns", "yield between two tasklets, per switch",
                {"weft", "boost.context", "boost.fiber"}, v, true,
                "weft <= 2x raw Boost.Context");
}
