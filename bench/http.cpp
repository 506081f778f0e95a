// http: HTTP/1.1 keep-alive "hello" requests at N connections (http_c<N>),
// loaded by wrk (one thread): without --conns the curve N = 64, 1,000;
// --conns N measures one N. weft's HTTP server (weft::http::serve: a tasklet
// per connection and one per request, with the http_hello example's handler)
// against the same responses from raw libev callbacks + http-parser
// (http_libev.cpp), the parser weft::http uses too. Per N: requests/s, the server's
// CPU time per request and wrk's own, and the weft/libev ratio of each; the
// median of --runs runs (3 by default), both servers alternately in the same
// run. Skipped with a message when wrk is not installed.
//
// One run: a server child process on a listening socket made here (the weft
// server allows the N connections asked for: ServerOptions::max_connections
// is raised to fit), one request of our own to learn the response's length,
// then wrk as a second child. The warm-up is not measured: it lasts until the
// server holds all N connections (wrk opens them in its first moments; at
// most kOpenLimit), then 1 s more. The window that is measured (3 s; with
// --quick 0.5 s of warm-up and 1 s measured): two samples, at its ends, of
// the server's and wrk's CPU time (/proc/<pid>/stat) and of the bytes wrk has
// read (rchar in /proc/<wrk>/io: wrk reads its sockets with read(2), and
// nothing else while it runs); responses in the window = those bytes / the
// response's length. Then wrk is stopped with SIGINT (it prints its summary).
// So the figures leave out connection set-up, and wrk's CPU per request
// beside the servers' says whether the load generator was the cheaper side
// (on two cores they share the machine: when it is not, requests/s compare
// the generator more than the servers, and the servers' CPU per request is
// the figure that holds).
//
// Connections: RLIMIT_NOFILE is raised to its hard limit here (wrk inherits
// it) and in both servers; N is capped, and the cap printed (and said on
// stderr with --json), when that cannot give every process a descriptor per
// connection. The figures are then named after the connections measured
// (http_c<capped N>). The server's open sockets are counted when the window
// starts; fewer than N connections open then is printed. wrk's socket
// errors and non-2xx responses are printed too. Every child is killed and
// reaped on every way out.

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_net.hpp"
#include "bench/bench_util.hpp"
#include "bench/echo_process.hpp"
#include "bench/libev_servers.hpp"
#include "examples/io/http_hello.hpp"
#include "http/server.hpp"
#include "tasklet/dispatch.hpp"

using echo_bench::g_child;
using echo_bench::on_fatal_signal;
using echo_bench::process_cpu_seconds;
using echo_bench::raise_fd_limit;
using echo_bench::stop_child;
using echo_bench::with_commas;

namespace {

using bench::cell;

const std::vector<long> kCurve = {64, 1000};
constexpr long kReservedFds = 64;  // descriptors a process needs besides its connections
constexpr int kDefaultRuns = 3;
constexpr double kOpenLimit = 15.0;  // seconds for wrk to open its connections before measuring anyway

enum Slot { kWeft = 0, kLibev = 1 };
const char* const kNames[] = {"weft", "libev"};

// wrk, while it runs (killed and reaped on every way out, like the server).
volatile pid_t g_wrk = -1;

void stop_wrk() {
  const pid_t pid = g_wrk;
  if (pid > 0) {
    g_wrk = -1;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
}

void on_signal(int sig) {
  const pid_t pid = g_wrk;
  if (pid > 0) ::kill(pid, SIGKILL);
  on_fatal_signal(sig);  // kills the server, then dies of `sig`
}

[[noreturn]] void fail(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
[[noreturn]] void fail(const char* fmt, ...) {
  stop_wrk();
  stop_child();
  std::fputs("bench http: ", stderr);
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stderr, fmt, ap);
  va_end(ap);
  std::fputc('\n', stderr);
  std::exit(1);
}

struct Timing {
  double warmup;   // seconds of load before the window, once every connection is open
  double measure;  // seconds measured
};

// One run's figures.
struct Figures {
  double rate = 0;         // responses per second
  double server_us = 0;    // server CPU microseconds per response
  double server_busy = 0;  // server CPU seconds per second (1: a core saturated)
  double wrk_us = 0;       // wrk's CPU microseconds per response
  double wrk_busy = 0;     // wrk's CPU seconds per second
};

// How one run went besides its figures.
struct Outcome {
  bool measured = false;
  Figures figures;
  std::string problem;      // why there is no figure
  long open_at_start = -1;  // the server's connections when the window started
  std::string wrk_errors;   // wrk's "Socket errors" / "Non-2xx" lines, if any
};

void serve_weft(int listen_fd, long conns) {
  weft::dispatch([listen_fd, conns] {
    weft::http::ServerOptions o;
    o.tcp.max_connections = std::max<std::size_t>(o.tcp.max_connections,
                                                  static_cast<std::size_t>(conns + kReservedFds));
    auto server = weft::http::serve(weft::Socket(listen_fd), http_hello::handle, o);
    server.join(weft::never);
  });
}

// Starts server `slot` in a child process on a new loopback listener (its
// address goes to `addr`); the child dies with this process.
pid_t start_server(Slot slot, long conns, sockaddr_in& addr) {
  const int lfd = bench::make_loopback_listener(addr, "http", 65535);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) fail("fork: %s", std::strerror(errno));
  if (pid == 0) {
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::signal(sig, SIG_DFL);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) std::_Exit(1);
    raise_fd_limit();
    if (slot == kWeft) {
      serve_weft(lfd, conns);
    } else {
      run_libev_http(lfd);
    }
    std::_Exit(0);
  }
  g_child = pid;
  ::close(lfd);
  return pid;
}

// Sends one GET / to the server and returns the length of its response (a
// 200 with a Content-Length); 0 with `problem` set when it did not answer so.
std::size_t probe(const sockaddr_in& addr, std::string& problem) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    problem = std::string("socket: ") + std::strerror(errno);
    return 0;
  }
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::string got;
  const std::string req = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  std::size_t want = 0;
  // The server may still be starting: retry the connection for a while.
  int rc = -1;
  for (int i = 0; i < 500 && rc != 0; ++i) {
    rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    if (rc != 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (rc != 0 || ::write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    problem = std::string("the first request: ") + std::strerror(errno);
    ::close(fd);
    return 0;
  }
  char buf[1024];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
    const auto end = got.find("\r\n\r\n");
    if (end == std::string::npos) continue;
    const auto cl = got.find("Content-Length: ");
    if (cl == std::string::npos || cl > end) break;
    want = end + 4 + std::strtoul(got.c_str() + cl + 16, nullptr, 10);
    if (got.size() >= want) break;
  }
  ::close(fd);
  if (want == 0 || got.size() != want || got.compare(0, 12, "HTTP/1.1 200") != 0) {
    problem = "the first request got no 200 response with a Content-Length (" +
              std::to_string(got.size()) + " bytes)";
    return 0;
  }
  return want;
}

// Bytes `pid` has read with read(2) and kin so far (rchar in /proc/<pid>/io; -1 if unreadable).
long read_bytes(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/io");
  std::string key;
  long v = -1;
  while (f >> key >> v) {
    if (key == "rchar:") return v;
  }
  return -1;
}

// Sockets `pid` has open besides one listener (the /proc/<pid>/fd entries
// that are sockets, less one); -1 when unreadable.
long open_connections(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return -1;
  long n = 0;
  char target[64];
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const ssize_t len = ::readlink((dir + "/" + e->d_name).c_str(), target, sizeof target - 1);
    n += len > 7 && std::strncmp(target, "socket:", 7) == 0;
  }
  ::closedir(d);
  return n - 1;
}

// Starts wrk against `addr` for `seconds` with `conns` connections, its
// output to a pipe whose read end goes to `out_fd`.
pid_t start_wrk(const sockaddr_in& addr, long conns, long seconds, int& out_fd) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) fail("pipe2: %s", std::strerror(errno));
  const std::string c = "-c" + std::to_string(conns);
  const std::string d = "-d" + std::to_string(seconds) + "s";
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/";
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) fail("fork: %s", std::strerror(errno));
  if (pid == 0) {
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::signal(sig, SIG_DFL);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) std::_Exit(1);
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    ::execlp("wrk", "wrk", "-t1", c.c_str(), d.c_str(), "--timeout", "10s", url.c_str(),
             static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  g_wrk = pid;
  ::close(fds[1]);
  out_fd = fds[0];
  return pid;
}

// What wrk printed (read once it has ended; its output is small).
std::string read_all(int fd) {
  std::string s;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return s;
}

// wrk's lines about failures ("Socket errors: ...", "Non-2xx or 3xx responses: ..."), joined.
std::string wrk_errors(const std::string& out) {
  std::string e;
  std::size_t at = 0;
  while (at < out.size()) {
    const auto nl = out.find('\n', at);
    std::string line = out.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
    at = nl == std::string::npos ? out.size() : nl + 1;
    line.erase(0, line.find_first_not_of(' '));
    if (line.rfind("Socket errors", 0) == 0 || line.rfind("Non-2xx", 0) == 0) {
      e += (e.empty() ? "" : "; ") + line;
    }
  }
  return e;
}

void sleep_seconds(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

struct Sample {
  double server_cpu;
  double wrk_cpu;
  long wrk_read;
  std::chrono::steady_clock::time_point at;
};

Sample sample(pid_t server, pid_t wrk) {
  return {process_cpu_seconds(server), process_cpu_seconds(wrk), read_bytes(wrk),
          std::chrono::steady_clock::now()};
}

// Stops wrk as Ctrl-C would (it prints its summary and exits), SIGKILL if it
// has not ended 10 s later; returns its wait status.
int stop_wrk_gently(pid_t wrk) {
  ::kill(wrk, SIGINT);
  int status = 0;
  for (int i = 0; i < 1000; ++i) {
    if (::waitpid(wrk, &status, WNOHANG) == wrk) {
      g_wrk = -1;
      return status;
    }
    sleep_seconds(0.01);
  }
  stop_wrk();
  return SIGKILL;  // (a "killed by SIGKILL" status)
}

Outcome run_once(Slot slot, long conns, const Timing& t) {
  Outcome out;
  sockaddr_in addr;
  const pid_t server = start_server(slot, conns, addr);
  const std::size_t response = probe(addr, out.problem);
  if (response == 0) {
    stop_child();
    return out;
  }
  int wrk_out = -1;
  // wrk runs until it is stopped after the window; -d only bounds it.
  const pid_t wrk = start_wrk(addr, conns, static_cast<long>(kOpenLimit + t.warmup + t.measure) + 10,
                              wrk_out);
  // Warm-up: until the server holds every connection (or kOpenLimit), then t.warmup more.
  const auto start = std::chrono::steady_clock::now();
  while (bench::seconds_since(start) < kOpenLimit && open_connections(server) < conns &&
         ::waitpid(wrk, nullptr, WNOHANG) == 0) {
    sleep_seconds(0.05);
  }
  sleep_seconds(t.warmup);
  out.open_at_start = open_connections(server);
  const Sample a = sample(server, wrk);
  sleep_seconds(t.measure);
  const Sample b = sample(server, wrk);
  const int status = stop_wrk_gently(wrk);
  const std::string printed = read_all(wrk_out);
  int server_status = 0;
  const bool server_died = ::waitpid(server, &server_status, WNOHANG) == server;
  if (server_died) g_child = -1;
  stop_child();
  if (server_died) {
    out.problem = "the server ended during the run (status " + std::to_string(server_status) + ")";
    return out;
  }
  out.wrk_errors = wrk_errors(printed);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    out.problem = "wrk failed (status " + std::to_string(status) + "): " + printed.substr(0, 300);
    return out;
  }
  const double secs = std::chrono::duration<double>(b.at - a.at).count();
  if (a.wrk_read < 0 || b.wrk_read < 0) {
    out.problem = "cannot read /proc/<wrk>/io";
    return out;
  }
  const double responses = static_cast<double>(b.wrk_read - a.wrk_read) / static_cast<double>(response);
  if (responses < 1) {
    out.problem = "no response in the measured window";
    return out;
  }
  const double server_cpu = b.server_cpu - a.server_cpu;
  const double wrk_cpu = b.wrk_cpu - a.wrk_cpu;
  out.figures = {responses / secs, server_cpu * 1e6 / responses, server_cpu / secs,
                 wrk_cpu * 1e6 / responses, wrk_cpu / secs};
  out.measured = true;
  return out;
}

// Everything measured at one N.
struct Point {
  long requested = 0;
  long conns = 0;  // what was measured (below `requested` when capped)
  std::string cap;
  std::vector<Figures> samples[2];
  std::vector<std::string> problems[2];
  std::vector<std::string> errors[2];  // wrk's failure lines, one per run that had any
  long fewest_open[2] = {-1, -1};      // the fewest server connections open when a window started
  bool measured[2] = {false, false};

  double med(int slot, double Figures::*field) const {
    std::vector<double> v;
    for (const Figures& f : samples[slot]) v.push_back(f.*field);
    return v.empty() ? std::nan("") : bench::median(v);
  }
};

Point measure_point(const bench::Args& args, long requested, long fd_limit, const Timing& t) {
  Point p;
  p.requested = requested;
  p.conns = requested;
  if (p.conns > fd_limit - kReservedFds) {
    p.conns = std::max(1L, fd_limit - kReservedFds);
    p.cap = "RLIMIT_NOFILE is " + with_commas(fd_limit) +
            " (wrk and each server need a descriptor per connection)";
    std::fprintf(stderr, "bench http: %s connections capped at %s: %s\n",
                 with_commas(p.requested).c_str(), with_commas(p.conns).c_str(), p.cap.c_str());
  }
  for (int r = 0; r < args.runs; ++r) {
    for (int slot : {kWeft, kLibev}) {
      if (!args.only.empty() && args.only != kNames[slot]) continue;
      p.measured[slot] = true;
      const Outcome o = run_once(static_cast<Slot>(slot), p.conns, t);
      if (!o.wrk_errors.empty()) p.errors[slot].push_back(o.wrk_errors);
      if (o.measured) {
        p.samples[slot].push_back(o.figures);
        if (o.open_at_start >= 0 && (p.fewest_open[slot] < 0 || o.open_at_start < p.fewest_open[slot])) {
          p.fewest_open[slot] = o.open_at_start;
        }
      } else {
        std::fprintf(stderr, "bench http: %s at %s connections: %s\n", kNames[slot],
                     with_commas(p.conns).c_str(), o.problem.c_str());
        p.problems[slot].push_back(o.problem);
      }
    }
  }
  return p;
}

std::string bench_name(const Point& p) { return "http_c" + std::to_string(p.conns); }

void print_json(const Point& p) {
  const std::string name = bench_name(p);
  const std::string cpu = name + "_cpu";
  for (int slot : {kWeft, kLibev}) {
    if (!p.samples[slot].empty()) {
      bench::json_line(name.c_str(), kNames[slot], p.med(slot, &Figures::rate), "requests/s");
    }
  }
  for (int slot : {kWeft, kLibev}) {
    if (!p.samples[slot].empty()) {
      bench::json_line(cpu.c_str(), kNames[slot], p.med(slot, &Figures::server_us), "us");
    }
  }
  std::fflush(stdout);
}

void print_table(const Point& p, int runs, const Timing& t) {
  std::printf("%-12s HTTP/1.1 keep-alive hello, wrk -t1, %s connection%s (median of %d runs; %.3g s"
              " measured, from %.3g s after all were open)\n",
              bench_name(p).c_str(), with_commas(p.conns).c_str(), p.conns == 1 ? "" : "s", runs,
              t.measure, t.warmup);
  if (p.conns < p.requested) {
    std::printf("             capped at %s of %s connections: %s\n", with_commas(p.conns).c_str(),
                with_commas(p.requested).c_str(), p.cap.c_str());
  }
  std::printf("             %-8s %14s %16s %12s %16s %12s\n", "", "requests/s", "server CPU/req",
              "server busy", "wrk CPU/req", "wrk busy");
  for (int slot : {kWeft, kLibev}) {
    if (!p.measured[slot]) continue;
    if (p.samples[slot].empty()) {
      std::printf("             %-8s %14s\n", kNames[slot], "(no figure)");
      continue;
    }
    std::printf("             %-8s %14.4g %13.2f us %11.0f%% %13.2f us %11.0f%%\n", kNames[slot],
                p.med(slot, &Figures::rate), p.med(slot, &Figures::server_us),
                100 * p.med(slot, &Figures::server_busy), p.med(slot, &Figures::wrk_us),
                100 * p.med(slot, &Figures::wrk_busy));
  }
  if (!p.samples[kWeft].empty() && !p.samples[kLibev].empty()) {
    std::printf("             %-8s %14.3g %16.3g %12s %16.3g\n", "weft/libev",
                p.med(kWeft, &Figures::rate) / p.med(kLibev, &Figures::rate),
                p.med(kWeft, &Figures::server_us) / p.med(kLibev, &Figures::server_us), "",
                p.med(kWeft, &Figures::wrk_us) / p.med(kLibev, &Figures::wrk_us));
  }
  for (int slot : {kWeft, kLibev}) {
    if (p.fewest_open[slot] >= 0 && p.fewest_open[slot] < p.conns) {
      std::printf("             %s: only about %s connections were open when a window started\n",
                  kNames[slot], with_commas(p.fewest_open[slot]).c_str());
    }
    if (!p.problems[slot].empty()) {
      std::printf("             %s: %zu of %zu runs failed: %s\n", kNames[slot], p.problems[slot].size(),
                  p.problems[slot].size() + p.samples[slot].size(), p.problems[slot].back().c_str());
    }
    if (!p.errors[slot].empty()) {
      std::printf("             %s: wrk reported in %zu run(s): %s\n", kNames[slot],
                  p.errors[slot].size(), p.errors[slot].back().c_str());
    }
  }
  std::printf("             target: requests/s >= 0.95x libev + http-parser (DESIGN.md section 9)\n\n");
  std::fflush(stdout);
}

// The whole curve in one table, for reading across N.
void print_curve(const std::vector<Point>& points) {
  std::printf("http curve   requests/s (weft, libev, ratio) | server CPU us/req (weft, libev, ratio)"
              " | wrk CPU us/req (facing weft, libev)\n");
  for (const Point& p : points) {
    const double rw = p.med(kWeft, &Figures::rate);
    const double rl = p.med(kLibev, &Figures::rate);
    const double cw = p.med(kWeft, &Figures::server_us);
    const double cl = p.med(kLibev, &Figures::server_us);
    std::printf("  N=%-7ld %10s %10s %6s | %7s %7s %6s | %6s %6s%s\n", p.conns, cell(rw, "%.4g").c_str(),
                cell(rl, "%.4g").c_str(), cell(rw / rl, "%.3g").c_str(), cell(cw, "%.2f").c_str(),
                cell(cl, "%.2f").c_str(), cell(cw / cl, "%.3g").c_str(),
                cell(p.med(kWeft, &Figures::wrk_us), "%.2f").c_str(),
                cell(p.med(kLibev, &Figures::wrk_us), "%.2f").c_str(),
                p.conns < p.requested ? ("  capped, asked " + with_commas(p.requested)).c_str() : "");
  }
  std::printf("\n");
  std::fflush(stdout);
}

bool has_flag(int argc, char** argv, const char* flag) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], flag) == 0) return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  long conns_flag = 0;
  bench::Args args = bench::parse(argc, argv, {{"--conns", "N", &conns_flag}});
  if (!has_flag(argc, argv, "--runs")) args.runs = kDefaultRuns;
  if (std::system("command -v wrk >/dev/null 2>&1") != 0) {
    if (!args.json) std::printf("http     skipped: wrk is not installed (apt-get install wrk)\n\n");
    return 0;
  }
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::signal(sig, on_signal);
  const long fd_limit = raise_fd_limit();  // wrk and the server children inherit it
  const std::vector<long> curve = conns_flag > 0 ? std::vector<long>{conns_flag} : kCurve;
  if (!args.json) {
    std::printf("http: busy = CPU seconds per second (100%%: a core to itself); server CPU/req compares"
                " the servers even when neither had one\n\n");
  }
  std::vector<Point> points;
  for (long n : curve) {
    const Timing t{args.scale < 1 ? 0.5 : 1.0, args.scale < 1 ? 1.0 : 3.0};
    points.push_back(measure_point(args, n, fd_limit, t));
    if (args.json) {
      print_json(points.back());
    } else {
      print_table(points.back(), args.runs, t);
    }
  }
  if (!args.json && points.size() > 1) print_curve(points);
}
