// Connection::connect_https() in a build without OpenSSL: https is refused.
#include <stdexcept>
#include <string>

#include "http/client.hpp"

namespace weft::http {

Connection Connection::connect_https(std::string_view host, std::uint16_t port, ClientOptions) {
  throw std::invalid_argument("weft: https to " + std::string(host) + ":" + std::to_string(port) +
                              " needs TLS, and this weft was built without OpenSSL");
}

}  // namespace weft::http
