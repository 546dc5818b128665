import Testing

@testable import Privacy

func bytes(_ hex: String) -> [UInt8] {
  var result: [UInt8] = []
  var index = hex.startIndex
  while index < hex.endIndex {
    let next = hex.index(index, offsetBy: 2)
    result.append(UInt8(hex[index..<next], radix: 16)!)
    index = next
  }
  return result
}

@Suite struct KeyExchangeTests {
  // RFC 7748 §6.1.
  @Test func x25519MatchesRFC7748() throws {
    let alice = try X25519PrivateKey(rawRepresentation: bytes("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
    let bob = try X25519PrivateKey(rawRepresentation: bytes("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"))
    #expect(alice.publicKey.rawRepresentation == bytes("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"))
    #expect(bob.publicKey.rawRepresentation == bytes("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"))
    let shared = bytes("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
    #expect(try alice.sharedSecret(with: bob.publicKey) == shared)
    #expect(try bob.sharedSecret(with: alice.publicKey) == shared)
  }

  @Test func freshKeysAgreeAndDiffer() throws {
    let a = try X25519PrivateKey(), b = try X25519PrivateKey(), c = try X25519PrivateKey()
    #expect(try a.sharedSecret(with: b.publicKey) == b.sharedSecret(with: a.publicKey))
    #expect(try a.sharedSecret(with: b.publicKey) != a.sharedSecret(with: c.publicKey))
    #expect(a.publicKey != b.publicKey)
  }

  @Test func privateKeysAreRedacted() throws {
    let key = try X25519PrivateKey(rawRepresentation: bytes("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
    #expect(String(describing: key) == "X25519PrivateKey(<redacted>)")
    #expect(!"\(key)".contains("77076d"))
  }

  // RFC 5869 Appendix A.1 (test case 1).
  @Test func hkdfMatchesRFC5869() throws {
    let okm = try HKDF.sha256(
      inputKeyMaterial: [UInt8](repeating: 0x0b, count: 22), salt: bytes("000102030405060708090a0b0c"),
      info: bytes("f0f1f2f3f4f5f6f7f8f9"), length: 42)
    #expect(okm == bytes("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"))
  }

  @Test func badInputsAreTypedErrors() {
    #expect(throws: OpenSSLError.self) { try X25519PrivateKey(rawRepresentation: [1, 2, 3]) }
    #expect(throws: OpenSSLError.self) { try X25519PublicKey(rawRepresentation: []) }
    #expect(throws: OpenSSLError.self) { try HKDF.sha256(inputKeyMaterial: [1], salt: [], info: [], length: 9000) }
  }
}
