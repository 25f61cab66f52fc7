// Helpers for the nn tests: the PyTorch reference file, tensors from JSON lists, comparisons.
#pragma once

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kindling/tensor.hpp"

namespace nn_test {

inline const nlohmann::json& reference() {
  static const nlohmann::json data = [] {
    std::ifstream in(std::string(KINDLING_TEST_DATA_DIR) + "/nn_reference.json");
    REQUIRE(in.good());
    return nlohmann::json::parse(in);
  }();
  return data;
}

inline nlohmann::json read_json(const std::string& file) {
  std::ifstream in(std::string(KINDLING_TEST_DATA_DIR) + "/" + file);
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

inline kindling::Tensor from_json(const nlohmann::json& values, const kindling::Shape& shape,
                                  kindling::DType dtype = kindling::DType::float64) {
  return kindling::from_vector(values.get<std::vector<double>>(), shape, dtype);
}

// Every element within abs + rel * |expected|.
inline void check_close(const std::vector<double>& actual, const std::vector<double>& expected,
                        double rel = 1e-10, double abs = 1e-12) {
  REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    INFO("element " << i);
    CHECK(actual[i] == Approx(expected[i]).epsilon(rel).margin(abs));
  }
}

inline void check_close(const kindling::Tensor& actual, const nlohmann::json& expected,
                        double rel = 1e-10, double abs = 1e-12) {
  check_close(actual.to_vector<double>(), expected.get<std::vector<double>>(), rel, abs);
}

inline std::string output_path(const std::string& name) {
  return std::string(KINDLING_TEST_OUTPUT_DIR) + "/" + name;
}

}  // namespace nn_test
