#pragma once
// Strong types for the two quantities the cost ledger adds up. Mixing seconds and
// dollars is a compile error; arithmetic within a unit is as for double.
#include <compare>
#include <string>

namespace reel {

template <class Tag>
struct Quantity {
  double value = 0.0;
  constexpr Quantity() = default;
  constexpr explicit Quantity(double v) : value(v) {}
  constexpr Quantity operator+(Quantity o) const { return Quantity(value + o.value); }
  constexpr Quantity operator-(Quantity o) const { return Quantity(value - o.value); }
  constexpr Quantity operator*(double k) const { return Quantity(value * k); }
  constexpr Quantity operator/(double k) const { return Quantity(value / k); }
  constexpr double operator/(Quantity o) const { return value / o.value; }
  constexpr Quantity& operator+=(Quantity o) {
    value += o.value;
    return *this;
  }
  constexpr auto operator<=>(const Quantity&) const = default;
};

struct SecondsTag {};
struct UsdTag {};
using Seconds = Quantity<SecondsTag>;
using Usd = Quantity<UsdTag>;

// "$0.0123" with enough digits that sub-cent step costs stay visible.
std::string format_usd(Usd amount);
// "1.23 s", "850 ms", "2 min 05 s".
std::string format_seconds(Seconds s);

}  // namespace reel
