#include "reel/batch/template.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "reel/core/error.hpp"

namespace reel::batch {
namespace {

constexpr std::size_t kMaxNameBytes = 120;

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.' || c == ' ';
}

// Calls on_text(literal) and on_column(name) along `text`; InvalidInput for a malformed
// placeholder.
template <class Text, class Column>
void scan(const std::string& text, Text on_text, Column on_column) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto open = text.find("{{", pos);
    if (open == std::string::npos) {
      on_text(std::string_view(text).substr(pos));
      return;
    }
    on_text(std::string_view(text).substr(pos, open - pos));
    auto close = text.find("}}", open + 2);
    if (close == std::string::npos)
      throw Error(ErrorKind::InvalidInput,
                  "'{{' without a closing '}}'; a placeholder is {{column}}");
    std::string name = text.substr(open + 2, close - open - 2);
    auto b = name.find_first_not_of(' ');
    auto e = name.find_last_not_of(' ');
    name = b == std::string::npos ? "" : name.substr(b, e - b + 1);
    bool ok = !name.empty();
    for (char c : name) ok = ok && name_char(c);
    if (!ok)
      throw Error(ErrorKind::InvalidInput,
                  "placeholder '{{" + text.substr(open + 2, close - open - 2) +
                      "}}' is not a column name (letters, digits, space, '_', '-', '.')");
    on_column(name);
    pos = close + 2;
  }
}

// The column of a text that is exactly one placeholder, else "".
std::string whole_placeholder(const std::string& text) {
  std::string col;
  int parts = 0;
  bool literal = false;
  scan(
      text, [&](std::string_view t) { literal = literal || !t.empty(); },
      [&](const std::string& c) {
        col = c;
        ++parts;
      });
  return parts == 1 && !literal ? col : "";
}

const std::string& cell(const Row& row, const std::string& column) {
  auto it = row.cells.find(column);
  if (it == row.cells.end())
    throw Error(ErrorKind::InvalidInput, "the row has no column '" + column + "'");
  return it->second;
}

Json number_of(const std::string& text, const std::string& column) {
  long long i = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
  if (ec == std::errc() && p == text.data() + text.size() && !text.empty()) return i;
  double d = 0;
  auto [p2, ec2] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (ec2 == std::errc() && p2 == text.data() + text.size() && !text.empty() && std::isfinite(d))
    return d;
  throw Error(ErrorKind::InvalidInput, "column '" + column + "' is '" + text.substr(0, 40) +
                                           "', not a number (e.g. 5 or 2.5)");
}

// Fills every string inside `v`; `key` is the param name at the top level ("" deeper).
void fill_json(Json& v, const std::string& key, const Row& row, const std::string& where) {
  if (v.is_string()) {
    const std::string text = v.get<std::string>();
    with_context(where, [&] {
      std::string col = whole_placeholder(text);
      if (!col.empty() && numeric_params().count(key))
        v = number_of(cell(row, col), col);
      else
        v = fill_text(text, row);
    });
  } else if (v.is_object()) {
    for (auto& [k, child] : v.items()) fill_json(child, "", row, where + "." + k);
  } else if (v.is_array()) {
    for (std::size_t i = 0; i < v.size(); ++i)
      fill_json(v[i], "", row, where + "[" + std::to_string(i) + "]");
  }
}

void columns_of(const Json& v, std::set<std::string>& out) {
  if (v.is_string())
    scan(
        v.get<std::string>(), [](std::string_view) {},
        [&](const std::string& c) { out.insert(c); });
  else if (v.is_object() || v.is_array())
    for (const auto& child : v) columns_of(child, out);
}

}  // namespace

const std::set<std::string>& numeric_params() {
  static const std::set<std::string> names = {"width", "height", "duration", "fps",
                                              "crf",   "x",      "y",        "scale"};
  return names;
}

std::set<std::string> template_columns(const pipeline::Graph& graph) {
  std::set<std::string> out;
  auto add = [&](const std::string& text, const std::string& where) {
    with_context(where, [&] {
      scan(
          text, [](std::string_view) {}, [&](const std::string& c) { out.insert(c); });
    });
  };
  add(graph.name, "name");
  for (const auto& s : graph.steps) {
    for (const auto& [slot, ref] : s.inputs) add(ref, "step '" + s.id + "', input '" + slot + "'");
    with_context("step '" + s.id + "', params", [&] { columns_of(s.params, out); });
  }
  return out;
}

std::string fill_text(const std::string& text, const Row& row) {
  std::string out;
  scan(
      text, [&](std::string_view t) { out.append(t); },
      [&](const std::string& c) { out += cell(row, c); });
  return out;
}

pipeline::Graph fill_template(const pipeline::Graph& graph, const Row& row) {
  pipeline::Graph g = graph;
  with_context("name", [&] { g.name = fill_text(graph.name, row); });
  for (auto& s : g.steps) {
    for (auto& [slot, ref] : s.inputs)
      with_context("step '" + s.id + "', input '" + slot + "'", [&] { ref = fill_text(ref, row); });
    for (auto& [key, value] : s.params.items())
      fill_json(value, key, row, "step '" + s.id + "', param '" + key + "'");
  }
  return g;
}

std::string sanitize_name(const std::string& name) {
  std::string out;
  for (std::size_t i = 0; i < name.size() && out.size() < kMaxNameBytes; ++i) {
    char c = name[i];
    bool keep = name_char(c) && c != ' ';
    if (c == '.' && i + 1 < name.size() && name[i + 1] == '.') keep = false;
    if (c == '.' && !out.empty() && out.back() == '.') keep = false;
    out.push_back(keep ? c : '_');
  }
  auto first = out.find_first_not_of('.');
  out = first == std::string::npos ? "" : out.substr(first);
  const bool has_alnum = std::any_of(out.begin(), out.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
  if (!has_alnum)
    throw Error(ErrorKind::InvalidInput, "the output name '" + name.substr(0, 60) +
                                             "' has no letter or digit for a file name; names keep "
                                             "letters, digits, '.', '_' and '-'");
  return out;
}

}  // namespace reel::batch
