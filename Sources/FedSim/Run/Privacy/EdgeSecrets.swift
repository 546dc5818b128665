import Privacy
import Randomness

/// A client's key pair and the secrets it shares with each neighbour (Decor's seed exchange):
/// the public key travels to every neighbour as a setup message over the simulated network; on
/// arrival each side derives the edge key with X25519 + HKDF-SHA256. Nothing here is ever
/// written to logs, metrics or run files (descriptions are redacted).
final class EdgeSecrets: @unchecked Sendable {
  // @unchecked Sendable: keys are added on the simulator thread during setup, before any training
  // job reads them.
  let client: Int
  let privateKey: X25519PrivateKey
  private(set) var edges: [EdgeKey] = []

  /// `seeded` keys come from the run seed (reproducible runs); otherwise OpenSSL's CSPRNG.
  init(client: Int, seed: UInt64, seeded: Bool) throws(RunError) {
    self.client = client
    do {
      if seeded {
        var stream = RandomStream(seed: seed, purpose: StreamPurpose("x25519-key"), client: UInt32(truncatingIfNeeded: client))
        var bytes: [UInt8] = []
        for _ in 0..<8 { bytes += withUnsafeBytes(of: stream.nextUInt32().littleEndian) { Array($0) } }
        privateKey = try X25519PrivateKey(rawRepresentation: bytes)
      } else {
        privateKey = try X25519PrivateKey()
      }
    } catch { throw .simulation("X25519 key for client \(client): \(error)") }
  }

  var publicKeyMessage: [UInt8] { privateKey.publicKey.rawRepresentation }

  /// Derives the edge key from a neighbour's public key (32 bytes).
  func receive(publicKey bytes: [UInt8], from peer: Int, runID: [UInt8]) throws(RunError) {
    do {
      let key = try EdgeKey(own: privateKey, ownID: client, peer: X25519PublicKey(rawRepresentation: bytes), peerID: peer, runID: runID)
      edges.removeAll { $0.low == key.low && $0.high == key.high }
      edges.append(key)
    } catch { throw .simulation("edge key \(client)–\(peer): \(error)") }
  }

  var description: String { "EdgeSecrets(client \(client), \(edges.count) edges, <redacted>)" }
}
