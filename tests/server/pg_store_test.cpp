// What only the PostgreSQL engine has: connection errors, a shared schema created by many
// processes at once, schema versions, and recovery from dropped connections.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <atomic>
#include <memory>
#include <thread>

#include "reel/core/error.hpp"
#include "reel/server/stores.hpp"
#include "support/postgres_server.hpp"

namespace reel::server {
namespace {

void run_sql(const std::string& url, const char* sql) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(url.c_str()), &PQfinish);
  ASSERT_EQ(PQstatus(conn.get()), CONNECTION_OK) << PQerrorMessage(conn.get());
  std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn.get(), sql), &PQclear);
  auto st = PQresultStatus(res.get());
  ASSERT_TRUE(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) << PQerrorMessage(conn.get());
}

std::string query_text(const std::string& url, const char* sql) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(url.c_str()), &PQfinish);
  std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn.get(), sql), &PQclear);
  if (PQresultStatus(res.get()) != PGRES_TUPLES_OK) return PQerrorMessage(conn.get());
  return PQgetvalue(res.get(), 0, 0);
}

std::string fresh_database(const std::string& name) {
  return testing::shared_postgres_server().create_database(name);
}

TEST(PostgresStoreTest, UnreachableServerIsAnIoErrorNamingHostAndPortButNotThePassword) {
  // Port 1 on loopback: nothing listens there.
  for (auto open : {+[](const std::string& u) { (void)open_postgres_job_store(u); },
                    +[](const std::string& u) { (void)open_postgres_key_store(u); },
                    +[](const std::string& u) { (void)open_server_stores(u); }}) {
    try {
      open("postgres://reel:hunter2secret@127.0.0.1:1/jobs");
      FAIL() << "expected Io";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Io);
      std::string what = e.what();
      EXPECT_NE(what.find("127.0.0.1:1"), std::string::npos) << what;
      EXPECT_EQ(what.find("hunter2secret"), std::string::npos) << what;
    }
  }
}

TEST(PostgresStoreTest, MalformedUrlIsInvalidInput) {
  try {
    open_postgres_job_store("postgres://reel@127.0.0.1:notaport/db?bogus_option=1");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_TRUE(e.kind() == ErrorKind::InvalidInput || e.kind() == ErrorKind::Io) << e.what();
  }
  try {
    open_postgres_job_store("postgresql://reel@127.0.0.1:5432/db?nonsense=1");
    FAIL() << "expected InvalidInput";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput) << e.what();
  }
}

TEST(PostgresStoreTest, ManyProcessesCreateTheSchemaAtOnce) {
  std::string url = fresh_database("schema_race");
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      try {
        if (i % 2)
          open_postgres_job_store(url);
        else
          open_postgres_key_store(url);
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
        ++errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  Job j;
  j.api_key_id = "k";
  EXPECT_TRUE(open_postgres_job_store(url)->enqueue(j).second);
}

TEST(PostgresStoreTest, RefusesASchemaFromANewerReel) {
  std::string url = fresh_database("schema_newer");
  open_postgres_job_store(url);
  run_sql(url, "UPDATE reel_schema SET version = 99");
  try {
    open_postgres_key_store(url);
    FAIL() << "expected Unsupported";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    EXPECT_NE(std::string(e.what()).find("99"), std::string::npos);
  }
}

TEST(PostgresStoreTest, RecoversAfterItsConnectionsAreDropped) {
  std::string url = fresh_database("reconnect");
  auto jobs = open_postgres_job_store(url);
  Job j;
  j.api_key_id = "k";
  auto id = jobs->enqueue(j).first.id;
  // What a server restart or a network cut does to the pooled connection.
  ASSERT_EQ(query_text(url,
                       "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                       "application_name = 'reel' AND datname = 'reconnect'"),
            "1");
  int failures = 0;
  std::optional<Job> got;
  for (int i = 0; i < 3 && !got; ++i) {
    try {
      got = jobs->get(id);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Io);
      ++failures;
    }
  }
  ASSERT_TRUE(got);
  EXPECT_EQ(failures, 1);  // the broken connection fails one call, then is replaced
  EXPECT_EQ(got->id, id);
}

}  // namespace
}  // namespace reel::server
