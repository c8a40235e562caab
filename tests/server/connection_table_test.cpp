// The connection accounting of `reel serve` without sockets: the per-address cap, fair
// shedding at the global cap, address grouping; and the access log's line format.
#include "server/connection_table.hpp"

#include <gtest/gtest.h>

#include <set>

#include "reel/core/json.hpp"
#include "server/access_log.hpp"

namespace reel::server {
namespace {

using Verdict = ConnectionTable::Verdict;

struct Fixture {
  ConnectionTable table;
  std::set<std::uint64_t> busy;
  std::uint64_t next = 1;
  explicit Fixture(int total, int per_address) : table({total, per_address}) {}
  ConnectionTable::Admission add(const std::string& group) {
    return table.admit(group, next++, [this](std::uint64_t id) { return !busy.count(id); });
  }
};

TEST(ConnectionTable, AnAddressPastItsCapIsRefusedAndOthersAreNot) {
  Fixture f(100, 3);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(f.add("10.0.0.1").verdict, Verdict::accept);
  EXPECT_EQ(f.add("10.0.0.1").verdict, Verdict::refuse_address);
  EXPECT_EQ(f.add("10.0.0.2").verdict, Verdict::accept);
  EXPECT_EQ(f.table.count("10.0.0.1"), 3);
  EXPECT_EQ(f.table.size(), 4);
  f.table.remove(1);
  EXPECT_EQ(f.add("10.0.0.1").verdict, Verdict::accept);
  f.table.remove(1);  // twice: ignored
  EXPECT_EQ(f.table.size(), 4);
}

TEST(ConnectionTable, AtTheCapTheHeaviestAddressesOldestIdleConnectionIsShed) {
  Fixture f(4, 10);
  for (int i = 0; i < 3; ++i) f.add("attacker");  // ids 1..3
  f.add("honest");                                // id 4
  f.busy.insert(1);                               // in the middle of a request: never shed
  auto a = f.add("newcomer");
  ASSERT_EQ(a.verdict, Verdict::shed);
  EXPECT_EQ(a.victim, 2u);  // the oldest *idle* one of the heaviest address
  EXPECT_EQ(f.table.count("attacker"), 2);
  EXPECT_EQ(f.table.count("newcomer"), 1);
  EXPECT_EQ(f.table.size(), 4);
  f.table.remove(a.victim);  // the server closing the victim later changes nothing
  EXPECT_EQ(f.table.size(), 4);
}

TEST(ConnectionTable, AtTheCapTheHeaviestAddressCannotShedOthers) {
  Fixture f(4, 10);
  for (int i = 0; i < 3; ++i) f.add("attacker");
  f.add("honest");
  // A swap would leave the newcomer's address heavier than the one it took from.
  EXPECT_EQ(f.add("attacker").verdict, Verdict::refuse_full);
  // Equal shares: nothing fairer to shed.
  Fixture even(4, 10);
  for (const char* g : {"a", "b", "c", "d"}) even.add(g);
  EXPECT_EQ(even.add("e").verdict, Verdict::refuse_full);
  // One address alone at the cap keeps what it has (the old behaviour).
  Fixture alone(4, 10);
  for (int i = 0; i < 4; ++i) alone.add("a");
  EXPECT_EQ(alone.add("a").verdict, Verdict::refuse_full);
}

TEST(ConnectionTable, WhenTheHeaviestIsAllBusyTheNextHeaviestIsShed) {
  Fixture f(6, 10);
  for (int i = 0; i < 3; ++i) f.add("a");  // 1..3, all busy
  for (int i = 0; i < 3; ++i) f.add("b");  // 4..6
  f.busy = {1, 2, 3};
  auto a = f.add("c");
  ASSERT_EQ(a.verdict, Verdict::shed);
  EXPECT_EQ(a.victim, 4u);
  f.busy = {1, 2, 3, 5, 6};  // nothing idle left that is fair to take
  EXPECT_EQ(f.add("c").verdict, Verdict::refuse_full);
}

TEST(ConnectionTable, ManyAddressesAtTheCapStillLetANewAddressIn) {
  // 40 addresses x 53 = 2120 tries at a cap of 2048, then a newcomer.
  Fixture f(2048, 64);
  int refused = 0;
  for (int i = 0; i < 2120; ++i)
    if (f.add("a" + std::to_string(i % 40)).verdict == Verdict::refuse_full) ++refused;
  EXPECT_EQ(f.table.size(), 2048);
  EXPECT_EQ(f.add("honest").verdict, Verdict::shed);
  EXPECT_EQ(f.table.count("honest"), 1);
  EXPECT_EQ(f.table.size(), 2048);
  EXPECT_GT(refused, 0);
}

TEST(ConnectionTable, AddressesAreGroupedByIpv4OrIpv6Slash64) {
  EXPECT_EQ(connection_group("127.0.0.2"), "127.0.0.2");
  EXPECT_EQ(connection_group("::ffff:10.1.2.3"), "10.1.2.3");
  EXPECT_EQ(connection_group("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(connection_group("2001:db8:1:2:bbbb::9"), "2001:db8:1:2::/64");
  EXPECT_NE(connection_group("2001:db8:1:3::1"), connection_group("2001:db8:1:2::1"));
}

TEST(AccessLog, ALineIsOneJsonObjectWithTheDocumentedFields) {
  AccessEntry e;
  e.unix_ms = 1'765'152'000'123;
  e.method = "GET";
  e.route = "GET /v1/jobs/{id}";
  e.status = 200;
  e.bytes_out = 512;
  e.ms = 1.23456;
  e.remote = "127.0.0.1";
  std::string line = access_line(e);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  Json j = Json::parse(line);
  EXPECT_EQ(j["time"], "2025-12-08T00:00:00.123Z");
  EXPECT_TRUE(j["key_id"].is_null());
  EXPECT_EQ(j["route"], "GET /v1/jobs/{id}");
  EXPECT_DOUBLE_EQ(j["ms"].get<double>(), 1.235);
  EXPECT_EQ(line.substr(0, 8), "{\"time\":");  // the documented order, time first
  e.key_id = "k1";
  e.method = "G\xffT";  // never throws on bytes that are not UTF-8
  EXPECT_EQ(Json::parse(access_line(e))["key_id"], "k1");
}

}  // namespace
}  // namespace reel::server
