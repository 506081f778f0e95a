// echo: TCP echo of 64-byte messages at N connections (echo_c<N>): without
// --conns the curve N = 1, 64, 1,000, 10,000; --conns N measures one N.
// weft's echo server (the example's handler: one tasklet per connection,
// blocking-style read/write_all, via weft::serve) against the floor, an echo
// server on raw libev callbacks (echo_libev.cpp). Per N: round trips/s, the
// server's CPU time per round trip (/proc/<pid>/stat) and the weft/libev
// ratio of each. Target (DESIGN.md §9): at every N, server CPU per round trip
// <= 1.10x libev and round trips/s >= 0.95x.
//
// Two phases per N: saturated runs (the generator as fast as the server
// answers) give round trips/s; paced runs at a fixed offered rate, kPaced of
// the slower server's saturated rate, give the server CPU per round trip that
// is compared (echo_c<N>_cpu): at saturation that figure also carries the cost
// of waking a generator that waits, which grows as a server falls behind the
// generator (see echo_generator.hpp, "Paced runs"); it is printed too
// (echo_c<N>_cpu_saturated). A paced generator polls without sleeping while
// batches wait for the rate, so its own CPU figure there says little.
//
// Each server runs in a child process on a listening socket made here; the
// load generator is this process. Both servers face the same generator,
// alternately, in the same run. On a machine of two cores the generator and
// the server share it, so round trips/s say something only when the generator
// costs no more per round trip than the server; its own CPU time per round
// trip (CLOCK_PROCESS_CPUTIME_ID) is printed beside the servers' so that a
// reader can check. The generator: echo_generator.hpp.
//
// Connections: RLIMIT_NOFILE is raised to its hard limit here and in both
// servers; N is capped (and the cap printed) when that or the ephemeral ports
// cannot give N connections. Client sockets are bound to loopback source
// addresses 127.0.0.2, 127.0.0.3, ... (2,000 each) and closed with SO_LINGER
// 0 (a reset, no TIME_WAIT), so repeated runs of 10,000 connections do not
// run out of ports. They are opened at most 512 unanswered at a time (below
// the listen backlog): a connection counts once its first batch has come
// back; during set-up each connection makes that one round trip and waits
// until all are answered. Nothing leaves 127.0.0.0/8. Every run is bounded in
// time (set-up at most kSetupLimit, then a fixed warm-up and measurement), and
// the server child is killed and reaped on every way out. With --json the
// figures are named after the connections measured (echo_c<capped N> when
// capped; the cap is also said on stderr).
//
// --loops N runs weft's server on N loops (echo_c<N>_l<loops>): the libev
// floor stays on one thread, and on a 2-core machine the generator shares
// the cores with the server's loops.

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "bench/bench_net.hpp"
#include "bench/bench_util.hpp"
#include "bench/echo_generator.hpp"
#include "bench/echo_process.hpp"
#include "bench/libev_servers.hpp"
#include "examples/io/echo.hpp"
#include "io/server.hpp"
#include "tasklet/dispatch.hpp"


using namespace echo_bench;

namespace {

using bench::cell;

const std::vector<long> kCurve = {1, 64, 1000, 10000};
constexpr long kReservedFds = 64;       // descriptors a process needs besides its connections

// Messages in flight on each connection at N connections. One connection is
// the latency case: one message, no pipelining. Beyond it 16 (1 KiB a
// batch) at every N, so that round trips/s compare across N.
int depth_for(long conns) { return conns <= 1 ? 1 : 16; }

// Paced runs offer this fraction of the slower server's saturated rate.
constexpr double kPaced = 0.7;
// A paced run that served less than this fraction of the offered rate did
// not keep up: its figure is not used.
constexpr double kKeptUp = 0.97;

enum Slot { kWeft = 0, kLibev = 1 };
const char* const kNames[] = {"weft", "libev"};

// --loops N: weft's server on N loops (dispatch_loops), each accepting from
// the one listener (dup'ed); the libev floor keeps its one thread.
long g_loops = 1;

void serve_weft(int listen_fd) {
  if (g_loops <= 1) {
    weft::dispatch([listen_fd] {
      auto server = weft::serve(weft::Socket(listen_fd), echo::serve_connection);
      server.join(weft::never);
    });
    return;
  }
  weft::dispatch_loops(static_cast<std::size_t>(g_loops), [listen_fd](std::size_t i) {
    const int fd = i == 0 ? listen_fd : ::dup(listen_fd);
    if (fd < 0) fail("dup: %s", std::strerror(errno));
    auto server = weft::serve(weft::Socket(fd), echo::serve_connection);
    server.join(weft::never);
  });
}

// Starts server `slot` in a child process on a new loopback listener (its
// address goes to `addr`); the child dies with this process.
pid_t start_server(Slot slot, sockaddr_in& addr) {
  const int lfd = bench::make_loopback_listener(addr, "echo", 65535);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) fail("fork: %s", std::strerror(errno));
  if (pid == 0) {
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::signal(sig, SIG_DFL);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) std::_Exit(1);
    raise_fd_limit();
    if (slot == kWeft) {
      serve_weft(lfd);
    } else {
      run_libev_echo(lfd);
    }
    std::_Exit(0);
  }
  g_child = pid;
  ::close(lfd);
  return pid;
}
Outcome run_once(Slot slot, long conns, int depth, const Timing& t, double pace = 0) {
  sockaddr_in addr;
  const pid_t pid = start_server(slot, addr);
  Outcome out;
  {
    Generator g(addr, conns, depth);
    out = g.run(pid, t, pace);
  }  // the connections are reset before the server goes
  stop_child();
  return out;
}

// Everything measured at one N.
struct Point {
  long requested = 0;
  long conns = 0;  // what was measured (below `requested` when capped)
  int depth = 1;
  std::string cap;  // why conns < requested
  std::vector<Figures> samples[2];  // saturated runs
  double pace = 0;                  // the paced runs' offered rate (0: none ran)
  std::vector<Figures> paced[2];    // paced runs that kept up
  long short_paced[2] = {0, 0};     // paced runs that did not
  std::vector<std::string> problems[2];  // failed runs
  long overflows[2] = {0, 0};
  bool measured[2] = {false, false};

  double med(int slot, double Figures::*field) const { return median_of(samples[slot], field); }
  double paced_med(int slot, double Figures::*field) const { return median_of(paced[slot], field); }
  static double median_of(const std::vector<Figures>& fs, double Figures::*field) {
    std::vector<double> v;
    for (const Figures& f : fs) v.push_back(f.*field);
    return v.empty() ? std::nan("") : bench::median(v);
  }
};

// The paced runs of `p`: at kPaced of the slower saturated rate.
void measure_paced(const bench::Args& args, Point& p, const Timing& t) {
  double slower = 0;
  for (int slot : {kWeft, kLibev}) {
    const double r = p.med(slot, &Figures::rate);
    if (!std::isnan(r) && (slower == 0 || r < slower)) slower = r;
  }
  if (slower <= 0) return;
  p.pace = kPaced * slower;
  for (int r = 0; r < args.runs; ++r) {
    for (int slot : {kWeft, kLibev}) {
      if (p.samples[slot].empty()) continue;
      const Outcome o = run_once(static_cast<Slot>(slot), p.conns, p.depth, t, p.pace);
      if (o.kind == Outcome::measured && o.figures.rate >= kKeptUp * p.pace) {
        p.paced[slot].push_back(o.figures);
      } else {
        ++p.short_paced[slot];
      }
    }
  }
}

Point measure_point(const bench::Args& args, long requested, long fd_limit, long depth_flag,
                    const Timing& t) {
  Point p;
  p.requested = requested;
  p.conns = requested;
  if (p.conns > fd_limit - kReservedFds) {
    p.conns = std::max(1L, fd_limit - kReservedFds);
    p.cap = "RLIMIT_NOFILE is " + with_commas(fd_limit) +
            " (the generator and each server need a descriptor per connection)";
  }
  for (int attempt = 0;; ++attempt) {
    p.depth = depth_flag > 0 ? static_cast<int>(depth_flag) : depth_for(p.conns);
    bool restart = false;
    for (int r = 0; r < args.runs && !restart; ++r) {
      for (int slot : {kWeft, kLibev}) {
        if (!args.only.empty() && args.only != kNames[slot]) continue;
        p.measured[slot] = true;
        const Outcome o = run_once(static_cast<Slot>(slot), p.conns, p.depth, t);
        if (o.overflows > 0) p.overflows[slot] += o.overflows;
        if (o.kind == Outcome::measured) {
          p.samples[slot].push_back(o.figures);
        } else if (o.kind == Outcome::failed) {
          std::fprintf(stderr, "bench echo: %s at %s connections: %s\n", kNames[slot],
                       with_commas(p.conns).c_str(), o.problem.c_str());
          p.problems[slot].push_back(o.problem);
        } else {
          // The generator ran short of ports or descriptors: measure both again at what it could open.
          if (o.reached < 1 || attempt >= 3) {
            fail("at %s connections: %s", with_commas(p.conns).c_str(), o.problem.c_str());
          }
          p.conns = o.reached;
          p.cap = o.problem;
          restart = true;
          break;
        }
      }
    }
    if (!restart) break;
    for (int slot : {kWeft, kLibev}) {
      p.samples[slot].clear();
      p.problems[slot].clear();
      p.overflows[slot] = 0;
    }
  }
  measure_paced(args, p, t);
  if (p.conns < p.requested) {
    std::fprintf(stderr, "bench echo: %s connections capped at %s: %s\n",
                 with_commas(p.requested).c_str(), with_commas(p.conns).c_str(), p.cap.c_str());
  }
  return p;
}

std::string bench_name(const Point& p) {
  return "echo_c" + std::to_string(p.conns) + (g_loops > 1 ? "_l" + std::to_string(g_loops) : "");
}

void print_json(const Point& p) {
  const std::string name = bench_name(p);
  const std::string cpu = name + "_cpu";
  for (int slot : {kWeft, kLibev}) {
    if (p.samples[slot].empty()) continue;
    bench::json_line(name.c_str(), kNames[slot], p.med(slot, &Figures::rate), "rt/s");
  }
  for (int slot : {kWeft, kLibev}) {
    if (p.paced[slot].empty()) continue;
    bench::json_line(cpu.c_str(), kNames[slot], p.paced_med(slot, &Figures::server_us), "us");
  }
  const std::string sat = cpu + "_saturated";
  for (int slot : {kWeft, kLibev}) {
    if (p.samples[slot].empty()) continue;
    bench::json_line(sat.c_str(), kNames[slot], p.med(slot, &Figures::server_us), "us");
  }
  std::fflush(stdout);
}

void print_table(const Point& p, int runs) {
  std::printf("%-12s TCP echo, 64 B messages, %s connection%s, %d in flight on each (median of %d runs)\n",
              bench_name(p).c_str(), with_commas(p.conns).c_str(), p.conns == 1 ? "" : "s", p.depth,
              runs);
  if (p.conns < p.requested) {
    std::printf("             capped at %s of %s connections: %s\n", with_commas(p.conns).c_str(),
                with_commas(p.requested).c_str(), p.cap.c_str());
  }
  std::printf("             %-10s %14s %16s %12s %19s %15s\n", "saturated", "round trips/s",
              "server CPU/rt", "server busy", "generator CPU/rt", "generator busy");
  for (int slot : {kWeft, kLibev}) {
    if (!p.measured[slot]) continue;
    if (p.samples[slot].empty()) {
      std::printf("             %-10s %14s\n", kNames[slot], "(no figure)");
      continue;
    }
    std::printf("             %-10s %14.4g %13.2f us %11.0f%% %16.2f us %14.0f%%\n", kNames[slot],
                p.med(slot, &Figures::rate), p.med(slot, &Figures::server_us),
                100 * p.med(slot, &Figures::server_busy), p.med(slot, &Figures::gen_us),
                100 * p.med(slot, &Figures::gen_busy));
  }
  if (!p.samples[kWeft].empty() && !p.samples[kLibev].empty()) {
    std::printf("             %-10s %14.3g %16.3g\n", "weft/libev",
                p.med(kWeft, &Figures::rate) / p.med(kLibev, &Figures::rate),
                p.med(kWeft, &Figures::server_us) / p.med(kLibev, &Figures::server_us));
  }
  if (p.pace > 0) {
    std::printf("             %-10s %14.4g %16s %12s %19s %15s   (offered: %.0f%% of the slower)\n",
                "paced", p.pace, "server CPU/rt", "server busy", "generator CPU/rt",
                "generator busy", 100 * kPaced);
    for (int slot : {kWeft, kLibev}) {
      if (p.samples[slot].empty()) continue;
      if (p.paced[slot].empty()) {
        std::printf("             %-10s %14s\n", kNames[slot], "(did not keep up)");
        continue;
      }
      std::printf("             %-10s %14.4g %13.2f us %11.0f%% %16.2f us %14.0f%%\n", kNames[slot],
                  p.paced_med(slot, &Figures::rate), p.paced_med(slot, &Figures::server_us),
                  100 * p.paced_med(slot, &Figures::server_busy),
                  p.paced_med(slot, &Figures::gen_us), 100 * p.paced_med(slot, &Figures::gen_busy));
    }
    if (!p.paced[kWeft].empty() && !p.paced[kLibev].empty()) {
      std::printf("             %-10s %14s %16.3g\n", "weft/libev", "",
                  p.paced_med(kWeft, &Figures::server_us) / p.paced_med(kLibev, &Figures::server_us));
    }
  }
  for (int slot : {kWeft, kLibev}) {
    if (!p.problems[slot].empty()) {
      std::printf("             %s: %zu of %zu runs failed: %s\n", kNames[slot], p.problems[slot].size(),
                  p.problems[slot].size() + p.samples[slot].size(), p.problems[slot].back().c_str());
    }
    if (p.short_paced[slot] > 0) {
      std::printf("             %s: %ld paced runs served less than %.0f%% of the offered rate\n",
                  kNames[slot], p.short_paced[slot], 100 * kKeptUp);
    }
    if (p.overflows[slot] > 0) {
      std::printf("             %s: the accept queue overflowed %ld times while connecting\n",
                  kNames[slot], p.overflows[slot]);
    }
  }
  std::printf("             target: weft >= 0.95x libev in round trips/s (saturated), <= 1.10x in server"
              " CPU per round trip (paced)\n\n");
  std::fflush(stdout);
}

// The whole curve in one table, for reading across N.
void print_curve(const std::vector<Point>& points) {
  std::printf("echo curve   saturated round trips/s (weft, libev, ratio) | paced server CPU us/rt"
              " (weft, libev, ratio) | of it in user space (weft, libev) | saturated generator CPU"
              " us/rt (facing weft, libev)\n");
  for (const Point& p : points) {
    const double rw = p.med(kWeft, &Figures::rate);
    const double rl = p.med(kLibev, &Figures::rate);
    const double cw = p.paced_med(kWeft, &Figures::server_us);
    const double cl = p.paced_med(kLibev, &Figures::server_us);
    std::printf("  N=%-7ld K=%-3d %10s %10s %6s | %7s %7s %6s | %6s %6s | %6s %6s%s\n", p.conns,
                p.depth, cell(rw, "%.4g").c_str(), cell(rl, "%.4g").c_str(),
                cell(rw / rl, "%.3g").c_str(), cell(cw, "%.2f").c_str(), cell(cl, "%.2f").c_str(),
                cell(cw / cl, "%.3g").c_str(),
                cell(p.paced_med(kWeft, &Figures::server_user_us), "%.3f").c_str(),
                cell(p.paced_med(kLibev, &Figures::server_user_us), "%.3f").c_str(),
                cell(p.med(kWeft, &Figures::gen_us), "%.2f").c_str(),
                cell(p.med(kLibev, &Figures::gen_us), "%.2f").c_str(),
                p.conns < p.requested ? ("  capped, asked " + with_commas(p.requested)).c_str() : "");
  }
  std::printf("\n");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  long conns_flag = 0;
  long depth_flag = 0;
  const bench::Args args =
      bench::parse(argc, argv, {{"--conns", "N", &conns_flag}, {"--depth", "K", &depth_flag},
                                {"--loops", "N", &g_loops}});
  if (depth_flag > static_cast<long>(kMaxBatch / kMessage)) {
    fail("--depth %ld: at most %zu messages (%zu bytes) fit the servers' read buffer", depth_flag,
         kMaxBatch / kMessage, kMaxBatch);
  }
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::signal(sig, on_fatal_signal);
  const long fd_limit = raise_fd_limit();  // the server children inherit it, and raise their own
  const Timing t{args.scale < 1 ? 0.1 : 0.25, args.scale < 1 ? 0.2 : 1.0};
  const std::vector<long> curve = conns_flag > 0 ? std::vector<long>{conns_flag} : kCurve;
  if (!args.json) {
    std::printf("echo: busy = CPU seconds per second (100%%: a core to itself); server CPU/rt compares"
                " the servers even when neither had one\n\n");
  }
  std::vector<Point> points;
  for (long n : curve) {
    points.push_back(measure_point(args, n, fd_limit, depth_flag, t));
    if (args.json) {
      print_json(points.back());
    } else {
      print_table(points.back(), args.runs);
    }
  }
  if (!args.json && points.size() > 1) print_curve(points);
}
