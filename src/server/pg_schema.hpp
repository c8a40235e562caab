#pragma once
// The tables of the PostgreSQL stores (jobs, their events, API keys, charges), all under
// a reel_ prefix so they can share a database with other applications.
#include "server/pg_db.hpp"

namespace reel::server::pg {

// Creates the schema if absent (idempotent; an advisory lock serialises processes that
// start at once) and refuses a database written by a newer reel (Unsupported).
void ensure_schema(Conn& conn);

}  // namespace reel::server::pg
