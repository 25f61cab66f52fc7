// File access for the readers and writers of nn/ (internal, not installed): opening a file for
// reading with clear errors, reading it whole or in chunks, and saves that replace a file
// atomically and reach the disk (Note [atomic saves]).
//
// Every failure is a kindling::error naming the caller (`who`), the path and errno's text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kindling::nn::io {

// An open file descriptor, closed when it goes out of scope.
class FileDescriptor {
 public:
  FileDescriptor() noexcept = default;
  explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
  ~FileDescriptor();
  FileDescriptor(FileDescriptor&& other) noexcept;
  FileDescriptor& operator=(FileDescriptor&& other) noexcept;
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  // Closes now; returns 0 or close()'s errno (a late write error on some file systems).
  int close() noexcept;

 private:
  int fd_ = -1;
};

// A file opened for reading. Regular files know their size; pipes and devices do not.
struct InputFile {
  FileDescriptor fd;
  std::string path;
  bool regular = false;
  std::uint64_t size = 0;  // regular files only
};
// Opens `path`; a directory or a file that cannot be opened is an error naming `who`.
InputFile open_for_reading(const std::string& path, std::string_view who);

// Reads from the current position until `out` is full or the file ends; returns the count.
std::size_t read_up_to(const InputFile& file, std::span<std::uint8_t> out, std::string_view who);
// Reads exactly out.size() bytes at `offset` (a regular file); running out is an error.
void read_exactly_at(const InputFile& file, std::uint64_t offset, std::span<std::uint8_t> out,
                     std::string_view who);
// The whole file (regular or not).
std::vector<std::uint8_t> read_whole_file(const std::string& path, std::string_view who);
std::vector<std::uint8_t> read_whole_file(InputFile& file, std::string_view who);

// Where a writer sends its bytes: a file being saved or a string in memory.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual void write(const void* data, std::size_t bytes) = 0;
};
class StringSink : public ByteSink {
 public:
  explicit StringSink(std::string& out) : out_(&out) {}
  void write(const void* data, std::size_t bytes) override;

 private:
  std::string* out_;
};

// Note [atomic saves]
// A save writes a fresh temporary file beside `path` (same folder, so the rename stays on one
// file system), fsyncs it, renames it over `path` and fsyncs the folder, so that after a crash
// or power loss `path` holds either the previous file or the complete new one. Any failure (a
// full disk, a missing folder, no permission, an exception from `produce`) removes the temporary,
// leaves the previous file as it was and throws kindling::error naming `who`, the paths and
// errno's text.
void write_file_atomically(const std::string& path, std::string_view who,
                           const std::function<void(ByteSink&)>& produce);

}  // namespace kindling::nn::io
