// Issue 17's layers in C++: Conv2d's PyTorch layout, names and initialisation, the CNN's
// safetensors round trip with BatchNorm2d's buffers, eval against training mode, and the errors
// that name the layer and the shapes. tests/python/test_conv.py checks the same layers against
// torch 1.13, weights trained there loaded through safetensors included.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "kindling/nn.hpp"
#include "kindling/tensor.hpp"
#include "nn_support.hpp"

namespace {

using namespace kindling;      // NOLINT(google-build-using-namespace)
using namespace kindling::nn;  // NOLINT(google-build-using-namespace)

std::shared_ptr<Sequential> small_cnn(Generator& g) {
  return std::make_shared<Sequential>(
      std::make_shared<Conv2d>(3, 8, 3, g, 1, 1), std::make_shared<BatchNorm2d>(8),
      std::make_shared<ReLU>(), std::make_shared<MaxPool2d>(2),
      std::make_shared<Conv2d>(8, 4, Size2{3, 1}, g, 2, 0, 1, 2),
      std::make_shared<Dropout2d>(0.5, g), std::make_shared<AdaptiveAvgPool2d>(1),
      std::make_shared<Flatten>(), std::make_shared<Linear>(4, 2, g));
}

}  // namespace

TEST_CASE("Conv2d has PyTorch's OIHW weight, names and kaiming_uniform(a = sqrt(5)) bounds",
          "[nn][conv]") {
  Generator g(3);
  Conv2d conv(6, 16, Size2{3, 5}, g, 1, 0, 1, 2);
  CHECK(conv.weight.shape() == Shape{16, 3, 3, 5});
  CHECK(conv.bias.shape() == Shape{16});
  const double bound = 1.0 / std::sqrt(3.0 * 3 * 5);
  CHECK(amax(abs(conv.weight)).item() <= bound);
  CHECK(amax(abs(conv.weight)).item() > 0.9 * bound);
  CHECK(amax(abs(conv.bias)).item() <= bound);
  const StateDict state = conv.state_dict();
  REQUIRE(state.size() == 2);
  CHECK(state.entries()[0].first == "weight");
  CHECK(state.entries()[1].first == "bias");
  CHECK(conv.forward(randn({2, 6, 7, 9}, g)).shape() == Shape{2, 16, 5, 5});
}

TEST_CASE("a CNN round-trips through safetensors with its batch-norm buffers", "[nn][conv]") {
  Generator g(1);
  auto model = small_cnn(g);
  const Tensor x = randn({4, 3, 10, 10}, g);
  for (int step = 0; step < 2; ++step)
    (*model)(x);  // training mode: the running statistics move
  model->eval();
  const Tensor want = (*model)(x);
  const std::string path = nn_test::output_path("small_cnn.safetensors");
  save_safetensors(*model, path);
  Generator other(99);
  auto copy = small_cnn(other);
  load_safetensors(*copy, path);
  copy->eval();
  CHECK(amax(abs(copy->forward(x) - want)).item() == 0.0);
  const StateDict state = copy->state_dict();
  for (const char* name :
       {"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
        "1.num_batches_tracked", "4.weight", "4.bias", "8.weight", "8.bias"})
    CHECK(state.contains(name));
  CHECK(state.at("1.num_batches_tracked").item() == 2.0);
  CHECK(state.at("4.weight").shape() == Shape{4, 4, 3, 1});
}

TEST_CASE("the layers' errors name the layer and the shapes", "[nn][conv]") {
  Generator g(1);
  CHECK_THROWS_WITH(Conv2d(3, 8, 3, g, 1, 0, 1, 2),
                    Catch::Contains("Conv2d") && Catch::Contains("divisible by groups = 2"));
  Conv2d conv(3, 8, 3, g);
  CHECK_THROWS_WITH(conv.forward(randn({1, 4, 5, 5}, g)), Catch::Contains("conv2d") &&
                                                              Catch::Contains("(1,4,5,5)") &&
                                                              Catch::Contains("(8,3,3,3)"));
  BatchNorm2d norm(8);
  CHECK_THROWS_WITH(norm.forward(randn({2, 3, 4, 4}, g)),
                    Catch::Contains("BatchNorm2d(8)") && Catch::Contains("(2,3,4,4)"));
  MaxPool2d pool(3);
  CHECK_THROWS_WITH(pool.forward(randn({1, 1, 2, 2}, g)),
                    Catch::Contains("max_pool2d") && Catch::Contains("no window fits"));
}
