// The hardening layers of this build, attack by attack (attacks.h): every
// attack whose layer is on dies with the layer's one-line message; every
// attack's program without the bug runs clean, whatever the layers.
#include <gtest/gtest.h>

#include <csignal>
#include <string>
#include <vector>

#include "attack_table.h"
#include "layer_properties.h"

namespace {

using attacks::Attack;

std::vector<Attack> attacks_of_this_build() {
  std::vector<Attack> out;
  for (const Attack& a : attacks::kAttacks) {
    if (attacks::layer_on(a.layer)) out.push_back(a);
  }
  return out;
}

}  // namespace

namespace attacks {
void PrintTo(const Attack& a, std::ostream* os) { *os << a.name; }
}  // namespace attacks
namespace properties {
void PrintTo(const Property& p, std::ostream* os) { *os << p.name; }
}  // namespace properties

namespace {

std::string attack_name(const testing::TestParamInfo<Attack>& info) { return info.param.name; }

class AttackIsStopped : public testing::TestWithParam<Attack> {};
class SameProgramWithoutTheBug : public testing::TestWithParam<Attack> {};

TEST_P(AttackIsStopped, WithOneLineAndAbort) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const Attack& a = GetParam();
  if (a.message) {
    EXPECT_EXIT(a.run(true), testing::KilledBySignal(SIGABRT), a.message);
  } else {
    EXPECT_EXIT(a.run(true), testing::KilledBySignal(SIGSEGV), "");
  }
}

TEST_P(SameProgramWithoutTheBug, RunsClean) {
  GetParam().run(false);
  SUCCEED();
}

std::vector<properties::Property> properties_of_this_build() {
  std::vector<properties::Property> out;
  for (const auto& p : properties::kProperties) {
    if (attacks::layer_on(p.layer)) out.push_back(p);
  }
  return out;
}

class LayerProperty : public testing::TestWithParam<properties::Property> {};

TEST_P(LayerProperty, Holds) { EXPECT_TRUE(GetParam().holds()) << GetParam().name; }

std::string property_name(const testing::TestParamInfo<properties::Property>& info) { return info.param.name; }

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(LayerProperty);
INSTANTIATE_TEST_SUITE_P(Layers, LayerProperty, testing::ValuesIn(properties_of_this_build()), property_name);

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(AttackIsStopped);
INSTANTIATE_TEST_SUITE_P(Layers, AttackIsStopped, testing::ValuesIn(attacks_of_this_build()), attack_name);
INSTANTIATE_TEST_SUITE_P(Layers, SameProgramWithoutTheBug, testing::ValuesIn(attacks::kAttacks), attack_name);

}  // namespace
