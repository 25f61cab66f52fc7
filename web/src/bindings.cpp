// The playground's JavaScript interface: the Session's calls exported one to one by embind
// (compiled by em++ only, for the `web` target). One session per page, as the page shows one
// program at a time; every call returns JSON (Session never throws).
#include <emscripten/bind.h>

#include <string>

#include "kindling/web/playground.hpp"

namespace {

kindling::web::Session& session() {
  static kindling::web::Session instance;
  return instance;
}

std::string load(const std::string& program, const std::string& variables, int order,
                 const std::string& wrt) {
  return session().load(program, variables, order, wrt);
}
std::string frame(int frame) {
  return session().frame(static_cast<std::size_t>(frame));
}
std::string node(int frame, int node) {
  return session().node(static_cast<std::size_t>(frame), static_cast<std::size_t>(node));
}
std::string edge(int frame, int edge) {
  return session().edge(static_cast<std::size_t>(frame), static_cast<std::size_t>(edge));
}
std::string gradients() {
  return session().gradients();
}
std::string gradcheck(const std::string& leaf) {
  return session().gradcheck(leaf);
}
std::string questions(int frame) {
  return session().questions(static_cast<std::size_t>(frame));
}
std::string check(const std::string& guess, const std::string& expected) {
  return kindling::web::Session::check(guess, expected);
}
std::string lessons() {
  return kindling::web::Session::lessons();
}

}  // namespace

EMSCRIPTEN_BINDINGS(kindling_playground) {
  emscripten::function("load", &load);
  emscripten::function("frame", &frame);
  emscripten::function("node", &node);
  emscripten::function("edge", &edge);
  emscripten::function("gradients", &gradients);
  emscripten::function("gradcheck", &gradcheck);
  emscripten::function("questions", &questions);
  emscripten::function("check", &check);
  emscripten::function("lessons", &lessons);
}
