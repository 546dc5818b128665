import COpenSSL

/// An X25519 public key (RFC 7748): 32 bytes that may be sent in the clear.
public struct X25519PublicKey: Sendable, Hashable {
  public let rawRepresentation: [UInt8]

  public init(rawRepresentation bytes: [UInt8]) throws(OpenSSLError) {
    guard bytes.count == 32 else { throw OpenSSLError("X25519 public key of \(bytes.count) bytes (expected 32)") }
    rawRepresentation = bytes
  }
}

/// An X25519 private key. Its bytes never leave this type except through `sharedSecret`, and its
/// description is redacted, so it cannot end up in a log or a metrics file by accident.
public struct X25519PrivateKey: Sendable, CustomStringConvertible {
  let handle: PKeyHandle
  public let publicKey: X25519PublicKey

  /// A fresh key from OpenSSL's CSPRNG.
  public init() throws(OpenSSLError) {
    guard let raw = EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, nil) else { throw OpenSSLError("X25519 context") }
    let context = PKeyContext(raw)
    guard EVP_PKEY_keygen_init(context.pointer) == 1 else { throw OpenSSLError("X25519 key generation") }
    var key: OpaquePointer?
    guard EVP_PKEY_keygen(context.pointer, &key) == 1, let key else { throw OpenSSLError("X25519 key generation") }
    try self.init(handle: PKeyHandle(key))
  }

  /// A key from its 32 raw bytes (test vectors, or keys derived deterministically from a seed).
  public init(rawRepresentation bytes: [UInt8]) throws(OpenSSLError) {
    guard bytes.count == 32 else { throw OpenSSLError("X25519 private key of \(bytes.count) bytes (expected 32)") }
    guard let key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nil, bytes, 32) else {
      throw OpenSSLError("X25519 private key import")
    }
    try self.init(handle: PKeyHandle(key))
  }

  private init(handle: PKeyHandle) throws(OpenSSLError) {
    self.handle = handle
    var bytes = [UInt8](repeating: 0, count: 32)
    var length = 32
    guard EVP_PKEY_get_raw_public_key(handle.pointer, &bytes, &length) == 1, length == 32 else {
      throw OpenSSLError("X25519 public key export")
    }
    publicKey = try X25519PublicKey(rawRepresentation: bytes)
  }

  /// The 32-byte Diffie–Hellman shared secret with a peer (EVP_PKEY_derive).
  public func sharedSecret(with peer: X25519PublicKey) throws(OpenSSLError) -> [UInt8] {
    guard let peerKey = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nil, peer.rawRepresentation, 32) else {
      throw OpenSSLError("X25519 peer key import")
    }
    let peerHandle = PKeyHandle(peerKey)
    guard let raw = EVP_PKEY_CTX_new(handle.pointer, nil) else { throw OpenSSLError("X25519 derive context") }
    let context = PKeyContext(raw)
    guard EVP_PKEY_derive_init(context.pointer) == 1, EVP_PKEY_derive_set_peer(context.pointer, peerHandle.pointer) == 1
    else { throw OpenSSLError("X25519 key agreement") }
    var secret = [UInt8](repeating: 0, count: 32)
    var length = 32
    guard EVP_PKEY_derive(context.pointer, &secret, &length) == 1, length == 32 else {
      throw OpenSSLError("X25519 key agreement")
    }
    return secret
  }

  public var description: String { "X25519PrivateKey(<redacted>)" }
}
