// The kernel table's registry (Note [kernel table] in kindling/tensor/kernels.hpp): a device that
// lacks an entry answers supports() with false and throws a kindling::error naming the device and
// the kernel when the entry is called, never a call through a null pointer. This program links no
// CUDA module, so the tests register stand-in tables for DeviceType::cuda (built from the CPU's
// entries) and remove them again.
#include <catch2/catch.hpp>
#include <functional>
#include <set>
#include <string>

#include "kindling/engine/error.hpp"
#include "kindling/tensor.hpp"

namespace kindling {
namespace {

using Catch::Matchers::Contains;
using kernels::Kernel;
using kernels::KernelTable;

const Device kCuda = Device::cuda(0);

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const kindling::error& e) {
    return e.what();
  }
  return "(no kindling::error)";
}

// Registers `table` for cuda for the scope and removes it after, even when a check fails.
struct RegisteredForCuda {
  explicit RegisteredForCuda(const KernelTable& table) {
    kernels::register_kernels(DeviceType::cuda, &table);
  }
  ~RegisteredForCuda() { kernels::register_kernels(DeviceType::cuda, nullptr); }
};

TEST_CASE("kernel table: every entry has a distinct name, the CPU has them all",
          "[tensor][kernels]") {
  std::set<std::string_view> names(kernels::kKernelNames.begin(), kernels::kKernelNames.end());
  CHECK(names.size() == kernels::kKernelCount);
  CHECK(kernels::kernel_name(Kernel::allocate) == "allocate");
  CHECK(kernels::kernel_name(Kernel::cross_entropy_backward) == "cross_entropy_backward");
  CHECK(kernels::kernel_kind(Kernel::copy_to_host) == kernels::KernelKind::memory);
  CHECK(kernels::kernel_kind(Kernel::matmul) == kernels::KernelKind::launch);
  for (std::size_t k = 0; k < kernels::kKernelCount; ++k) {
    INFO(kernels::kKernelNames[k]);
    CHECK(kernels::supports(kCPU, static_cast<Kernel>(k)));
  }
}

TEST_CASE("kernel table: a missing entry is an error naming device and kernel",
          "[tensor][kernels]") {
  REQUIRE_FALSE(kernels::has_kernels(DeviceType::cuda));  // no CUDA module in this program
  // No table at all: supports() says no for every entry, and asking for the table says why.
  CHECK_FALSE(kernels::supports(kCuda, Kernel::allocate));
  CHECK_FALSE(kernels::supports(kCuda, Kernel::matmul));
  CHECK_THAT(error_of([] { (void)kernels::kernels_for(kCuda); }),
             Contains("no kernels are registered for device cuda:0"));

  KernelTable partial = kernels::kernels_for(kCPU);
  partial.softmax = nullptr;
  partial.cross_entropy_backward = nullptr;
  {
    const RegisteredForCuda registered(partial);
    CHECK(kernels::has_kernels(DeviceType::cuda));
    CHECK(kernels::supports(kCuda, Kernel::matmul));
    CHECK(kernels::supports(Device::cuda(1), Kernel::allocate));
    CHECK_FALSE(kernels::supports(kCuda, Kernel::softmax));
    CHECK_FALSE(kernels::supports(kCuda, Kernel::cross_entropy_backward));
    CHECK(kernels::supports(kCPU, Kernel::softmax));  // another device's table is untouched

    // The entries it has work; the one it lacks throws from the op, with the table's name.
    const Tensor x = tensor({1, 2, 3, 4, 5, 6}, {2, 3}).to(kCuda);
    CHECK((x * 2).to(kCPU).to_vector<float>() == std::vector<float>{2, 4, 6, 8, 10, 12});
    CHECK(error_of([&] { (void)softmax(x, 1); }) == "cuda has no kernel for softmax");
    CHECK(error_of([&] { (void)log_softmax(x, 0); }) == "cuda has no kernel for softmax");
    // Through the table directly too: the hole holds a thunk, not a null pointer.
    const KernelTable& table = kernels::kernels_for(kCuda);
    REQUIRE(table.softmax != nullptr);
    CHECK(error_of([&] { table.softmax(x.strided_view(), 1, false, x.strided_view()); }) ==
          "cuda has no kernel for softmax");
    // A backward that needs the missing kernel fails at that step, naming it.
    const Tensor logits = x.detach().set_requires_grad();
    const Tensor target = from_vector<std::int64_t>({0, 2}, {2}).to(kCuda);
    const Tensor loss = cross_entropy(logits, target);
    CHECK(error_of([&] { loss.backward(); }) == "cuda has no kernel for cross_entropy_backward");
  }
  CHECK_FALSE(kernels::has_kernels(DeviceType::cuda));  // nullptr removed it again

  // Without memory entries a tensor cannot even be made there.
  KernelTable no_memory = kernels::kernels_for(kCPU);
  no_memory.allocate = nullptr;
  {
    const RegisteredForCuda registered(no_memory);
    CHECK_FALSE(kernels::supports(kCuda, Kernel::allocate));
    CHECK_THAT(error_of([] { (void)zeros({2}, DType::float32, kCuda); }),
               Contains("cuda has no kernel for allocate"));
  }
}

TEST_CASE("kernel table: registering the same entries again keeps the table", "[tensor][kernels]") {
  KernelTable partial = kernels::kernels_for(kCPU);
  partial.gather = nullptr;
  const RegisteredForCuda registered(partial);
  const KernelTable* first = &kernels::kernels_for(kCuda);
  kernels::register_kernels(DeviceType::cuda, &partial);
  CHECK(&kernels::kernels_for(kCuda) == first);
  // Different entries at the same address replace it.
  partial.gather = kernels::kernels_for(kCPU).gather;
  kernels::register_kernels(DeviceType::cuda, &partial);
  CHECK(kernels::supports(kCuda, Kernel::gather));
}

// Counts the byte moves of a stand-in table and forwards them to the CPU's.
struct MoveCounts {
  static inline int from_host = 0, to_host = 0, peer = 0;
  static void copy_from_host(Device d, void* dst, const void* src, std::size_t bytes) {
    ++from_host;
    kernels::kernels_for(kCPU).copy_from_host(d, dst, src, bytes);
  }
  static void copy_to_host(Device d, void* dst, const void* src, std::size_t bytes) {
    ++to_host;
    kernels::kernels_for(kCPU).copy_to_host(d, dst, src, bytes);
  }
  static void copy_peer(Device dd, void* dst, Device sd, const void* src, std::size_t bytes) {
    ++peer;
    kernels::kernels_for(kCPU).copy_peer(dd, dst, sd, src, bytes);
  }
};

TEST_CASE("kernel table: between two devices of one type a tensor moves with one copy_peer",
          "[tensor][kernels]") {
  KernelTable counting = kernels::kernels_for(kCPU);
  counting.copy_from_host = &MoveCounts::copy_from_host;
  counting.copy_to_host = &MoveCounts::copy_to_host;
  counting.copy_peer = &MoveCounts::copy_peer;
  const Tensor x = tensor({1, 2, 3, 4, 5, 6}, {2, 3});
  {
    // Declared first, so that the tensors on "cuda" go before their table does.
    const RegisteredForCuda registered(counting);
    const Tensor on0 = x.to(Device::cuda(0));
    CHECK(MoveCounts::from_host == 1);
    // A transposed view moves as its values: made contiguous on cuda:0, then one peer copy.
    const Tensor on1 = on0.transpose(0, 1).to(Device::cuda(1));
    CHECK(on1.device() == Device::cuda(1));
    CHECK(MoveCounts::peer == 1);
    CHECK(MoveCounts::to_host == 0);  // never through the host
    CHECK(on1.to(kCPU).to_vector<float>() == std::vector<float>{1, 4, 2, 5, 3, 6});
    CHECK(MoveCounts::to_host == 1);
  }
  // nn::copy_into's cross-device path is this one too (it calls to()); here the tensor level:
  // a device without copy_peer says so instead of bouncing through the host.
  KernelTable no_peer = kernels::kernels_for(kCPU);
  no_peer.copy_peer = nullptr;
  const RegisteredForCuda registered(no_peer);
  const Tensor y = x.to(Device::cuda(0));
  CHECK(error_of([&] { (void)y.to(Device::cuda(1)); }) == "cuda has no kernel for copy_peer");
}

TEST_CASE("kernel table: ops on tensors of two devices are errors, never a copy across them",
          "[tensor][kernels]") {
  const Tensor x = tensor({1, 2, 3}), y = tensor({4, 5, 6});
  const RegisteredForCuda registered(kernels::kernels_for(kCPU));
  const Tensor on_cuda = y.to(kCuda);
  CHECK_THAT(error_of([&] {
               (void)concat({x, on_cuda}, 0);
             }),
             Contains("concat: tensors on cpu and cuda:0"));
  CHECK_THAT(error_of([&] {
               (void)stack({on_cuda, x}, 0);
             }),
             Contains("concat: tensors on cuda:0 and cpu"));
  CHECK_THAT(error_of([&] { (void)(x + on_cuda); }), Contains("cpu and cuda:0"));
  CHECK_THAT(error_of([&] { (void)matmul(x, on_cuda); }), Contains("matmul: operands on cpu"));
  // One device is fine.
  CHECK(concat({x, y}, 0).to_vector<float>() == std::vector<float>{1, 2, 3, 4, 5, 6});
}

}  // namespace
}  // namespace kindling
