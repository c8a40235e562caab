#include "support/postgres_server.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <filesystem>
#include <memory>

namespace reel::testing {
namespace {

std::string query_one(const std::string& url, const char* sql) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(url.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) return "connect failed";
  std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn.get(), sql), &PQclear);
  if (PQresultStatus(res.get()) != PGRES_TUPLES_OK) return PQerrorMessage(conn.get());
  return PQgetvalue(res.get(), 0, 0);
}

TEST(PostgresServerTest, ServesItsDatabaseAndLeavesNothingBehind) {
  std::filesystem::path dir;
  pid_t pid = -1;
  std::string url;
  {
    PostgresServer server;
    dir = server.dir();
    pid = server.pid();
    url = server.url();
    EXPECT_EQ(url, "postgres://reel@127.0.0.1:" + std::to_string(server.port()) + "/reel_test");
    EXPECT_EQ(query_one(url, "SELECT current_database()"), "reel_test");
    EXPECT_EQ(query_one(url, "SHOW server_version_num").substr(0, 2), "15");
    // The data directory belongs to the account the server runs as, never root.
    struct stat st {};
    ASSERT_EQ(::stat((dir / "data").c_str(), &st), 0);
    EXPECT_NE(st.st_uid, 0u);
    EXPECT_EQ(query_one(server.create_database("second"), "SELECT current_database()"), "second");
    EXPECT_EQ(query_one(server.create_schema("s1"), "SELECT current_schema()"), "s1");
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
  EXPECT_EQ(PQping(url.c_str()), PQPING_NO_RESPONSE);
}

}  // namespace
}  // namespace reel::testing
