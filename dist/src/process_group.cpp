// The process group of an mpirun job and the collectives on tensors (Note [bounded collectives]
// in kindling/dist/process_group.hpp).
#include "kindling/dist/process_group.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <thread>

#include "group.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/engine/grad_mode.hpp"
#include "kindling/tensor/creation.hpp"

namespace kindling::dist {

namespace detail {

Group& state() noexcept {
  static Group group;
  return group;
}

Group& group(const char* what) {
  Group& g = state();
  KINDLING_CHECK(g.live, what,
                 ": kindling::dist is not initialized; call kindling::dist::init() first and keep "
                 "the Environment it returns");
  KINDLING_CHECK(g.broken.empty(), what, ": the process group is broken by an earlier failure (",
                 g.broken, "); no collective can run on it any more");
  return g;
}

namespace {
std::string mpi_message(int rc) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(rc, text, &length) != MPI_SUCCESS) return "MPI error " + std::to_string(rc);
  return std::string(text, static_cast<std::size_t>(length));
}
}  // namespace

void check(int rc, const char* what) {
  if (rc == MPI_SUCCESS) [[likely]]
    return;
  Group& g = state();
  std::ostringstream message;
  message << what << ": MPI failed on rank " << g.rank << ": " << mpi_message(rc);
  g.broken = message.str();
  throw error(g.broken);
}

bool test_all(std::span<MPI_Request> requests, const char* what) {
  int done = 0;
  check(MPI_Testall(static_cast<int>(requests.size()), requests.data(), &done, MPI_STATUSES_IGNORE),
        what);
  return done != 0;
}

void wait_all(std::span<MPI_Request> requests, const char* what) {
  Group& g = state();
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + g.timeout;
  // Polls with a yield between tests for the first 300 us (a non-blocking collective moves on only
  // inside MPI calls, one round of its algorithm per test, so sleeping between tests slows every
  // round), then sleeps 50 us between tests, so that a rank waiting for a slow one leaves the
  // core to it (ranks may outnumber the cores). bench/distributed chose the numbers: 20 ms of
  // spinning was 7% slower on a busy 2-core machine.
  const auto spin_until = start + std::chrono::microseconds(300);
  for (;;) {
    if (test_all(requests, what)) return;
    if (std::chrono::steady_clock::now() >= deadline) {
      std::ostringstream message;
      message << what << ": rank " << g.rank << " of " << g.size << " waited " << g.timeout.count()
              << " ms for the other ranks, which did not complete the collective (a rank failed, "
                 "died, or calls other collectives)";
      g.broken = message.str();
      throw error(g.broken);
    }
    if (std::chrono::steady_clock::now() < spin_until)
      std::this_thread::yield();
    else
      std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

MPI_Datatype mpi_type(DType dtype, const char* what) {
  switch (dtype) {
    case DType::float32:
      return MPI_FLOAT;
    case DType::float64:
      return MPI_DOUBLE;
    case DType::int64:
      return MPI_INT64_T;
    case DType::bool_:
      return MPI_UINT8_T;
  }
  ::kindling::detail::throw_error(what, ": unsupported dtype");
}

HostStage stage(const Tensor& tensor) {
  if (tensor.device() == kCPU && tensor.is_contiguous()) return {tensor, false};
  const no_grad off;
  return {tensor.detach().contiguous().to(kCPU), true};
}

void write_back(const Tensor& tensor, const HostStage& staged) {
  if (staged.copied) {
    const no_grad off;
    tensor.copy_(staged.host);  // bumps the version
  } else {
    tensor.bump_version();  // written through raw_data()
  }
}

std::vector<std::string> all_gather_bytes(const std::string& mine, const char* what) {
  Group& g = group(what);
  const std::int64_t length = static_cast<std::int64_t>(mine.size());
  std::vector<std::int64_t> lengths(static_cast<std::size_t>(g.size));
  MPI_Request request = MPI_REQUEST_NULL;
  check(MPI_Iallgather(&length, 1, MPI_INT64_T, lengths.data(), 1, MPI_INT64_T, g.comm, &request),
        what);
  wait_all({&request, 1}, what);
  std::vector<int> counts(lengths.size()), offsets(lengths.size());
  int total = 0;
  for (std::size_t r = 0; r < lengths.size(); ++r) {
    counts[r] = static_cast<int>(lengths[r]);
    offsets[r] = total;
    total += counts[r];
  }
  std::string all(static_cast<std::size_t>(total), '\0');
  check(MPI_Iallgatherv(mine.data(), static_cast<int>(length), MPI_CHAR, all.data(), counts.data(),
                        offsets.data(), MPI_CHAR, g.comm, &request),
        what);
  wait_all({&request, 1}, what);
  std::vector<std::string> out;
  for (std::size_t r = 0; r < lengths.size(); ++r)
    out.push_back(
        all.substr(static_cast<std::size_t>(offsets[r]), static_cast<std::size_t>(counts[r])));
  return out;
}

}  // namespace detail

namespace {

// mpirun (Open MPI's, MPICH's hydra, Slurm's PMI) tells its ranks who they are through these.
bool under_mpirun() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(name) != nullptr) return true;
  return false;
}

// Fails on every rank, naming the first rank whose tensor's dtype or shape differs from rank
// 0's, so that no rank enters a collective the others do not.
void check_same_layout(const Tensor& tensor, const char* what) {
  std::ostringstream mine;
  mine << dtype_name(tensor.dtype()) << ' ' << shape_string(tensor.shape());
  const std::vector<std::string> all = detail::all_gather_bytes(mine.str(), what);
  for (std::size_t r = 1; r < all.size(); ++r)
    KINDLING_CHECK(all[r] == all[0], what, ": the tensors differ across ranks: ", all[r],
                   " on rank ", r, " but ", all[0], " on rank 0");
}

}  // namespace

Environment::Environment(Environment&& other) noexcept : owns_(std::exchange(other.owns_, false)) {}

Environment::~Environment() {
  if (!owns_) return;
  detail::Group& g = detail::state();
  g.live = false;
  if (g.comm != MPI_COMM_NULL) MPI_Comm_free(&g.comm);  // a broken group's may fail: ignored
  g.comm = MPI_COMM_NULL;
  if (g.finalize) MPI_Finalize();
}

Environment init(InitOptions options) {
  detail::Group& g = detail::state();
  KINDLING_CHECK(!g.live,
                 "kindling::dist::init: already initialized; keep the one Environment "
                 "init() returned");
  KINDLING_CHECK(!g.started,
                 "kindling::dist::init: MPI was finalized when the previous "
                 "Environment ended, and MPI cannot start twice in one process");
  KINDLING_CHECK(options.timeout.count() > 0,
                 "kindling::dist::init: the timeout must be positive, "
                 "got ",
                 options.timeout.count(), " ms");
  int already = 0;
  MPI_Initialized(&already);
  KINDLING_CHECK(already || under_mpirun(),
                 "kindling::dist::init: this process was not started by mpirun (none of "
                 "OMPI_COMM_WORLD_SIZE, PMIX_RANK, PMI_RANK is set). Start it as `mpirun -np N "
                 "<program>`; -np 1 trains as one process would. As root, Open MPI also needs "
                 "--allow-run-as-root; more ranks than cores need --oversubscribe");
  if (!already) {
    int provided = 0;
    // SERIALIZED: MPI is called by one thread at a time (the one running backward), not always
    // the one that called init; OpenMP's threads run kernels only.
    const int rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
    KINDLING_CHECK(rc == MPI_SUCCESS, "kindling::dist::init: MPI_Init_thread failed (code ", rc,
                   ")");
    g.finalize = true;
  }
  g.started = true;
  // Errors come back as codes from here on, on the world and on our copy of it.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  Environment env;  // from here its destructor finalizes, whatever throws below
  g.live = true;
  g.broken.clear();
  g.timeout = options.timeout;
  detail::check(MPI_Comm_dup(MPI_COMM_WORLD, &g.comm), "kindling::dist::init");
  detail::check(MPI_Comm_set_errhandler(g.comm, MPI_ERRORS_RETURN), "kindling::dist::init");
  detail::check(MPI_Comm_rank(g.comm, &g.rank), "kindling::dist::init");
  detail::check(MPI_Comm_size(g.comm, &g.size), "kindling::dist::init");
  return env;
}

bool is_initialized() noexcept {
  return detail::state().live;
}

int rank() {
  return detail::group("kindling::dist::rank").rank;
}

int world_size() {
  return detail::group("kindling::dist::world_size").size;
}

void set_timeout(std::chrono::milliseconds timeout) {
  KINDLING_CHECK(timeout.count() > 0,
                 "kindling::dist::set_timeout: the timeout must be positive, "
                 "got ",
                 timeout.count(), " ms");
  detail::group("kindling::dist::set_timeout").timeout = timeout;
}

std::chrono::milliseconds timeout() {
  return detail::group("kindling::dist::timeout").timeout;
}

void all_reduce(const Tensor& tensor, ReduceOp op) {
  constexpr const char* what = "kindling::dist::all_reduce";
  detail::Group& g = detail::group(what);
  KINDLING_CHECK(tensor.dtype() != DType::bool_, what, ": bool tensors cannot be summed");
  KINDLING_CHECK(op != ReduceOp::Average || tensor.dtype() != DType::int64, what,
                 ": Average needs a floating-point tensor, got int64 (use Sum)");
  check_same_layout(tensor, what);
  const detail::HostStage staged = detail::stage(tensor);
  MPI_Request request = MPI_REQUEST_NULL;
  detail::check(
      MPI_Iallreduce(MPI_IN_PLACE, staged.host.raw_data(), static_cast<int>(staged.host.numel()),
                     detail::mpi_type(tensor.dtype(), what), MPI_SUM, g.comm, &request),
      what);
  detail::wait_all({&request, 1}, what);
  if (op == ReduceOp::Average) {
    const double n = g.size;
    const std::int64_t count = staged.host.numel();
    if (tensor.dtype() == DType::float32) {
      float* p = staged.host.data<float>();
      for (std::int64_t i = 0; i < count; ++i)
        p[i] = static_cast<float>(p[i] / n);
    } else {
      double* p = staged.host.data<double>();
      for (std::int64_t i = 0; i < count; ++i)
        p[i] /= n;
    }
  }
  detail::write_back(tensor, staged);
}

void broadcast(const Tensor& tensor, int src) {
  constexpr const char* what = "kindling::dist::broadcast";
  detail::Group& g = detail::group(what);
  KINDLING_CHECK(src >= 0 && src < g.size, what, ": src ", src,
                 " is not a rank of this group (0 to ", g.size - 1, ")");
  check_same_layout(tensor, what);
  const detail::HostStage staged = detail::stage(tensor);
  MPI_Request request = MPI_REQUEST_NULL;
  detail::check(MPI_Ibcast(staged.host.raw_data(), static_cast<int>(staged.host.numel()),
                           detail::mpi_type(tensor.dtype(), what), src, g.comm, &request),
                what);
  detail::wait_all({&request, 1}, what);
  if (g.rank != src) detail::write_back(tensor, staged);
}

std::vector<Tensor> all_gather(const Tensor& tensor) {
  constexpr const char* what = "kindling::dist::all_gather";
  detail::Group& g = detail::group(what);
  check_same_layout(tensor, what);
  const detail::HostStage staged = detail::stage(tensor);
  Shape gathered_shape{g.size};
  for (std::int64_t d : tensor.shape())
    gathered_shape.push_back(d);
  const Tensor gathered = empty(gathered_shape, tensor.dtype());
  const MPI_Datatype type = detail::mpi_type(tensor.dtype(), what);
  const int count = static_cast<int>(tensor.numel());
  MPI_Request request = MPI_REQUEST_NULL;
  detail::check(MPI_Iallgather(staged.host.raw_data(), count, type, gathered.raw_data(), count,
                               type, g.comm, &request),
                what);
  detail::wait_all({&request, 1}, what);
  std::vector<Tensor> out;
  for (int r = 0; r < g.size; ++r) {
    const Tensor part = gathered.slice(0, r, r + 1).squeeze(0).clone();  // its own storage
    out.push_back(tensor.device() == kCPU ? part : part.to(tensor.device()));
  }
  return out;
}

void barrier() {
  constexpr const char* what = "kindling::dist::barrier";
  detail::Group& g = detail::group(what);
  MPI_Request request = MPI_REQUEST_NULL;
  detail::check(MPI_Ibarrier(g.comm, &request), what);
  detail::wait_all({&request, 1}, what);
}

}  // namespace kindling::dist
