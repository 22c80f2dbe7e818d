#pragma once
// A Beast message's fields as the sandbox takes them (HeaderList): lower-case names, in arrival
// order, repeats kept. Used for requests coming in (server.cc) and fetch responses (http_fetcher.cc).
#include <string>

#include "common/ascii.h"
#include "sandbox/handler_types.h"

namespace agentgate {

template <class Fields>
HeaderList lowered_header_list(const Fields& fields) {
  HeaderList headers;
  headers.reserve(16);
  for (const auto& field : fields) {
    std::string name(field.name_string());
    lower_ascii(name);
    headers.emplace_back(std::move(name), std::string(field.value()));
  }
  return headers;
}

}  // namespace agentgate
