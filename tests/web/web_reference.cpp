// The browser test's reference: each program of expressions.txt parsed natively and
// differentiated by Value::backward() (not by the playground's stepper), printed as one JSON line:
// {"program", "fragment" (the URL fragment that loads it), "grads": [[leaf, exact], ...]}.
#include <cctype>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kindling/engine/error.hpp"
#include "kindling/explain/expression.hpp"
#include "kindling/explain/number_text.hpp"
#include "kindling/web/playground.hpp"

namespace {

std::string trim(const std::string& text) {
  const std::size_t first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// encodeURIComponent's escaping: letters, digits and -_.!~*'() stay.
std::string uri_component(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) ||
        std::string_view("-_.!~*'()").find(static_cast<char>(c)) != std::string_view::npos) {
      out += static_cast<char>(c);
    } else {
      out.append(1, '%').append(1, hex[c >> 4]).append(1, hex[c & 15]);
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: web_reference EXPRESSIONS_FILE\n";
    return 2;
  }
  std::ifstream file(argv[1]);
  if (!file) {
    std::cerr << "web_reference: cannot read " << argv[1] << "\n";
    return 2;
  }
  try {
    std::string line;
    while (std::getline(file, line)) {
      if (trim(line).empty() || trim(line)[0] == '#') continue;
      const std::size_t bar = line.rfind('|');
      const std::string program = trim(line.substr(0, bar));
      std::string assignments = bar == std::string::npos ? "" : line.substr(bar + 1);
      for (char& c : assignments)
        c = c == ' ' ? '\n' : c;
      const kindling::web::Variables variables = kindling::web::parse_variables(assignments);
      kindling::ExpressionVariables named;
      std::vector<kindling::Value> leaves;
      std::string fragment = "expr=" + uri_component(program);
      for (const auto& [name, data] : variables) {
        leaves.emplace_back(data, name);
        named.emplace(name, leaves.back());
        fragment += "&" + name + "=" + uri_component(kindling::web::exact_number(data));
      }
      kindling::Value root = kindling::parse_program(program, named);
      root.backward();
      nlohmann::json grads = nlohmann::json::array();
      for (const kindling::Value& leaf : leaves)
        grads.push_back({leaf.label(), kindling::web::exact_number(leaf.grad())});
      std::cout << nlohmann::json{{"program", program},
                                  {"fragment", fragment + "&step=end"},
                                  {"grads", grads}}
                       .dump()
                << "\n";
    }
  } catch (const kindling::error& e) {
    std::cerr << "web_reference: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
