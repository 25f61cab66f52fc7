// run_on_stack: runs a test body on a thread with a stack of a given size (the deep-graph and
// deep-module tests check what fits in, say, 8 MB), rethrowing whatever the body threw.
#pragma once

#include <pthread.h>

#include <cstddef>
#include <exception>
#include <functional>
#include <stdexcept>

namespace kindling_test {

// The body may use Catch2's assertions: the calling thread makes none while it runs (Catch2 is
// not thread-safe), only after the join.
inline void run_on_stack(std::size_t bytes, const std::function<void()>& body) {
  struct Job {
    const std::function<void()>* body;
    std::exception_ptr error;
  } job{&body, nullptr};
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setstacksize(&attributes, bytes);
  pthread_t thread;
  const int created = pthread_create(
      &thread, &attributes,
      [](void* raw) -> void* {
        auto* job = static_cast<Job*>(raw);
        try {
          (*job->body)();
        } catch (...) {
          job->error = std::current_exception();
        }
        return nullptr;
      },
      &job);
  pthread_attr_destroy(&attributes);
  if (created != 0) throw std::runtime_error("run_on_stack: pthread_create failed");
  pthread_join(thread, nullptr);
  if (job.error) std::rethrow_exception(job.error);
}

}  // namespace kindling_test
