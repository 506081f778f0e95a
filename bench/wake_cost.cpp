// wake_cost: what one wake-up of an echo connection costs a server, in
// instructions and D1 misses, counted by callgrind: weft's echo server
// (weft::serve and the example's handler) or the raw libev callback server
// (echo_libev.cpp's), at N connections with K pipelined 64-byte messages per
// batch, as bench_echo runs them. A wake-up is everything the server does per
// batch: its share of the poll, the wake and switch in, the read, the write,
// the park and switch out. Not a timing benchmark; run it under callgrind:
//
//   valgrind --tool=callgrind --cache-sim=yes --callgrind-out-file=/tmp/wake.cg
//       build-prof/bench/bench_wake_cost --only weft
//
// and divide the dump's totals (Ir, D1mr + D1mw) by the wake-ups counted,
// which it prints. The server counts its wake-ups (one add per batch, in the
// copies of the two servers' handlers below): it zeroes callgrind's counts
// after --warmup wake-ups per connection (default 20; the stacks, records and
// watches have been touched by then) and dumps them after --count more
// (default 50,000), then exits. Without callgrind it just serves that many.
// --conns N (default 1,000), --depth K (default 16). --shift B moves weft's
// connection body's frame B bytes down the stack: which of the stack's cache
// lines a wake-up touches depends on it, so D1 misses are best taken as the
// mean of --shift 16, 32, 48 and 64. The misses at polls (Poller::poll,
// FdWatch::on_ready, BroadcastList::notify_all: waking the fibers) vary from
// run to run with how soon the generator answers; the rest do not.
//
// The load generator (echo_generator.hpp) is this program again, exec'd in
// a child: valgrind does not follow an exec unless told to
// (--trace-children=yes), so it runs at full speed and the server is the
// side that is behind (each poll finds many ready connections, as at
// saturation).

#include <ev.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <valgrind/callgrind.h>

#include <alloca.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bench/bench_net.hpp"
#include "bench/bench_util.hpp"
#include "bench/echo_generator.hpp"
#include "bench/echo_process.hpp"
#include "bench/libev_floor.hpp"
#include "bench/libev_servers.hpp"
#include "io/server.hpp"
#include "io/socket.hpp"
#include "tasklet/dispatch.hpp"

using namespace echo_bench;

namespace {

long g_count = 0;      // wake-ups so far
long g_zero_at = 0;    // callgrind's counts are zeroed at this wake-up...
long g_dump_at = 0;    // ...and dumped at this one
pid_t g_client = -1;

[[gnu::noinline, gnu::cold]] void milestone() {
  if (g_count == g_zero_at) {
    CALLGRIND_ZERO_STATS;
    return;
  }
  CALLGRIND_DUMP_STATS;
  std::printf("wake_cost: counted %ld wake-ups (after %ld); Ir / %ld = instructions per wake-up\n",
              g_dump_at - g_zero_at, g_zero_at, g_dump_at - g_zero_at);
  std::fflush(stdout);
  ::kill(g_client, SIGKILL);
  std::_Exit(0);
}

inline void count_wake_up() {
  if (__builtin_expect(++g_count == g_zero_at || g_count == g_dump_at, 0)) milestone();
}

long g_shift = 0;

// echo::serve_connection (examples/io/echo.cpp), counting.
[[gnu::noinline]] void echo_counted(weft::Socket& s) {
  char buf[4096];
  try {
    for (;;) {
      const std::size_t n = s.read(buf);
      if (n == 0) return;
      s.write_all({buf, n});
      count_wake_up();
    }
  } catch (const weft::ConnectionResetError&) {
  }
}

void serve_connection(weft::Socket& s) {
  if (g_shift > 0) {
    volatile char* pad = static_cast<char*>(alloca(static_cast<std::size_t>(g_shift)));
    pad[0] = 0;
  }
  echo_counted(s);
}

// The generator: connects and loads until the server goes.
int run_client(int argc, char** argv) {
  if (argc != 5) return 2;
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(std::atoi(argv[2])));
  raise_fd_limit();
  Generator g(addr, std::atol(argv[3]), std::atoi(argv[4]));
  const Outcome o = g.run(::getppid(), Timing{1e6, 1e6});
  (void)o;  // it ends when the server exits
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--client") == 0) return run_client(argc, argv);
  long conns = 1000;
  long depth = 16;
  long warmup = 20;
  long count = 50'000;
  const bench::Args args = bench::parse(
      argc, argv, {{"--conns", "N", &conns}, {"--depth", "K", &depth}, {"--warmup", "W", &warmup},
                   {"--count", "C", &count}, {"--shift", "B", &g_shift}});
  if (depth * static_cast<long>(kMessage) > static_cast<long>(kMaxBatch)) fail("--depth too large");
  g_zero_at = conns * warmup;
  g_dump_at = g_zero_at + count;
  raise_fd_limit();
  sockaddr_in addr;
  const int lfd = bench::make_loopback_listener(addr, "wake_cost", 65535);
  // This program's path (under valgrind, /proc/self/exe names valgrind's tool
  // when exec'd, but reading the link gives the program).
  char self[4096];
  const ssize_t len = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0) fail("readlink /proc/self/exe: %s", std::strerror(errno));
  self[len] = '\0';
  g_client = ::fork();
  if (g_client < 0) fail("fork: %s", std::strerror(errno));
  if (g_client == 0) {
    const std::string port = std::to_string(ntohs(addr.sin_port));
    const std::string n = std::to_string(conns);
    const std::string k = std::to_string(depth);
    ::execl(self, argv[0], "--client", port.c_str(), n.c_str(), k.c_str(),
            static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  if (args.only == "libev") return run_libev_echo(lfd, count_wake_up);
  weft::dispatch([lfd] {
    auto server = weft::serve(weft::Socket(lfd), serve_connection);
    server.join(weft::never);
  });
  return 0;
}
