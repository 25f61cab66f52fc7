// Byte streams for the readers (internal, not installed): input in chunks from memory or a file,
// read as it is or through gzip (concatenated members in turn), with what is known about how
// much remains, so a parser can check a header's claims before it reads a body (Note [bounded
// IDX reads] in readers.hpp).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "file_io.hpp"

namespace kindling::nn::io {

// The input in pieces; a piece stays valid until the next call.
class ChunkSource {
 public:
  virtual ~ChunkSource() = default;
  // The next piece; empty at the end.
  virtual std::span<const std::uint8_t> next() = 0;
  // The total size, when known (memory, regular files).
  virtual std::optional<std::uint64_t> size() const = 0;
};

// Pieces of at most 1 GiB, so that each fits zlib's 32-bit counts.
class MemoryChunks final : public ChunkSource {
 public:
  explicit MemoryChunks(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  std::span<const std::uint8_t> next() override {
    const std::size_t take = std::min(rest_.size(), std::size_t{1} << 30);
    const auto piece = rest_.first(take);
    rest_ = rest_.subspan(take);
    return piece;
  }
  std::optional<std::uint64_t> size() const override { return bytes_.size(); }

 private:
  std::span<const std::uint8_t> bytes_;
  std::span<const std::uint8_t> rest_ = bytes_;
};

class FileChunks final : public ChunkSource {
 public:
  FileChunks(const std::string& path, const char* who)
      : file_(open_for_reading(path, who)), who_(who) {}
  std::span<const std::uint8_t> next() override {
    return {buffer_.data(), read_up_to(file_, buffer_, who_)};
  }
  std::optional<std::uint64_t> size() const override {
    return file_.regular ? std::optional<std::uint64_t>(file_.size) : std::nullopt;
  }

 private:
  InputFile file_;
  const char* who_;
  std::vector<std::uint8_t> buffer_ = std::vector<std::uint8_t>(std::size_t{1} << 16);
};

// Bytes in order from a ChunkSource, plainly or through gzip.
class ByteStream {
 public:
  virtual ~ByteStream() = default;
  // Up to n bytes into dst; fewer only at the end of the stream.
  virtual std::size_t read(std::uint8_t* dst, std::size_t n) = 0;
  // How many bytes remain, when that is known exactly (a plain input of known size).
  virtual std::optional<std::uint64_t> exact_remaining() const = 0;
  // An upper bound on what remains, when one is known.
  virtual std::optional<std::uint64_t> max_remaining() const = 0;
  // "file" or "gzip file", for messages.
  virtual const char* kind() const noexcept = 0;
};

// A plain or gzip stream over `source`, told apart by gzip's magic bytes; `name` is for messages.
std::unique_ptr<ByteStream> open_stream(ChunkSource& source, const std::string& name);
// Everything left in `in`.
std::vector<std::uint8_t> read_all(ByteStream& in);

}  // namespace kindling::nn::io
