// The codec trait: built-in types round-trip, and bytes that do not decode as
// the type asked for throw DecodeError saying why.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "remote/codec.hpp"
#include "tests/support/weft_test.hpp"

using weft::remote::decode;
using weft::remote::DecodeError;
using weft::remote::encode;
using weft_test::contains;

namespace {

struct Point {
  int x = 0;
  std::string label;
  std::optional<double> weight;
  auto tie() { return std::tie(x, label, weight); }
  bool operator==(const Point&) const = default;
};

struct Named {
  static constexpr const char* wire_name = "shop.Order";
};

enum class Color : std::uint8_t { red = 1, blue = 7 };

template <class T>
T round_trip(const T& v) {
  return decode<T>(encode(v));
}

std::string decode_error_of(auto f) {
  try {
    f();
  } catch (const DecodeError& e) {
    return e.what();
  }
  return "(no DecodeError)";
}

}  // namespace

TEST_SUITE("remote") {

TEST_CASE("codec: arithmetic types, strings and enums round-trip") {
  CHECK(round_trip(true) == true);
  CHECK(round_trip(false) == false);
  CHECK(round_trip(-5) == -5);
  CHECK(round_trip(std::int64_t{INT64_MIN}) == INT64_MIN);
  CHECK(round_trip(std::uint64_t{UINT64_MAX}) == UINT64_MAX);
  CHECK(round_trip(std::uint8_t{255}) == 255);
  CHECK(round_trip(2.5) == 2.5);
  CHECK(round_trip(1.5f) == 1.5f);
  CHECK(round_trip(std::string("héllo\0x", 8)) == std::string("héllo\0x", 8));
  CHECK(round_trip(Color::blue) == Color::blue);
}

TEST_CASE("codec: vectors, maps, optionals, tuples, pairs and tie() structs round-trip") {
  CHECK(round_trip(std::vector<int>{1, 2, 3}) == std::vector<int>{1, 2, 3});
  CHECK(round_trip(std::vector<std::string>{}).empty());
  const std::map<std::string, std::vector<int>> m{{"a", {1}}, {"b", {}}, {"c", {2, 3}}};
  CHECK(round_trip(m) == m);
  const std::unordered_map<int, std::string> u{{1, "one"}, {2, "two"}};
  CHECK(round_trip(u) == u);
  CHECK(round_trip(std::optional<int>{}) == std::nullopt);
  CHECK(round_trip(std::optional<int>{4}) == 4);
  const std::tuple<int, std::string, bool> t{7, "seven", true};
  CHECK(round_trip(t) == t);
  CHECK(round_trip(std::pair<int, double>{1, 0.5}) == std::pair<int, double>{1, 0.5});
  const std::vector<Point> points{{1, "a", 0.5}, {2, "b", std::nullopt}};
  CHECK(round_trip(points) == points);
}

TEST_CASE("codec: the layout is plain MessagePack (docs/remote.md)") {
  // [1, "a", nil] as another language writes it: fixarray 3, 1, fixstr "a", nil.
  CHECK(encode(Point{1, "a", std::nullopt}) == std::string("\x93\x01\xa1" "a" "\xc0", 5));
  CHECK(decode<Point>(std::string("\x93\x01\xa1" "a" "\xc0", 5)) == Point{1, "a", std::nullopt});
}

TEST_CASE("codec: a value of another kind, out of range or cut short is a DecodeError naming why") {
  CHECK(contains(decode_error_of([] { decode<int>(encode(std::string("x"))); }),
                 "expected an integer, found a string"));
  CHECK(contains(decode_error_of([] { decode<std::uint8_t>(encode(300)); }), "300 is out of range of unsigned char"));
  CHECK(contains(decode_error_of([] { decode<std::uint32_t>(encode(-1)); }), "expected an unsigned integer, found -1"));
  CHECK(contains(decode_error_of([] { decode<Point>(encode(std::tuple<int>{1})); }),
                 "expected an array of 3 items, found 1"));
  CHECK(contains(decode_error_of([] { decode<int>(std::string("\xc1")); }), "not MessagePack"));
  CHECK(contains(decode_error_of([] { decode<std::string>(std::string("\x92\xa1", 2)); }), "not MessagePack"));
  // Headers that claim more than the bytes hold: refused, not allocated.
  CHECK(contains(decode_error_of([] { decode<std::vector<int>>(std::string("\xdd\xff\xff\xff\xff", 5)); }),
                 "not MessagePack"));
  CHECK(contains(decode_error_of([] { decode<std::map<int, int>>(std::string("\xdf\xff\xff\xff\xff", 5)); }),
                 "not MessagePack"));
  CHECK(contains(decode_error_of([] { decode<std::vector<int>>(std::string(300, '\x91')); }), "not MessagePack"));
  CHECK(contains(decode_error_of([] { decode<std::vector<int>>(encode(std::map<int, int>{{1, 2}})); }),
                 "expected an array, found a map"));
}

TEST_CASE("codec: wire names: a type's own, else its C++ name") {
  CHECK(weft::remote::wire_name<Named>() == "shop.Order");
  CHECK(weft::remote::wire_name<int>() == "int");
  CHECK(weft::remote::wire_name<std::string>() == "std::string");
}

}  // TEST_SUITE
