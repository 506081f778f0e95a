// The raw libev servers that are the floor of the network benchmarks share
// their main loop: accept on a non-blocking listening socket, run forever.
#pragma once

#include <ev.h>
#include <fcntl.h>

namespace bench {

// Runs the default libev loop with `on_accept` watching `listen_fd` until
// the process is killed.
inline int run_libev_acceptor(int listen_fd, void (*on_accept)(struct ev_loop*, ev_io*, int)) {
  ::fcntl(listen_fd, F_SETFL, ::fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
  struct ev_loop* loop = ev_default_loop(EVFLAG_AUTO);
  ev_io acceptor;
  ev_io_init(&acceptor, on_accept, listen_fd, EV_READ);
  ev_io_start(loop, &acceptor);
  ev_run(loop, 0);
  return 0;
}

}  // namespace bench
