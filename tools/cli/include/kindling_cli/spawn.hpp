// run_program: starts a program from an argument vector with posix_spawnp, never through a shell,
// optionally captures its standard output through a pipe, and waits for its exit status.
//
//   const kindling_cli::SpawnResult r = kindling_cli::run_program(
//       {"gnuplot", "-c", script_path, csv_path, png_path});
//   if (!r.started()) ...  // r.spawn_error is the errno, ENOENT when there is no such program
//
// Note [no shell]
// A path or a value a user typed may hold any byte: `$(...)`, quotes, spaces. Pasting it into a
// command line for std::system or popen hands it to /bin/sh, which runs what it finds there. Here
// each argument reaches the child's argv as it is, so no string is ever parsed as shell syntax.
// Whether a program exists is not asked of the shell either (`command -v`): posix_spawnp searches
// PATH itself and says ENOENT. The header lives in tools/cli (the kindling_cli_support target, see
// its CMakeLists.txt): shared by the examples, the benchmarks and the tests, not installed.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

extern char** environ;

namespace kindling_cli {

struct SpawnOptions {
  bool capture_stdout = false;    // the child's standard output comes back in SpawnResult::output
  bool merge_stderr = false;      // with capture_stdout: standard error goes into the same pipe
  bool discard_stdout = false;    // standard output to /dev/null (ignored when captured)
  bool discard_stderr = false;    // standard error to /dev/null (ignored when merged)
  std::string stdout_path;        // write standard output to this file (made or emptied)
  std::string stderr_path;        // write standard error to this file (made or emptied)
  std::string stdin_path;         // read standard input from this file; empty: inherit ours
  std::string working_directory;  // the child's current folder (entered after the files above
                                  // are opened); empty: ours
  std::vector<std::string> unset_env;                        // names removed from the environment
  std::vector<std::pair<std::string, std::string>> set_env;  // names set (or replaced)
};

struct SpawnResult {
  int spawn_error = 0;  // the errno from posix_spawnp (ENOENT: no such program); 0 when it ran
  int exit_code = -1;   // the exit status when the child exited normally, else -1
  int signal = 0;       // the signal that ended the child, or 0
  std::string output;   // what the child wrote to the pipe (capture_stdout)
  bool started() const noexcept { return spawn_error == 0; }
  bool succeeded() const noexcept { return started() && exit_code == 0; }
};

namespace detail {

// A file descriptor closed when it goes out of scope.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }
  int get() const noexcept { return fd_; }
  void reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// posix_spawn_file_actions_t, destroyed when it goes out of scope.
class FileActions {
 public:
  FileActions() noexcept { ok_ = posix_spawn_file_actions_init(&actions_) == 0; }
  ~FileActions() {
    if (ok_) posix_spawn_file_actions_destroy(&actions_);
  }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  bool ok() const noexcept { return ok_; }
  posix_spawn_file_actions_t* get() noexcept { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_{};
  bool ok_ = false;
};

// A started child, waited for exactly once: by wait(), or by the destructor on an early way out,
// so that no child is left a zombie.
class ChildProcess {
 public:
  explicit ChildProcess(pid_t pid) noexcept : pid_(pid) {}
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() {
    if (pid_ > 0) wait();
  }
  // The raw status from waitpid, or -1 when it could not be had.
  int wait() noexcept {
    int status = 0;
    pid_t done = -1;
    do {
      done = ::waitpid(pid_, &status, 0);
    } while (done < 0 && errno == EINTR);
    pid_ = -1;
    return done < 0 ? -1 : status;
  }

 private:
  pid_t pid_;
};

inline bool name_is(std::string_view entry, std::string_view name) {
  return entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 &&
         entry[name.size()] == '=';
}

// Our environment with options.unset_env removed and options.set_env applied, as "NAME=value".
inline std::vector<std::string> child_environment(const SpawnOptions& options) {
  std::vector<std::string> out;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text = *entry;
    bool keep = true;
    for (const std::string& name : options.unset_env)
      keep = keep && !name_is(text, name);
    for (const auto& [name, value] : options.set_env)
      keep = keep && !name_is(text, name);
    if (keep) out.emplace_back(text);
  }
  for (const auto& [name, value] : options.set_env)
    out.push_back(name + "=" + value);
  return out;
}

// Pointers into `strings` followed by the terminating null, as exec wants them.
inline std::vector<char*> pointer_array(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (std::string& s : strings)
    out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace detail

// Runs argv[0] (searched on PATH when it has no '/') with `argv` as its arguments and waits for
// it. Never throws for a program that is missing or fails: the result says what happened.
inline SpawnResult run_program(std::vector<std::string> argv, const SpawnOptions& options = {}) {
  SpawnResult result;
  if (argv.empty()) {
    result.spawn_error = EINVAL;
    return result;
  }
  detail::FileActions actions;
  if (!actions.ok()) {
    result.spawn_error = ENOMEM;
    return result;
  }
  // The read end stays with us; the child gets the write end as fd 1 (and 2). Both are close-on-
  // exec, so no other child started meanwhile inherits them, and dup2 clears the flag on fd 1.
  detail::UniqueFd read_end, write_end;
  if (options.capture_stdout) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      result.spawn_error = errno;
      return result;
    }
    read_end = detail::UniqueFd(fds[0]);
    write_end = detail::UniqueFd(fds[1]);
    posix_spawn_file_actions_adddup2(actions.get(), write_end.get(), STDOUT_FILENO);
    if (options.merge_stderr)
      posix_spawn_file_actions_adddup2(actions.get(), write_end.get(), STDERR_FILENO);
  } else if (!options.stdout_path.empty()) {
    posix_spawn_file_actions_addopen(actions.get(), STDOUT_FILENO, options.stdout_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
  } else if (options.discard_stdout) {
    posix_spawn_file_actions_addopen(actions.get(), STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  }
  const bool stderr_merged = options.capture_stdout && options.merge_stderr;
  if (!stderr_merged && !options.stderr_path.empty())
    posix_spawn_file_actions_addopen(actions.get(), STDERR_FILENO, options.stderr_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
  else if (!stderr_merged && options.discard_stderr)
    posix_spawn_file_actions_addopen(actions.get(), STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  if (!options.stdin_path.empty())
    posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, options.stdin_path.c_str(),
                                     O_RDONLY, 0);
  if (!options.working_directory.empty())  // glibc 2.29 and later
    posix_spawn_file_actions_addchdir_np(actions.get(), options.working_directory.c_str());

  std::vector<char*> child_argv = detail::pointer_array(argv);
  std::vector<std::string> environment = detail::child_environment(options);
  std::vector<char*> child_env = detail::pointer_array(environment);
  pid_t pid = -1;
  // glibc's posix_spawnp reports a failed exec (no such program, not executable) as its return
  // value and reaps that child itself.
  const int spawned = posix_spawnp(&pid, argv[0].c_str(), actions.get(), nullptr, child_argv.data(),
                                   child_env.data());
  if (spawned != 0) {
    result.spawn_error = spawned;
    return result;
  }
  detail::ChildProcess child(pid);
  write_end.reset();  // only the child writes; our copy would keep the pipe from reaching EOF
  if (options.capture_stdout) {
    char buffer[4096];
    try {
      for (;;) {
        const ssize_t got = ::read(read_end.get(), buffer, sizeof buffer);
        if (got > 0) {
          result.output.append(buffer, static_cast<std::size_t>(got));
        } else if (got == 0 || errno != EINTR) {
          break;
        }
      }
    } catch (...) {
      read_end.reset();  // first, so that `child`'s wait cannot block on a child writing to us
      throw;
    }
  }
  const int status = child.wait();
  if (status != -1 && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (status != -1 && WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

}  // namespace kindling_cli
