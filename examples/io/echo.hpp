#pragma once
// The echo example's two halves, shared by its programs, the tests and the demo.

#include <cstddef>
#include <string>
#include <vector>

#include "io/endpoint.hpp"
#include "io/socket.hpp"

namespace echo {

// Sends back every byte it receives until the peer closes.
void serve_connection(weft::Socket& s);

// Connects to `server`, sends each message, reads back as many bytes and
// returns what came back, message by message. Throws what the socket calls throw.
std::vector<std::string> round_trips(const weft::Endpoint& server,
                                     const std::vector<std::string>& messages,
                                     weft::Timeout t = weft::current);

}  // namespace echo
