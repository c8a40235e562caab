// Per-address connection accounting and fair shedding at the global cap.
#include "server/connection_table.hpp"

#include <boost/asio/ip/address.hpp>

namespace reel::server {

std::string connection_group(const std::string& address) {
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(address, ec);
  if (ec) return address;
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6()).to_string();
  if (a.is_v4()) return a.to_string();
  auto bytes = a.to_v6().to_bytes();
  for (std::size_t i = 8; i < bytes.size(); ++i) bytes[i] = 0;
  return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

int ConnectionTable::count(const std::string& group) const {
  auto it = groups_.find(group);
  return it == groups_.end() ? 0 : static_cast<int>(it->second.ids.size());
}

ConnectionTable::Admission ConnectionTable::admit(const std::string& group, std::uint64_t id,
                                                  const IdleProbe& idle) {
  const int mine = count(group);
  if (mine >= limits_.max_per_address) return {Verdict::refuse_address, 0};
  Admission a;
  if (total_ >= limits_.max_total) {
    // Shed only from a group that would still hold at least as many as the newcomer's
    // after the swap (c - 1 >= mine + 1); otherwise the swap just moves the unfairness.
    for (auto it = by_count_.rbegin(); it != by_count_.rend() && it->first > mine + 1; ++it) {
      for (std::uint64_t candidate : groups_.at(it->second).ids)
        if (idle(candidate)) {
          a = {Verdict::shed, candidate};
          break;
        }
      if (a.verdict == Verdict::shed) break;
    }
    if (a.verdict != Verdict::shed) return {Verdict::refuse_full, 0};
    erase(a.victim, group_of_.at(a.victim));
  }
  Group& g = groups_[group];
  if (!g.ids.empty()) by_count_.erase({static_cast<int>(g.ids.size()), group});
  g.ids.insert(id);
  by_count_.insert({static_cast<int>(g.ids.size()), group});
  group_of_[id] = group;
  ++total_;
  return a;
}

void ConnectionTable::remove(std::uint64_t id) {
  auto it = group_of_.find(id);
  if (it == group_of_.end()) return;
  erase(id, it->second);
}

void ConnectionTable::erase(std::uint64_t id, const std::string& group_name) {
  const std::string group = group_name;  // group_name may live in the entry erased below
  group_of_.erase(id);
  auto git = groups_.find(group);
  Group& g = git->second;
  by_count_.erase({static_cast<int>(g.ids.size()), group});
  g.ids.erase(id);
  --total_;
  if (g.ids.empty())
    groups_.erase(git);
  else
    by_count_.insert({static_cast<int>(g.ids.size()), group});
}

}  // namespace reel::server
