// The raw libev callback servers, the floor of the echo and http benchmarks:
// each serves `listen_fd` until the process is killed.
#pragma once

int run_libev_echo(int listen_fd);  // echo_libev.cpp
int run_libev_http(int listen_fd);  // http_libev.cpp (needs http-parser)
