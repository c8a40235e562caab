#include "support/provider_double.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>

#include "providers/curl_http.hpp"

namespace reel::testing {

DoubleProcess::DoubleProcess(const std::string& provider, const std::string& key,
                             const std::string& access_key) {
  const std::string script =
      std::string(REEL_SOURCE_DIR) + "/tests/providers/doubles/" + provider + "_double.py";
  int out[2];
  if (::pipe(out) != 0) throw std::runtime_error("pipe");
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(out[1], 1);
    ::close(out[0]);
    ::close(out[1]);
    ::setenv("DOUBLE_KEY", key.c_str(), 1);
    ::setenv("DOUBLE_ACCESS_KEY", access_key.c_str(), 1);
    ::execl("/usr/bin/python3", "python3", script.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  std::string line;
  char c;
  while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
  ::close(out[0]);
  if (line.empty()) throw std::runtime_error("the " + provider + " double did not start");
  base_ = "http://127.0.0.1:" + line;
}

DoubleProcess::~DoubleProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
}

void DoubleProcess::configure(const Json& behaviour) {
  providers::CurlHttp http;
  auto r = http.send({"POST", base_ + "/_double/config", {}, behaviour.dump()}, {});
  if (r.status != 200) throw std::runtime_error("double config: HTTP " + std::to_string(r.status));
}

Json DoubleProcess::state() const {
  providers::CurlHttp http;
  auto r = http.send({"GET", base_ + "/_double/state", {}, ""}, {});
  return Json::parse(r.body);
}

}  // namespace reel::testing
