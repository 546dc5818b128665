import COpenSSL

/// The secret shared by the two endpoints of an edge: 32 bytes derived from their X25519 shared
/// secret with HKDF-SHA256 (salt = the run id, info = "decor-edge" ‖ min(i, j) ‖ max(i, j)), so
/// both ends derive the same key and no two edges share one. Its description is redacted.
public struct EdgeKey: Sendable, Equatable, CustomStringConvertible {
  let bytes: [UInt8]
  public let low: Int
  public let high: Int

  /// Derives the key of the edge {self, peer} on one endpoint.
  public init(own: X25519PrivateKey, ownID: Int, peer: X25519PublicKey, peerID: Int, runID: [UInt8]) throws(OpenSSLError) {
    guard ownID != peerID, ownID >= 0, peerID >= 0 else { throw OpenSSLError("edge key for ids \(ownID) and \(peerID)") }
    low = min(ownID, peerID)
    high = max(ownID, peerID)
    let secret = try own.sharedSecret(with: peer)
    var info = Array("decor-edge".utf8)
    for id in [low, high] { info += withUnsafeBytes(of: UInt64(id).bigEndian) { Array($0) } }
    bytes = try HKDF.sha256(inputKeyMaterial: secret, salt: runID, info: info, length: 32)
  }

  /// A key from raw bytes (tests and checkpoint restore).
  init(bytes: [UInt8], low: Int, high: Int) {
    self.bytes = bytes
    self.low = low
    self.high = high
  }

  public var description: String { "EdgeKey(\(low)–\(high), <redacted>)" }
}
