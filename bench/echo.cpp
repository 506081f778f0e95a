// echo: TCP echo, 64-byte messages over 64 connections, round trips per
// second. weft's echo server (the example's handler: one tasklet per
// connection, blocking-style read/write_all) against the floor, an echo server
// on raw libev callbacks (echo_libev.cpp). Target: weft >= 0.95x libev.
//
// Each server runs in a child process on a listening socket made here; the
// load generator is this process: one thread, plain non-blocking sockets and
// epoll, one message in flight per connection. Both servers face the same
// generator, alternately, in the same run. Besides round trips/s, the server's
// CPU time per round trip is measured (/proc/<pid>/stat): when the generator
// rather than the server is the bottleneck, that figure still compares them.

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "bench/bench_net.hpp"
#include "bench/bench_util.hpp"
#include "bench/libev_servers.hpp"
#include "examples/io/echo.hpp"
#include "io/server.hpp"
#include "tasklet/dispatch.hpp"

namespace {

constexpr int kConnections = 64;
constexpr std::size_t kMessage = 64;
constexpr double kWarmup = 0.3;

std::vector<double> g_cpu_us[2];  // server CPU microseconds per round trip, per impl
std::vector<double> g_busy[2];    // server CPU seconds per second (1.0: a core saturated)

double process_cpu_seconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const auto close = s.rfind(')');
  if (close == std::string::npos) return 0;
  // Fields after the command: state is field 3; utime and stime are 14 and 15.
  std::vector<std::string> fields;
  std::size_t i = close + 2;
  while (i < s.size() && fields.size() < 13) {
    const auto sp = s.find(' ', i);
    fields.push_back(s.substr(i, sp - i));
    i = sp + 1;
  }
  if (fields.size() < 13) return 0;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return (std::stod(fields[11]) + std::stod(fields[12])) / ticks;
}

void serve_weft(int listen_fd) {
  weft::dispatch([listen_fd] {
    auto server = weft::serve(weft::Socket(listen_fd), echo::serve_connection);
    server.join(weft::never);
  });
}

// Drives the server at `addr` for `ms` milliseconds after a warm-up; returns
// round trips per second and records the server's CPU figures under `slot`.
double drive(const sockaddr_in& addr, pid_t server, long ms, int slot) {
  std::vector<int> fds;
  for (int i = 0; i < kConnections; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      std::perror("bench echo: connect");
      std::exit(1);
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    fds.push_back(fd);
  }
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  std::vector<std::size_t> got(kConnections, 0);
  char msg[kMessage];
  std::memset(msg, 'e', sizeof msg);
  for (int i = 0; i < kConnections; ++i) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<std::uint32_t>(i);
    ::epoll_ctl(ep, EPOLL_CTL_ADD, fds[static_cast<std::size_t>(i)], &ev);
    if (::write(fds[static_cast<std::size_t>(i)], msg, sizeof msg) != static_cast<ssize_t>(sizeof msg)) {
      std::perror("bench echo: write");
      std::exit(1);
    }
  }
  long count = 0;
  long count_at_start = 0;
  double cpu_at_start = 0;
  bool measuring = false;
  const auto t0 = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point m0;
  const double total = kWarmup + static_cast<double>(ms) / 1000.0;
  epoll_event events[kConnections];
  char buf[kMessage];
  for (;;) {
    const double t = bench::seconds_since(t0);
    if (!measuring && t >= kWarmup) {
      measuring = true;
      count_at_start = count;
      cpu_at_start = process_cpu_seconds(server);
      m0 = std::chrono::steady_clock::now();
    }
    if (t >= total) break;
    const int n = ::epoll_wait(ep, events, kConnections, 100);
    for (int k = 0; k < n; ++k) {
      const std::size_t i = events[k].data.u32;
      const ssize_t r = ::read(fds[i], buf, kMessage - got[i]);
      if (r <= 0) {
        if (r < 0 && errno == EAGAIN) continue;
        std::fprintf(stderr, "bench echo: the server closed a connection\n");
        std::exit(1);
      }
      got[i] += static_cast<std::size_t>(r);
      if (got[i] == kMessage) {
        got[i] = 0;
        ++count;
        if (::write(fds[i], msg, sizeof msg) != static_cast<ssize_t>(sizeof msg)) {
          std::perror("bench echo: write");
          std::exit(1);
        }
      }
    }
  }
  const double secs = bench::seconds_since(m0);
  const double cpu = process_cpu_seconds(server) - cpu_at_start;
  const long trips = count - count_at_start;
  for (int fd : fds) ::close(fd);
  ::close(ep);
  g_cpu_us[slot].push_back(trips > 0 ? cpu * 1e6 / static_cast<double>(trips) : 0);
  g_busy[slot].push_back(cpu / secs);
  return static_cast<double>(trips) / secs;
}

template <int Slot>
double run_one(long ms) {
  sockaddr_in addr;
  const int lfd = bench::make_loopback_listener(addr, "echo");
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (Slot == 0) {
      serve_weft(lfd);
    } else {
      run_libev_echo(lfd);
    }
    std::_Exit(0);
  }
  ::close(lfd);
  const double rate = drive(addr, pid, ms, Slot);
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  auto args = bench::parse(argc, argv);
  const long ms = static_cast<long>(2000 * args.scale);
  std::vector<bench::Impl> impls{{"weft", run_one<0>}, {"libev", run_one<1>}};
  const std::vector<double> rates = bench::measure(args, impls, ms);
  bench::report(args, "echo", "round trips/s", "TCP echo, 64 B messages, 64 connections",
                {"weft", "libev"}, rates, false, "weft >= 0.95x libev");
  if (!args.json) {
    const double w = bench::median(g_cpu_us[0]);
    const double l = bench::median(g_cpu_us[1]);
    std::printf("         server CPU per round trip: weft %.2f us, libev %.2f us (libev/weft = %.3g)\n",
                w, l, l / w);
    std::printf("         server CPU busy: weft %.0f%%, libev %.0f%% of a core (below ~90%%: the load"
                " generator, not the server, was the bottleneck)\n\n",
                100 * bench::median(g_busy[0]), 100 * bench::median(g_busy[1]));
  }
}
