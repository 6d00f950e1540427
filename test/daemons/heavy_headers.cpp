// Compiled (not run) by the daemon tests: g++ under each allocator on a file
// that pulls in the heavy standard headers and instantiates some of them.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <ranges>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <variant>
#include <vector>

int main(int argc, char** argv) {
  std::map<std::string, std::vector<int>> m;
  std::unordered_map<int, std::variant<int, std::string, double>> u;
  std::regex re("([a-z]+)-([0-9]+)");
  std::mt19937_64 rng(42);
  for (int i = 0; i < argc * 100; i++) {
    m[std::to_string(rng() % 100)].push_back(i);
    u[i] = std::to_string(i);
  }
  std::smatch match;
  std::string s = argc > 1 ? argv[1] : "abc-123";
  auto fut = std::async(std::launch::async, [&] { return std::regex_match(s, match, re); });
  auto even = m | std::views::filter([](const auto& kv) { return kv.second.size() % 2 == 0; });
  std::ostringstream out;
  for (const auto& [k, v] : even) out << std::setw(4) << k << ' ' << std::accumulate(v.begin(), v.end(), 0L) << '\n';
  std::cout << out.str() << fut.get() << std::filesystem::path(s).stem() << u.size() << std::endl;
  return 0;
}
