// pingpong: a request and its reply between two tasklets, ns per round trip.
// weft: call<int>() to a tasklet that receive()s and reply()s. Peers:
// Boost.Fiber, two fibers and a pair of channels (request, reply), both
// unbuffered (a rendezvous, like a call) and buffered. Target: weft <= 1/5 of
// Boost.Fiber's round trip. Timed in the thread's CPU time (bench::CpuTimer),
// like switch.cpp, so a busy machine does not skew the ratio.

#include <boost/fiber/all.hpp>

#include "bench/bench_util.hpp"
#include "mailbox/mailbox.hpp"
#include "tasklet/dispatch.hpp"

namespace {

double weft_pingpong(long n) {
  double ns = 0;
  weft::dispatch([&] {
    auto server = weft::Tasklet::spawn([] {
      for (;;) {
        weft::Message m = weft::receive();
        m.reply(m.as<int>() + 1);
      }
    });
    int v = 0;
    bench::CpuTimer t0;
    for (long i = 0; i < n; ++i) v = weft::call<int>(server, v);
    ns = t0.seconds() * 1e9 / static_cast<double>(n);
    if (v != n) std::abort();
    server.kill();
  });
  return ns;
}

template <class Channel>
double fiber_pingpong(long n, Channel& request, Channel& reply) {
  boost::fibers::fiber server([&] {
    int v;
    while (request.pop(v) == boost::fibers::channel_op_status::success) reply.push(v + 1);
  });
  int v = 0;
  bench::CpuTimer t0;
  for (long i = 0; i < n; ++i) {
    request.push(v);
    reply.pop(v);
  }
  double ns = t0.seconds() * 1e9 / static_cast<double>(n);
  request.close();
  server.join();
  if (v != n) std::abort();
  return ns;
}

double fiber_unbuffered(long n) {
  boost::fibers::unbuffered_channel<int> request, reply;
  return fiber_pingpong(n, request, reply);
}

double fiber_buffered(long n) {
  boost::fibers::buffered_channel<int> request(2), reply(2);
  return fiber_pingpong(n, request, reply);
}

}  // namespace

int main(int argc, char** argv) {
  auto args = bench::parse(argc, argv);
  const long n = static_cast<long>(2'000'000 * args.scale);
  std::vector<bench::Impl> impls{{"weft", weft_pingpong},
                                 {"boost.fiber", fiber_unbuffered},
                                 {"boost.fiber.buffered", fiber_buffered}};
  auto v = bench::measure(args, impls, n);
  bench::report(args, "pingpong", "ns", "call + reply between two tasklets, per round trip",
                {"weft", "boost.fiber", "boost.fiber.buffered"}, v, true,
                "weft <= 1/5 of Boost.Fiber");
}
