/// A 64-bit checksum of a byte buffer (FNV-1a folded over 8-byte little-endian words, then over
/// the tail bytes): detects truncated or damaged files. Not a cryptographic hash.
public func archiveChecksum(_ bytes: [UInt8]) -> UInt64 {
  var hash: UInt64 = 0xcbf2_9ce4_8422_2325
  let prime: UInt64 = 0x0000_0100_0000_01b3
  let words = bytes.count / 8
  bytes.withUnsafeBytes { raw in
    for i in 0..<words {
      hash ^= UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
      hash &*= prime
    }
    for i in (8 * words)..<bytes.count {
      hash ^= UInt64(raw[i])
      hash &*= prime
    }
  }
  hash ^= UInt64(bytes.count)
  hash &*= prime
  return hash
}
