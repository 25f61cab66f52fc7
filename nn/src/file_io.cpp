// File access for nn/'s readers and writers: checked opens and reads, and atomic saves
// (Note [atomic saves] in file_io.hpp).
#include "file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>

#include "kindling/engine/error.hpp"

namespace kindling::nn::io {

namespace {

std::string errno_text(int code) {
  return std::strerror(code);
}

// Removes a temporary file unless the save committed it.
struct TemporaryFile {
  std::string path;
  bool committed = false;
  ~TemporaryFile() {
    if (!committed && !path.empty()) ::unlink(path.c_str());
  }
};

class FileSink : public ByteSink {
 public:
  FileSink(int fd, const std::string& temp, const std::string& target, std::string_view who)
      : fd_(fd), temp_(temp), target_(target), who_(who) {}
  void write(const void* data, std::size_t bytes) override {
    const auto* p = static_cast<const char*>(data);
    while (bytes > 0) {
      const ssize_t n = ::write(fd_, p, bytes);
      if (n < 0 && errno == EINTR) continue;
      KINDLING_CHECK(n > 0, who_, ": writing '", temp_,
                     "' failed: ", errno_text(n < 0 ? errno : EIO), " (the previous '", target_,
                     "' is left as it was)");
      p += n;
      bytes -= static_cast<std::size_t>(n);
    }
  }

 private:
  int fd_;
  const std::string& temp_;
  const std::string& target_;
  std::string_view who_;
};

}  // namespace

// ---- FileDescriptor ----------------------------------------------------------------------------

FileDescriptor::~FileDescriptor() {
  close();
}

FileDescriptor::FileDescriptor(FileDescriptor&& other) noexcept : fd_(other.fd_) {
  other.fd_ = -1;
}

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

int FileDescriptor::close() noexcept {
  if (fd_ < 0) return 0;
  // Linux releases the descriptor even when close() fails (EINTR included): never retry.
  const int result = ::close(fd_);
  fd_ = -1;
  return result == 0 ? 0 : errno;
}

// ---- reading -----------------------------------------------------------------------------------

InputFile open_for_reading(const std::string& path, std::string_view who) {
  InputFile file;
  file.path = path;
  int fd = -1;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  KINDLING_CHECK(fd >= 0, who, ": cannot open '", path, "': ", errno_text(errno));
  file.fd = FileDescriptor(fd);
  struct stat info {};
  KINDLING_CHECK(::fstat(fd, &info) == 0, who, ": cannot stat '", path, "': ", errno_text(errno));
  KINDLING_CHECK(!S_ISDIR(info.st_mode), who, ": cannot read '", path, "': ", errno_text(EISDIR));
  file.regular = S_ISREG(info.st_mode);
  if (file.regular) file.size = static_cast<std::uint64_t>(info.st_size);
  return file;
}

std::size_t read_up_to(const InputFile& file, std::span<std::uint8_t> out, std::string_view who) {
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::read(file.fd.get(), out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    KINDLING_CHECK(n >= 0, who, ": reading '", file.path, "' failed: ", errno_text(errno));
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

void read_exactly_at(const InputFile& file, std::uint64_t offset, std::span<std::uint8_t> out,
                     std::string_view who) {
  std::size_t done = 0;
  while (done < out.size()) {
    const std::uint64_t at = offset + done;
    KINDLING_CHECK(at <= static_cast<std::uint64_t>(std::numeric_limits<off_t>::max()), who,
                   ": byte offset ", at, " of '", file.path,
                   "' is beyond what the system can seek");
    const ssize_t n =
        ::pread(file.fd.get(), out.data() + done, out.size() - done, static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    KINDLING_CHECK(n >= 0, who, ": reading '", file.path, "' at byte offset ", at,
                   " failed: ", errno_text(errno));
    KINDLING_CHECK(n > 0, who, ": '", file.path, "' ends at byte offset ", at, ", ",
                   out.size() - done, " bytes before the data it announces (did it shrink?)");
    done += static_cast<std::size_t>(n);
  }
}

std::vector<std::uint8_t> read_whole_file(InputFile& file, std::string_view who) {
  std::vector<std::uint8_t> bytes;
  if (file.regular) {
    KINDLING_CHECK(file.size <= std::numeric_limits<std::size_t>::max(), who, ": '", file.path,
                   "' (", file.size, " bytes) does not fit in memory");
    bytes.resize(static_cast<std::size_t>(file.size));
    bytes.resize(read_up_to(file, bytes, who));
    return bytes;
  }
  // A pipe or a device: read until it ends, growing as data arrives.
  std::uint8_t chunk[1 << 16];
  for (;;) {
    const std::size_t n = read_up_to(file, chunk, who);
    bytes.insert(bytes.end(), chunk, chunk + n);
    if (n < sizeof chunk) return bytes;
  }
}

std::vector<std::uint8_t> read_whole_file(const std::string& path, std::string_view who) {
  InputFile file = open_for_reading(path, who);
  return read_whole_file(file, who);
}

// ---- writing -----------------------------------------------------------------------------------

void StringSink::write(const void* data, std::size_t bytes) {
  if (bytes > 0) out_->append(static_cast<const char*>(data), bytes);
}

void write_file_atomically(const std::string& path, std::string_view who,
                           const std::function<void(ByteSink&)>& produce) {
  // A name no other save (in this process or another) uses: pid, a counter, O_EXCL. Never
  // following a planted link or reusing a stale file.
  static std::atomic<unsigned> counter{0};
  TemporaryFile temp;
  FileDescriptor fd;
  for (int attempt = 0; attempt < 100 && !fd.valid(); ++attempt) {
    const std::string name =
        path + ".tmp" + std::to_string(::getpid()) + "." + std::to_string(counter++);
    const int opened = ::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (opened >= 0) {
      fd = FileDescriptor(opened);
      temp.path = name;
    } else if (errno != EEXIST && errno != EINTR) {
      throw error(std::string(who) + ": cannot create the temporary file '" + name + "' for '" +
                  path + "': " + errno_text(errno));
    }
  }
  KINDLING_CHECK(fd.valid(), who, ": cannot create a temporary file beside '", path,
                 "': every name tried exists");

  FileSink sink(fd.get(), temp.path, path, who);
  produce(sink);
  KINDLING_CHECK(::fsync(fd.get()) == 0, who, ": writing '", temp.path,
                 "' failed at fsync: ", errno_text(errno), " (the previous '", path,
                 "' is left as it was)");
  if (const int code = fd.close(); code != 0)
    throw error(std::string(who) + ": writing '" + temp.path + "' failed at close: " +
                errno_text(code) + " (the previous '" + path + "' is left as it was)");
  KINDLING_CHECK(::rename(temp.path.c_str(), path.c_str()) == 0, who, ": cannot rename '",
                 temp.path, "' to '", path, "': ", errno_text(errno),
                 " (the previous file is left as it was)");
  temp.committed = true;

  // The rename is durable only once the folder's entry is on disk.
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::string folder = parent.empty() ? std::string(".") : parent.string();
  FileDescriptor dir(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  KINDLING_CHECK(dir.valid(), who, ": saved '", path, "' but cannot open its folder '", folder,
                 "' to sync it: ", errno_text(errno));
  // Some file systems cannot sync a folder (EINVAL): they keep no separate folder metadata.
  KINDLING_CHECK(::fsync(dir.get()) == 0 || errno == EINVAL, who, ": saved '", path,
                 "' but syncing its folder '", folder, "' failed: ", errno_text(errno));
}

}  // namespace kindling::nn::io
