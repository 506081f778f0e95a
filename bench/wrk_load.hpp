// What the benchmarks loaded by wrk share (http, https): a server child per
// run on a listening socket made here, wrk as a second child, a measured
// window after a warm-up, both servers alternately, medians, and the output.
//
// One run: the benchmark's `start` forks the server (fork_server) and says
// which URL wrk loads and how responses are counted; then wrk runs (one
// thread, `--timeout 10s`, the benchmark's extra headers). The warm-up is not
// measured: it lasts until the server holds all N connections (wrk opens
// them in its first moments; at most kOpenLimit) -- or, when every
// connection closes after one response (`churn`), until the first responses
// are counted -- then Timing::warmup more. The measured window: two samples,
// at its ends, of the server's and wrk's CPU time (/proc/<pid>/stat) and of
// the responses counted; then wrk is stopped with SIGINT (it prints its
// summary, whose failure lines are kept). So the figures leave out the
// start, and wrk's CPU per response beside the servers' says whether the
// load generator was the cheaper side (on two cores they share the machine:
// when it is not, requests/s compare the generator more than the servers,
// and the servers' CPU per request is the figure that holds).
//
// Connections: RLIMIT_NOFILE is raised to its hard limit (raise_fd_limit;
// wrk and the servers inherit it); N is capped, and the cap printed (and
// said on stderr), when that cannot give every process a descriptor per
// connection. Every child is killed and reaped on every way out.
#pragma once

#include <netinet/in.h>
#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "bench/bench_util.hpp"

namespace wrk_load {

enum Slot { kWeft = 0, kLibev = 1 };
inline const char* const kNames[] = {"weft", "libev"};

constexpr long kReservedFds = 64;  // descriptors a process needs besides its connections

struct Timing {
  double warmup;   // seconds of load before the window, once the warm-up condition held
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

// A server started for one run.
struct Started {
  pid_t pid = -1;    // the server child (fork_server); -1 with `problem` set when it failed
  std::string url;   // what wrk loads
  // Responses so far, given wrk's pid (read at the window's ends).
  std::function<double(pid_t wrk)> responses;
  std::string problem;
};

// What a benchmark hands the driver.
struct Load {
  std::string name;                 // "http": messages and bench names (<name>_c<N>)
  std::string suffix;               // after the connections in bench names ("_close")
  std::vector<std::string> headers; // extra request headers, each a wrk -H
  bool churn = false;               // a connection per response: see the warm-up above
  std::string what;                 // the table's title ("HTTP/1.1 keep-alive hello")
  std::string target;               // the goal, in words, for the table
  // Starts server `slot` for `conns` connections.
  std::function<Started(Slot slot, long conns)> start;
};

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

  double med(int slot, double Figures::*field) const;
};

// Prints the message, prefixed with "bench <name>: ", kills the children and exits 1.
[[noreturn]] void fail(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Whether wrk is installed.
bool have_wrk();
// Names the benchmark in messages, raises RLIMIT_NOFILE and routes SIGINT,
// SIGTERM and SIGHUP through killing the children. Returns the fd limit.
long setup(const std::string& name);
// Forks the server child on a new loopback listener (its address goes to
// `addr`): `serve(listen_fd)` runs there until it is killed; the child dies
// with this process. Returns its pid (also the child stop_child() kills).
pid_t fork_server(sockaddr_in& addr, const std::function<void(int listen_fd)>& serve);
// Server sockets of `pid` besides one listener (-1 when unreadable).
long open_connections(pid_t pid);

// Measures `load` at `requested` connections, --runs times each, alternately.
Point measure_point(const bench::Args& args, const Load& load, long requested, long fd_limit,
                    const Timing& t);
// "<name>_c<N><suffix>".
std::string bench_name(const Load& load, const Point& p);
// The JSON lines: <bench> (requests/s) and <bench>_cpu (us), each impl.
void print_json(const Load& load, const Point& p);
// The table of one point.
void print_table(const Load& load, const Point& p, int runs, const Timing& t);

}  // namespace wrk_load
