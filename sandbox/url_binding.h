#pragma once
// The native half of URL parsing. The isolate's URL and URLSearchParams classes are the WHATWG
// reference implementation (whatwg-url, bundled); its parser is replaced by ada, the parser Node.js
// uses, which Debian's libnode already carries. The JS half (third_party/js/url-entry.js) turns
// what urlParse returns into the reference implementation's URL record, so the classes, setters and
// serializers stay the reference's own.
#include <v8.h>

namespace agentgate {

// Adds urlParse(input, base?) to the prelude's `native` object. It returns null when the input
// (against base, when given) is not a valid URL, otherwise the record's parts as an array:
//   [scheme, username, password, host, hostKind, port, pathname, query, fragment]
// host is null without an authority; hostKind is 0 (a domain or opaque host), 1 (IPv4) or 2 (IPv6,
// serialized with brackets); port is a number or null; query and fragment are null when absent
// and exclude their "?" / "#". Inputs (with the base) over 1 Mi UTF-16 units throw a TypeError: the
// caller parses those itself.
void add_url_bindings(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> native);

}  // namespace agentgate
