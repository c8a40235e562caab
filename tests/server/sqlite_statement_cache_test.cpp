// The SQLite stores reuse prepared statements (sqlite::Db::take / give_back): a reused
// statement must behave like a fresh one — no stale bindings, no half-read rows — and two
// live uses of the same SQL must not share one statement.
#include <gtest/gtest.h>

#include "server/sqlite_db.hpp"
#include "support/test_dirs.hpp"

namespace reel::server::sqlite {
namespace {

constexpr const char* kByName = "SELECT value FROM kv WHERE name = ?1";

struct StatementCache : ::testing::Test {
  reel::testing::TempDir dir;
  Db db{dir / "cache.db"};
  void SetUp() override {
    db.exec("CREATE TABLE kv (name TEXT PRIMARY KEY, value INTEGER)");
    db.exec("INSERT INTO kv VALUES ('a', 1), ('b', 2), ('c', 3)");
  }
  std::int64_t value_of(const std::string& name) {
    Stmt st(db, kByName);
    st.bind(1, name);
    return st.step() ? st.int64(0) : -1;
  }
};

TEST_F(StatementCache, AReusedStatementStartsClean) {
  EXPECT_EQ(value_of("a"), 1);
  EXPECT_EQ(db.idle_statements(), 1u);
  EXPECT_EQ(value_of("b"), 2);  // the same statement, rebound
  EXPECT_EQ(db.idle_statements(), 1u);
  {
    // Reused without a bind: the old 'b' binding is gone, so ?1 is NULL and nothing matches.
    Stmt st(db, kByName);
    EXPECT_EQ(db.idle_statements(), 0u);
    EXPECT_FALSE(st.step());
  }
  {
    // Given back mid-iteration, then reused: it starts again from the first row.
    Stmt all(db, "SELECT name FROM kv ORDER BY name");
    ASSERT_TRUE(all.step());
    EXPECT_EQ(all.text(0), "a");
  }
  Stmt all(db, "SELECT name FROM kv ORDER BY name");
  ASSERT_TRUE(all.step());
  EXPECT_EQ(all.text(0), "a");
}

TEST_F(StatementCache, TwoLiveUsesOfOneSqlGetTwoStatements) {
  Stmt outer(db, "SELECT name FROM kv ORDER BY name");
  std::vector<std::string> pairs;
  while (outer.step()) {
    // The same SQL again inside the loop: a second statement, the outer one keeps its row.
    Stmt inner(db, "SELECT name FROM kv ORDER BY name");
    ASSERT_TRUE(inner.step());
    pairs.push_back(outer.text(0) + inner.text(0));
  }
  EXPECT_EQ(pairs, (std::vector<std::string>{"aa", "ba", "ca"}));
}

TEST_F(StatementCache, IdleStatementsAreBounded) {
  {
    std::vector<std::unique_ptr<Stmt>> live;
    for (int i = 0; i < 10; ++i) live.push_back(std::make_unique<Stmt>(db, kByName));
  }
  EXPECT_EQ(db.idle_statements(), 4u);  // the rest were finalized
  EXPECT_EQ(value_of("c"), 3);
}

TEST_F(StatementCache, BadSqlIsAnIoErrorAndLeavesNothingBehind) {
  try {
    Stmt st(db, "SELEC nonsense");
    FAIL() << "prepared invalid SQL";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Io);
    EXPECT_NE(std::string(e.what()).find("syntax error"), std::string::npos) << e.what();
  }
  EXPECT_EQ(db.idle_statements(), 0u);
}

}  // namespace
}  // namespace reel::server::sqlite
