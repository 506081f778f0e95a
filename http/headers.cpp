#include "http/headers.hpp"

#include <algorithm>

namespace weft::http {

namespace {

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::optional<std::string_view> Headers::get(std::string_view name) const noexcept {
  for (const Field& f : fields_) {
    if (iequals(f.first, name)) return std::string_view(f.second);
  }
  return std::nullopt;
}

bool Headers::contains_token(std::string_view name, std::string_view token) const noexcept {
  for (const Field& f : fields_) {
    if (!iequals(f.first, name)) continue;
    std::string_view v = f.second;
    while (!v.empty()) {
      const std::size_t comma = v.find(',');
      if (iequals(trim(v.substr(0, comma)), token)) return true;
      if (comma == std::string_view::npos) break;
      v.remove_prefix(comma + 1);
    }
  }
  return false;
}

void Headers::set(std::string_view name, std::string_view value) {
  remove(name);
  add(name, value);
}

void Headers::add(std::string_view name, std::string_view value) {
  fields_.emplace_back(std::string(name), std::string(value));
}

std::size_t Headers::remove(std::string_view name) noexcept {
  const auto it = std::remove_if(fields_.begin(), fields_.end(),
                                 [&](const Field& f) { return iequals(f.first, name); });
  const auto n = static_cast<std::size_t>(fields_.end() - it);
  fields_.erase(it, fields_.end());
  return n;
}

}  // namespace weft::http
