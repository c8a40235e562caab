// Chooses the database engine from a store URL (see stores.hpp).
#include "reel/server/stores.hpp"

#include <sys/stat.h>

#include <filesystem>

#include "reel/core/error.hpp"

namespace reel::server {

namespace {
bool starts_with(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}
}  // namespace

ServerStores open_server_stores(const std::string& url) {
  // Every file a server, worker or key command writes from here on (the database, the
  // artifacts and their signed copies) is its owner's only: the store holds every
  // tenant's outputs and the key hashes. Set for the process, before anything is created.
  ::umask(077);
  if (starts_with(url, "postgres://") || starts_with(url, "postgresql://"))
    return {open_postgres_job_store(url), open_postgres_key_store(url), "postgres"};
  if (url.find("://") != std::string::npos)
    throw Error(ErrorKind::InvalidInput,
                "unknown store URL '" + url + "'; allowed: postgres://..., sqlite:PATH or a path");
  std::filesystem::path file = starts_with(url, "sqlite:") ? url.substr(7) : url;
  return {open_sqlite_job_store(file), open_sqlite_key_store(file), "sqlite"};
}

}  // namespace reel::server
