// crypto.subtle and crypto.timingSafeEqual: results must match the Web Crypto standard, so each
// case runs the same expression here and in Node.js's webcrypto and compares what comes out.
#include <gtest/gtest.h>


#include "tests/support/sandbox_harness.h"
#include "tests/unit/node_compare.h"

namespace agentgate::testing {
namespace {

// Shared by both sides: hex of an ArrayBuffer, and the inputs.
// RSA-2048 and P-256 public keys and signatures of "header.payload", made once with Node's webcrypto
// (generateKey, sign, exportKey 'jwk'): the shape of an id_token check against a provider's JWKS.
constexpr const char* kPrologue =
    "const hex = (b) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');"
    "const bytes = (s) => new TextEncoder().encode(s);"
    "const b64u = (t) => Uint8Array.from(atob(t.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));"
    "const rsaJwk = { kty: 'RSA', n: 'yPkDdqMor5c55uPc8lmp-HP9nsm12PnN2skTFU5xg99vWOukVphDQYsOXBp66DprH5FdQJsaD6AtQh9dI61ocJ0cM-4cOWG6ebnoEfl5mcL1Qxklv2LALcYuSEUmUXCihsOV-CNPj93HdmNTR_T18L6Dfkgzojua38STNYW8YROzUq0Gz0MmxnMGlrw5TG6z8FVv8v8X5iNW0esmindbedIRZaU7bq4aZQ28CsknXXCvGyFPZtq3opyXSOUG5QHzCCV49ujuvNRUQJ6X7aIcvNoJVENFJozuWnqVRf0R1G-eFj8VwWjJ9M24XkJ0b6KQ77ufvz1vOgb4KGsaPxX4mQ', e: 'AQAB', alg: 'RS256' };"
    "const rsaSig = b64u('sqpSgp_2XGsgjz98AQxeo4_wmKnvgFqGtsB-unH-PvvKSDlSDutcdGxTTorOtzoxW1HWTFBNvl597iBLlIuYxOyrp0MzEbYc2mo5Qlzf-o9BXUvZJrV4zn3HMM0x4S4DKuphSyodl9tgRinFQdW13H76cbokBLVlTLCeAQSPc20usgPkdmCvLVjGc7Q3JEukZcYdQ_3t7o7vXx5QIHsbVP9BKKb7ar6rVlDDRqZomK2pf1UoaUxwVmCGdbluXSjFpItFISg65eYBSvm7vteIAeLtJLJxNPLid8hxtNzXMMI9FxuW3tMRHeHOkfHR6IoWEYUI3CcN3hYhiridpHzrTQ');"
    "const ecJwk = { kty: 'EC', crv: 'P-256', x: '4KftNejLa_Tle5a1hS1RlXUsWsfdQSPPA7-yJ3fU0QE', y: '7JNZ8eeWUuvYtIOb8CmZhKNLvtLTruPxDVzuJX1nqEk' };"
    "const ecSig = b64u('DyR0gthgs-iDDqx-hzzxwuby8GyXSRTPG7nVazhvguenL9UaTy-b4WkDhagXt2CKZRRZBPIsPVnb3njAg2ERbw');"
    "const signed = bytes('header.payload');"
    "const flipped = (sig) => { const s = sig.slice(); s[5] ^= 1; return s; };"
    "const rsaKey = () => crypto.subtle.importKey('jwk', rsaJwk, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']);"
    "const ecKey = () => crypto.subtle.importKey('jwk', ecJwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);";

std::string node_side(const std::string& expression) {
  return in_node(std::string("const { webcrypto: crypto, timingSafeEqual: require_timing } = require('node:crypto');") +
                     kPrologue,
                 expression);
}

std::string agentgate_side(SandboxHarness& harness, const std::string& expression) {
  return in_agentgate(harness, std::string(kPrologue) + "const require_timing = crypto.timingSafeEqual;", expression);
}

using CryptoCase = NodeCase;

class WebCryptoMatchesNode : public ::testing::TestWithParam<CryptoCase> {};

TEST_P(WebCryptoMatchesNode, SameResult) {
  SandboxHarness harness;
  std::string expected = node_side(GetParam().expression);
  ASSERT_FALSE(expected.empty()) << "node printed nothing";
  EXPECT_EQ(agentgate_side(harness, GetParam().expression), expected);
}

// Node 20 names this error "InvalidAccessException"; the standard says InvalidAccessError.
TEST(WebCrypto, ExportingANonExtractableKeyIsAnInvalidAccessError) {
  SandboxHarness harness;
  EXPECT_EQ(agentgate_side(harness,
                         "crypto.subtle.importKey('raw', bytes('k'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])"
                         ".then((k) => crypto.subtle.exportKey('raw', k))"),
            "threw InvalidAccessError");
}

TEST(WebCrypto, KeyBytesAreNotReachableFromTheKey) {
  SandboxHarness harness;
  EXPECT_EQ(agentgate_side(harness,
                         "crypto.subtle.importKey('raw', bytes('k'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])"
                         ".then((k) => JSON.stringify([Object.keys(k), Object.getOwnPropertyNames(k)]))"),
            "[[],[]]");
}

#define HMAC_KEY(hash, usages) \
  "crypto.subtle.importKey('raw', bytes('a secret key'), { name: 'HMAC', hash: " hash " }, false, " usages ")"

INSTANTIATE_TEST_SUITE_P(
    Subtle, WebCryptoMatchesNode,
    ::testing::Values(
        CryptoCase{"digest_sha256_empty", "crypto.subtle.digest('SHA-256', new Uint8Array()).then(hex)"},
        CryptoCase{"digest_sha256", "crypto.subtle.digest('SHA-256', bytes('hello, agents')).then(hex)"},
        CryptoCase{"digest_sha384_object_name", "crypto.subtle.digest({ name: 'SHA-384' }, bytes('x')).then(hex)"},
        CryptoCase{"digest_sha512_lower_case", "crypto.subtle.digest('sha-512', bytes('x')).then(hex)"},
        CryptoCase{"digest_of_an_ArrayBuffer", "crypto.subtle.digest('SHA-256', bytes('abc').buffer).then(hex)"},
        CryptoCase{"digest_of_a_subarray", "crypto.subtle.digest('SHA-256', bytes('abcdef').subarray(2, 4)).then(hex)"},
        CryptoCase{"digest_unknown_algorithm", "crypto.subtle.digest('MD5', bytes('x'))"},
        CryptoCase{"digest_of_a_string", "crypto.subtle.digest('SHA-256', 'text')"},
        CryptoCase{"hmac_sha256_sign", HMAC_KEY("'SHA-256'", "['sign']") ".then((k) => crypto.subtle.sign('HMAC', k, bytes('state=abc'))).then(hex)"},
        CryptoCase{"hmac_sha512_sign", HMAC_KEY("{ name: 'SHA-512' }", "['sign']") ".then((k) => crypto.subtle.sign({ name: 'HMAC' }, k, bytes('m'))).then(hex)"},
        CryptoCase{"hmac_verify_good",
                   HMAC_KEY("'SHA-256'", "['sign', 'verify']")
                   ".then(async (k) => crypto.subtle.verify('HMAC', k, await crypto.subtle.sign('HMAC', k, bytes('m')), bytes('m')))"},
        CryptoCase{"hmac_verify_tampered",
                   HMAC_KEY("'SHA-256'", "['sign', 'verify']")
                   ".then(async (k) => { const s = new Uint8Array(await crypto.subtle.sign('HMAC', k, bytes('m'))); s[0] ^= 1;"
                   " return crypto.subtle.verify('HMAC', k, s, bytes('m')); })"},
        CryptoCase{"hmac_verify_short_signature",
                   HMAC_KEY("'SHA-256'", "['verify']") ".then((k) => crypto.subtle.verify('HMAC', k, new Uint8Array(3), bytes('m')))"},
        CryptoCase{"hmac_sign_without_the_usage", HMAC_KEY("'SHA-256'", "['verify']") ".then((k) => crypto.subtle.sign('HMAC', k, bytes('m')))"},
        CryptoCase{"hmac_key_algorithm", HMAC_KEY("'SHA-256'", "['sign']") ".then((k) => JSON.stringify([k.type, k.extractable, k.algorithm, k.usages]))"},
        CryptoCase{"hmac_empty_usages", HMAC_KEY("'SHA-256'", "[]")},
        CryptoCase{"hmac_bad_usage", HMAC_KEY("'SHA-256'", "['encrypt']")},
        CryptoCase{"hmac_without_hash", "crypto.subtle.importKey('raw', bytes('k'), { name: 'HMAC' }, false, ['sign'])"},
        CryptoCase{"export_extractable",
                   "crypto.subtle.importKey('raw', bytes('abc'), { name: 'HMAC', hash: 'SHA-1' }, true, ['sign'])"
                   ".then((k) => crypto.subtle.exportKey('raw', k)).then(hex)"},
        CryptoCase{"rs256_verifies", "rsaKey().then((k) => crypto.subtle.verify('RSASSA-PKCS1-v1_5', k, rsaSig, signed))"},
        CryptoCase{"rs256_tampered_signature", "rsaKey().then((k) => crypto.subtle.verify('RSASSA-PKCS1-v1_5', k, flipped(rsaSig), signed))"},
        CryptoCase{"rs256_other_data", "rsaKey().then((k) => crypto.subtle.verify('RSASSA-PKCS1-v1_5', k, rsaSig, bytes('header.payloaD')))"},
        CryptoCase{"rs256_key_algorithm", "rsaKey().then((k) => JSON.stringify([k.type, k.algorithm.name, k.algorithm.modulusLength, k.algorithm.hash, k.usages]))"},
        CryptoCase{"rs256_alg_mismatch", "crypto.subtle.importKey('jwk', rsaJwk, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-512' }, false, ['verify'])"},
        CryptoCase{"rs256_sign_usage_on_a_public_key", "crypto.subtle.importKey('jwk', rsaJwk, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign'])"},
        CryptoCase{"es256_verifies", "ecKey().then((k) => crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, k, ecSig, signed))"},
        CryptoCase{"es256_tampered_signature", "ecKey().then((k) => crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, k, flipped(ecSig), signed))"},
        CryptoCase{"es256_short_signature", "ecKey().then((k) => crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, k, ecSig.slice(0, 63), signed))"},
        CryptoCase{"es256_key_algorithm", "ecKey().then((k) => JSON.stringify([k.type, k.algorithm, k.usages]))"},
        CryptoCase{"es256_point_not_on_the_curve",
                   "crypto.subtle.importKey('jwk', { ...ecJwk, y: ecJwk.x }, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify'])"},
        CryptoCase{"verify_with_the_wrong_algorithm", "ecKey().then((k) => crypto.subtle.verify('RSASSA-PKCS1-v1_5', k, ecSig, signed))"},
        CryptoCase{"timing_safe_equal_same", "require_timing(bytes('token-1'), bytes('token-1'))"},
        CryptoCase{"timing_safe_equal_different", "require_timing(bytes('token-1'), bytes('token-2'))"},
        CryptoCase{"timing_safe_equal_lengths", "require_timing(bytes('a'), bytes('ab'))"}),
    [](const auto& info) { return std::string(info.param.name); });

// RFC 4231 HMAC-SHA-256/384/512 test vectors (cases 1, 2, 3, 4, 6 and 7), as published: known
// answers, independent of any other implementation.
struct Rfc4231Case {
  const char* name;
  const char* key_hex;
  const char* data_hex;
  const char* sha256;
  const char* sha384;
  const char* sha512;
};

class HmacRfc4231 : public ::testing::TestWithParam<Rfc4231Case> {};

std::string repeat_hex(const char* byte, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) out += byte;
  return out;
}

TEST_P(HmacRfc4231, SignMatchesThePublishedMac) {
  const Rfc4231Case& row = GetParam();
  SandboxHarness harness;
  const std::string prologue =
      std::string(kPrologue) +
      "const fromHex = (h) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));"
      "const mac = (hash) => crypto.subtle.importKey('raw', fromHex('" + row.key_hex + "'), { name: 'HMAC', hash }, false, ['sign'])"
      "  .then((k) => crypto.subtle.sign('HMAC', k, fromHex('" + row.data_hex + "'))).then(hex);";
  EXPECT_EQ(in_agentgate(harness, prologue, "mac('SHA-256')"), row.sha256);
  EXPECT_EQ(in_agentgate(harness, prologue, "mac('SHA-384')"), row.sha384);
  EXPECT_EQ(in_agentgate(harness, prologue, "mac('SHA-512')"), row.sha512);
}

const std::string kKey20 = repeat_hex("0b", 20);
const std::string kKeyAa20 = repeat_hex("aa", 20);
const std::string kData50dd = repeat_hex("dd", 50);
const std::string kKey25 = "0102030405060708090a0b0c0d0e0f10111213141516171819";
const std::string kData50cd = repeat_hex("cd", 50);
const std::string kKeyAa131 = repeat_hex("aa", 131);

INSTANTIATE_TEST_SUITE_P(
    Vectors, HmacRfc4231,
    ::testing::Values(
        Rfc4231Case{"case1", kKey20.c_str(), "4869205468657265",
                    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
                    "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6",
                    "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"},
        Rfc4231Case{"case2", "4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
                    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                    "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
                    "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
        Rfc4231Case{"case3", kKeyAa20.c_str(), kData50dd.c_str(),
                    "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
                    "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b2a5ab39dc13814b94e3ab6e101a34f27",
                    "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb"},
        Rfc4231Case{"case4", kKey25.c_str(), kData50cd.c_str(),
                    "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
                    "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e6801dd23c4a7d679ccf8a386c674cffb",
                    "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd"},
        Rfc4231Case{"case6_key_longer_than_the_block", kKeyAa131.c_str(),
                    "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
                    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
                    "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952",
                    "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"},
        Rfc4231Case{"case7_key_and_data_longer_than_the_block", kKeyAa131.c_str(),
                    "5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a65206b657920616e642061206c6172676572207468616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565647320746f20626520686173686564206265666f7265206265696e6720757365642062792074686520484d414320616c676f726974686d2e",
                    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
                    "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5a678cc31e799176d3860e6110c46523e",
                    "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58"}),
    [](const auto& info) { return std::string(info.param.name); });

// A complete JWT signed by Node.js at test time (RS256 and ES256, fresh keys each run), then checked
// here against the public keys as a JWKS would publish them: the id_token check of an OAuth flow.
TEST(WebCrypto, AJwtSignedByNodeVerifiesHereAndATamperedOneDoesNot) {
  std::string made = in_node(
      "const { webcrypto: crypto } = require('node:crypto');"
      "const b64u = (b) => Buffer.from(b).toString('base64url');",
      "(async () => {"
      "  const out = {};"
      "  for (const [alg, params, signParams] of ["
      "      ['RS256', { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, 'RSASSA-PKCS1-v1_5'],"
      "      ['ES256', { name: 'ECDSA', namedCurve: 'P-256' }, { name: 'ECDSA', hash: 'SHA-256' }]]) {"
      "    const pair = await crypto.subtle.generateKey(params, true, ['sign', 'verify']);"
      "    const header = b64u(JSON.stringify({ alg, typ: 'JWT', kid: 'k1' }));"
      "    const payload = b64u(JSON.stringify({ iss: 'https://accounts.google.com', sub: '1234567890', aud: 'client-1', nonce: 'n-0S6', exp: 4102444800 }));"
      "    const signature = await crypto.subtle.sign(signParams, pair.privateKey, new TextEncoder().encode(header + '.' + payload));"
      "    out[alg] = { jwt: header + '.' + payload + '.' + b64u(signature), jwk: await crypto.subtle.exportKey('jwk', pair.publicKey) };"
      "  }"
      "  return JSON.stringify(out);"
      "})()");
  ASSERT_EQ(made.rfind("{", 0), 0u) << made;
  SandboxHarness harness;
  const std::string prologue =
      std::string(kPrologue) + "const made = " + made + ";" +
      "const verifyJwt = async (token, jwk) => {"
      "  const [h, p, s] = token.split('.');"
      "  const header = JSON.parse(new TextDecoder().decode(b64u(h)));"
      "  const [importParams, verifyParams] = header.alg === 'RS256'"
      "    ? [{ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, 'RSASSA-PKCS1-v1_5']"
      "    : [{ name: 'ECDSA', namedCurve: 'P-256' }, { name: 'ECDSA', hash: 'SHA-256' }];"
      "  const key = await crypto.subtle.importKey('jwk', jwk, importParams, false, ['verify']);"
      "  const ok = await crypto.subtle.verify(verifyParams, key, b64u(s), bytes(h + '.' + p));"
      "  return ok ? JSON.parse(new TextDecoder().decode(b64u(p))).sub : 'invalid';"
      "};"
      "const forged = btoa(JSON.stringify({ sub: 'attacker' })).replace(/=+$/, '').replace(/[+]/g, '-').replace(/[/]/g, '_');"
      "const tamper = (token) => { const [h, , s] = token.split('.'); return h + '.' + forged + '.' + s; };";
  for (const char* alg : {"RS256", "ES256"}) {
    std::string jwt = std::string("made.") + alg + ".jwt";
    std::string jwk = std::string("made.") + alg + ".jwk";
    EXPECT_EQ(in_agentgate(harness, prologue, "verifyJwt(" + jwt + ", " + jwk + ")"), "1234567890") << alg;
    EXPECT_EQ(in_agentgate(harness, prologue, "verifyJwt(tamper(" + jwt + "), " + jwk + ")"), "invalid") << alg;
  }
}

}  // namespace
}  // namespace agentgate::testing
