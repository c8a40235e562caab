#pragma once
// A fixture that runs a store test against each engine: "sqlite" (a file in a fresh
// temporary directory) and "postgres" (a fresh database on the test binary's throwaway
// PostgreSQL server). open_jobs()/open_keys() each open a new store on the same database,
// as another process would.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>

#include "reel/server/job_store.hpp"
#include "reel/server/key_store.hpp"
#include "reel/server/stores.hpp"
#include "support/postgres_server.hpp"
#include "support/test_dirs.hpp"

namespace reel::server {

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (engine() == "postgres") {
      static std::atomic<int> counter{0};
      url_ = testing::shared_postgres_server().create_schema("t" + std::to_string(::getpid()) +
                                                             "_" + std::to_string(counter++));
    }
  }
  const std::string& engine() const { return GetParam(); }
  std::filesystem::path db_file() const { return dir_ / "store.db"; }
  // The URL open_server_stores() takes for this test's database.
  std::string url() const { return engine() == "postgres" ? url_ : "sqlite:" + db_file().string(); }

  std::unique_ptr<JobStore> open_jobs() {
    return engine() == "postgres" ? open_postgres_job_store(url_)
                                  : open_sqlite_job_store(db_file());
  }
  std::unique_ptr<KeyStore> open_keys() {
    return engine() == "postgres" ? open_postgres_key_store(url_)
                                  : open_sqlite_key_store(db_file());
  }

  testing::TempDir dir_;
  std::string url_;
};

inline auto store_engines() {
  return ::testing::Values(std::string("sqlite"), std::string("postgres"));
}

inline std::string engine_name(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

}  // namespace reel::server
