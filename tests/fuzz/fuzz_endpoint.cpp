// Fuzz target: Endpoint::parse on arbitrary bytes.
//
// What must hold for every input (endpoint.hpp's contract):
//  - parse either returns an endpoint or throws std::invalid_argument (any
//    other exception, a crash or a sanitizer report is a finding);
//  - an accepted text holds a NUL byte only inside an abstract Unix name
//    ("unix:@...", taken byte for byte as the kernel does); anywhere else a
//    NUL would cut the address short where C strings are used;
//  - what it returns is not empty, and prints as a text that parses back to
//    an equal endpoint, which prints the same again (parse(to_string()) is
//    the identity on what parse accepts);
//  - its system form copies back to an equal endpoint (from_sockaddr);
//  - an IP endpoint rebuilds from its parts (Endpoint::ip(address(), port())).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include "io/endpoint.hpp"

namespace {

[[noreturn]] void fail(std::string_view input, const std::string& what) {
  std::string shown;
  for (unsigned char c : input) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      shown += static_cast<char>(c);
    } else {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\x%02x", c);
      shown += esc;
    }
  }
  std::fprintf(stderr, "fuzz_endpoint: input \"%s\": %s\n", shown.c_str(), what.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  weft::Endpoint e;
  try {
    e = weft::Endpoint::parse(text);
  } catch (const std::invalid_argument&) {
    return 0;  // refused: fine, whatever the input
  }
  const bool abstract = text.substr(0, 6) == "unix:@";
  if (!abstract && text.find('\0') != std::string_view::npos) {
    fail(text, "accepted a text holding a NUL byte outside an abstract Unix name");
  }
  if (e.empty()) fail(text, "parsed as the empty endpoint");

  const std::string printed = e.to_string();
  weft::Endpoint again;
  try {
    again = weft::Endpoint::parse(printed);
  } catch (const std::invalid_argument& err) {
    fail(text, "to_string() gives \"" + printed + "\", which does not parse back: " + err.what());
  }
  if (!(again == e)) fail(text, "to_string() \"" + printed + "\" parses back to another endpoint");
  if (again.to_string() != printed) {
    fail(text, "\"" + printed + "\" prints back as \"" + again.to_string() + "\"");
  }

  try {
    if (!(weft::Endpoint::from_sockaddr(e.data(), e.size()) == e)) {
      fail(text, "from_sockaddr of its own system form differs");
    }
  } catch (const std::invalid_argument& err) {
    fail(text, std::string("from_sockaddr refuses its own system form: ") + err.what());
  }

  if (e.family() == weft::Endpoint::Family::ipv4 || e.family() == weft::Endpoint::Family::ipv6) {
    try {
      if (!(weft::Endpoint::ip(e.address(), e.port()) == e)) {
        fail(text, "Endpoint::ip(address(), port()) differs");
      }
    } catch (const std::invalid_argument& err) {
      fail(text, "Endpoint::ip refuses its own address \"" + e.address() + "\": " + err.what());
    }
  }
  return 0;
}
