#pragma once
// Headers: the header fields of an HTTP message, in the order they came or
// were set, with names compared case-insensitively (RFC 9110, 5.1).
//
//   weft::http::Headers h;
//   h.set("Content-Type", "text/plain");
//   if (auto v = h.get("content-type")) ...   // "text/plain"

#include "weft/sched/config.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weft::http {

// True when a and b are equal but for ASCII case.
bool iequals(std::string_view a, std::string_view b) noexcept;

class Headers {
 public:
  using Field = std::pair<std::string, std::string>;

  // The value of the first field named `name`, if any.
  std::optional<std::string_view> get(std::string_view name) const noexcept;
  // True when a field named `name` exists.
  bool has(std::string_view name) const noexcept { return get(name).has_value(); }
  // True when a field `name` holds `token` in its comma-separated list,
  // ignoring case and spaces (e.g. contains_token("Connection", "close")).
  bool contains_token(std::string_view name, std::string_view token) const noexcept;
  // Replaces every field named `name` by one with `value`.
  void set(std::string_view name, std::string_view value);
  // Appends a field (a second one of the same name is kept).
  void add(std::string_view name, std::string_view value);
  // Removes every field named `name`; returns how many.
  std::size_t remove(std::string_view name) noexcept;
  void clear() noexcept { fields_.clear(); }

  std::size_t size() const noexcept { return fields_.size(); }
  bool empty() const noexcept { return fields_.empty(); }
  auto begin() const noexcept { return fields_.begin(); }
  auto end() const noexcept { return fields_.end(); }
  // The fields in order (parsers append here).
  std::vector<Field>& fields() noexcept { return fields_; }

 private:
  std::vector<Field> fields_;
};

}  // namespace weft::http
