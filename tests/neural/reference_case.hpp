#pragma once
// Shared by the reference parity tests: runs the project's independent Python reference
// (tests/reference/make_case.py) to write a tiny Wan case, runs build/bin/reel-neural on it,
// and compares tensors read back with reel's own safetensors reader.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "reel/neural/safetensors.hpp"
#include "support/test_dirs.hpp"

namespace reel::neural::reference {

// Debian's python3 (numpy + torch 1.13); the pyenv python3 first on PATH has neither.
inline std::string python() {
  const char* env = std::getenv("REEL_REFERENCE_PYTHON");
  return env != nullptr ? env : "/usr/bin/python3";
}

inline std::string quote(const std::filesystem::path& p) {
  return "'" + p.string() + "'";
}

inline std::filesystem::path reel_neural() {
  return std::filesystem::path(REEL_BINARY_DIR) / "bin" / "reel-neural";
}

// Writes a case into `dir`; `args` e.g. "--kind t2v --aliases". Fails the test on error.
inline void make_case(const std::filesystem::path& dir, const std::string& args) {
  const std::string cmd =
      python() + " " +
      quote(std::filesystem::path(REEL_SOURCE_DIR) / "tests" / "reference" / "make_case.py") +
      " --out " + quote(dir) + " " + args;
  const auto r = reel::testing::run_command(cmd, true);
  ASSERT_EQ(r.status, 0) << cmd << "\n" << r.output;
}

// Runs `reel-neural <command> <args>`; fails the test (with its output) on a non-zero exit.
inline void run_reel_neural(const std::string& command, const std::string& args) {
  const std::string cmd = quote(reel_neural()) + " " + command + " " + args;
  const auto r = reel::testing::run_command(cmd, true);
  ASSERT_EQ(r.status, 0) << cmd << "\n" << r.output;
}

struct Tensor {
  std::vector<std::int64_t> shape;
  std::vector<float> values;
};

inline Tensor load(const std::filesystem::path& file, const std::string& name) {
  auto f = SafetensorsFile::open(file);
  const TensorInfo* info = f.find(name);
  if (info == nullptr) {
    ADD_FAILURE() << file << " has no tensor " << name;
    return {};
  }
  return {info->shape, f.to_f32(*info)};
}

inline std::vector<std::string> names_with_prefix(const std::filesystem::path& file,
                                                  const std::string& prefix) {
  std::vector<std::string> out;
  const auto f = SafetensorsFile::open(file);
  for (const auto& t : f.tensors()) {
    if (t.name.rfind(prefix, 0) == 0) out.push_back(t.name);
  }
  return out;
}

// Max |a - b|; shapes must agree (a mismatch is a failure and returns +inf).
inline double max_abs_diff(const Tensor& a, const Tensor& b) {
  if (a.shape != b.shape || a.values.size() != b.values.size() || a.values.empty()) {
    ADD_FAILURE() << "shape mismatch or empty tensor";
    return INFINITY;
  }
  double m = 0.0;
  for (std::size_t i = 0; i < a.values.size(); ++i) {
    const double d = std::fabs(static_cast<double>(a.values[i]) - b.values[i]);
    if (std::isnan(d)) return INFINITY;
    m = std::max(m, d);
  }
  return m;
}

inline double max_abs(const Tensor& a) {
  double m = 0.0;
  for (float v : a.values) m = std::max(m, static_cast<double>(std::fabs(v)));
  return m;
}

}  // namespace reel::neural::reference
