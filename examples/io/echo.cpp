#include "examples/io/echo.hpp"

namespace echo {

void serve_connection(weft::Socket& s) {
  char buf[4096];
  try {
    for (;;) {
      const std::size_t n = s.read(buf);
      if (n == 0) return;  // the peer is done
      s.write_all({buf, n});
    }
  } catch (const weft::ConnectionResetError&) {
    // the peer reset the connection: it is gone, nothing more to do
  }
}

std::vector<std::string> round_trips(const weft::Endpoint& server,
                                     const std::vector<std::string>& messages, weft::Timeout t) {
  weft::DeadlineScope deadline(t);
  weft::Socket s = weft::Socket::connect(server);
  std::vector<std::string> replies;
  for (const std::string& m : messages) {
    s.write_all(m);
    std::string back(m.size(), '\0');
    s.read_exactly(back);
    replies.push_back(std::move(back));
  }
  s.shutdown();
  char probe;
  s.read({&probe, 1});  // wait for the server to close its side: a clean end
  return replies;
}

}  // namespace echo
