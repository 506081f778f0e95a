#include "http/tls_transport.hpp"

#include <chrono>
#include <exception>

#include "sched/park.hpp"

namespace weft::http {

void TlsTransport::shutdown_write() noexcept {
  try {
    KillShield shield;  // a pending kill is delivered at the reader's next park, not here
    tls_->shutdown(std::chrono::nanoseconds(0));
  } catch (const std::exception&) {
    // a stream that failed, a socket that is closed or full: the TCP close ends it
  }
}

void TlsTransport::abort() noexcept { tls_->socket().close(); }

}  // namespace weft::http
