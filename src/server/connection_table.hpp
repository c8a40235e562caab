#pragma once
// Who holds the server's connections, by peer address, and who gets a slot when they run
// out (docs/api.md, "Limits (hardening)"). Two rules keep one address from locking the
// others out:
//   1. an address may hold at most max_per_address connections;
//   2. at the global cap a newcomer is not simply refused: the oldest idle connection
//      (waiting for a request header, none in flight) of the address holding the most
//      connections is shed for it — unless the newcomer's own address already holds as
//      many, in which case the newcomer is refused. So at the cap every address keeps
//      about an equal share and the heaviest holder pays.
// Pure bookkeeping, no sockets: the server decides and closes. Not thread-safe; the server
// calls it under its sessions lock.
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>

namespace reel::server {

// The accounting key of a peer: the IPv4 address, or the /64 of an IPv6 one (one host
// gets a whole /64, so counting single IPv6 addresses would cap nothing). An IPv4 address
// mapped into IPv6 counts as the IPv4 address.
std::string connection_group(const std::string& address);

class ConnectionTable {
 public:
  struct Limits {
    int max_total = 2048;
    int max_per_address = 64;
  };
  enum class Verdict {
    accept,          // recorded
    shed,            // recorded; `victim` is no longer counted and must be closed
    refuse_address,  // the address is at max_per_address
    refuse_full,     // at the cap and nothing fairer to shed
  };
  struct Admission {
    Verdict verdict = Verdict::accept;
    std::uint64_t victim = 0;
  };
  // Whether a recorded connection is idle (sheddable) right now.
  using IdleProbe = std::function<bool(std::uint64_t id)>;

  explicit ConnectionTable(Limits limits) : limits_(limits) {}

  // Decides about connection `id` (ids increase with accept order) from `group`.
  Admission admit(const std::string& group, std::uint64_t id, const IdleProbe& idle);
  // Forgets a connection; unknown ids (already shed) are ignored.
  void remove(std::uint64_t id);

  int size() const { return total_; }
  int count(const std::string& group) const;

 private:
  struct Group {
    std::set<std::uint64_t> ids;  // oldest first
  };
  void erase(std::uint64_t id, const std::string& group);

  Limits limits_;
  int total_ = 0;
  std::unordered_map<std::string, Group> groups_;
  std::unordered_map<std::uint64_t, std::string> group_of_;
  // (connections held, group): the heaviest holders last, found in O(log n) at the cap.
  std::set<std::pair<int, std::string>> by_count_;
};

}  // namespace reel::server
