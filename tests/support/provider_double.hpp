#pragma once
// Starts one provider protocol test double (tests/providers/doubles/<name>_double.py) on
// a loopback port and talks to its control endpoints.
#include <string>

#include "reel/core/json.hpp"

namespace reel::testing {

class DoubleProcess {
 public:
  // `key` is the only credential the double accepts; `access_key` is the second half of a
  // provider's key pair (Kling's access key, the issuer of its signed tokens), if any.
  DoubleProcess(const std::string& provider, const std::string& key,
                const std::string& access_key = "");
  ~DoubleProcess();
  DoubleProcess(const DoubleProcess&) = delete;
  DoubleProcess& operator=(const DoubleProcess&) = delete;

  const std::string& base_url() const { return base_; }
  void configure(const Json& behaviour);  // merged into the double's behaviour
  Json state() const;                     // {"counts": {...}, "requests": [...]}
  int count(const std::string& what) const { return state()["counts"][what].get<int>(); }

 private:
  int pid_ = -1;
  std::string base_;
};

}  // namespace reel::testing
