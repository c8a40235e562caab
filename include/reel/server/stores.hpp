#pragma once
// Opens the job queue and the key store of one database, chosen by URL:
//   postgres://... or postgresql://...   PostgreSQL (libpq), shared by many machines
//   sqlite:PATH or a plain PATH           SQLite (WAL), one machine
#include <filesystem>
#include <memory>
#include <string>

#include "reel/server/job_store.hpp"
#include "reel/server/key_store.hpp"

namespace reel::server {

struct ServerStores {
  std::unique_ptr<JobStore> jobs;
  std::unique_ptr<KeyStore> keys;
  std::string engine;  // "sqlite" or "postgres"
};

// Throws InvalidInput for a URL of another scheme, Io when the database cannot be reached.
// Stores are thread-safe; a process that forks opens its own stores after the fork (a
// child must not use its parent's connections).
ServerStores open_server_stores(const std::string& url);

std::unique_ptr<KeyStore> open_sqlite_key_store(const std::filesystem::path& db_file);
std::unique_ptr<JobStore> open_postgres_job_store(const std::string& url);
std::unique_ptr<KeyStore> open_postgres_key_store(const std::string& url);

}  // namespace reel::server
